"""Postbacks and pushes of a chaos run: the receiver's app configuration and the reconciliation.

The chaos app posts every install won by the network to the receiver
(``/pb``, its touch id in the query) and pushes every decision (``/push``,
JSON with its ``attribution_id``, signed). What is owed follows from the
fault-free run's decisions (R32, R36): a postback per non-organic install, a
push per decision. A delivery counts as delivered when the receiver
answered it 2xx; the delivery id (``X-Attrib-Delivery-Id``) is the same on
every attempt of one delivery, so the same id answered 2xx twice is a
repeat the network dedupes, while a second id for one postback owed is a
duplicate.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from tests.chaos.report import Report
from tests.chaos.tail import Decision
from tests.chaos.traffic import NETWORK
from tests.delivery.receivers import Receiver, Seen

SECRET = "chaos-push-secret"


def app_config(receiver: Receiver) -> dict[str, Any]:
    return {
        "platform": "android",
        "store_url": "https://play.google.com/store/apps/details?id=com.example",
        "postbacks": [
            {
                "media_source": NETWORK,
                "install_url": receiver.url("/pb?t={touch_id}&d={delivery_id}"),
            }
        ],
        "push_endpoints": [{"url": receiver.url("/push"), "secret": SECRET}],
    }


def owed(decisions: dict[str, Decision]) -> set[tuple[str, str]]:
    subjects = {("push", d.attribution_id) for d in decisions.values()}
    subjects |= {
        ("pb", d.touch_id or "")
        for d in decisions.values()
        if d.status == "non_organic" and d.media_source == NETWORK
    }
    return subjects


def _subject(seen: Seen) -> tuple[str, str]:
    if seen.path == "/pb":
        return ("pb", seen.query.get("t", ""))
    try:
        return ("push", str(json.loads(seen.body)["attribution_id"]))
    except (ValueError, KeyError):
        return ("push", "?")


def delivered(receiver: Receiver) -> dict[tuple[str, str], list[str]]:
    """Delivery ids answered 2xx per subject, one entry per 2xx answer."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for seen, status in list(receiver.answered):
        if 200 <= status < 300:
            out[_subject(seen)].append(seen.delivery_id)
    return out


def all_delivered(receiver: Receiver, subjects: set[tuple[str, str]]) -> bool:
    done = delivered(receiver)
    return all(s in done for s in subjects)


def reconcile(
    receiver: Receiver,
    subjects: set[tuple[str, str]],
    report: Report,
    kept: set[tuple[str, str]] | None = None,
) -> None:
    """Count ``subjects`` (owed for the accepted requests) lost, and every other 2xx
    delivery as not owed, except those in ``kept``: owed for requests the collector
    refused (503: "not known to be written", docs/collector.md) that Kafka kept
    anyway, so they were decided, and delivered as they must be."""
    done = delivered(receiver)
    kept = kept or set()
    report.deliveries_owed = len(subjects)
    report.deliveries_lost = sum(s not in done for s in subjects)
    report.deliveries_unowed = sum(s not in subjects and s not in kept for s in done)
    report.deliveries_of_refused = sum(s not in subjects and s in kept for s in done)
    for ids in done.values():
        report.deliveries_duplicated += len(set(ids)) - 1
        report.deliveries_repeated += len(ids) - len(set(ids))
