"""Who gets what for one output record (R32, R33, R36): pure, no I/O.

``plan(kind, record, config, decided_ms)`` returns every delivery the record
causes: install postbacks for an attribution, event postbacks for an
attributed event, and a push to each of the app's push endpoints for all
three kinds of record.

Delivery ids are derived from what is delivered and to whom (a UUID5 of the
record's id, the kind and the destination), so reading the same record twice,
or the same install event decided twice (R26), gives the same ids; the
delivery stage attempts an id once.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from attrib.config import AppConfig, Postback
from attrib.delivery.macros import fill_record
from attrib.delivery.model import EVENT, INSTALL, PUSH, Delivery
from attrib.delivery.push import ATTRIBUTED_EVENT, ATTRIBUTION, REENGAGEMENT, push_body, sign

_NAMESPACE = uuid.UUID("5d1d7c62-3a0e-4b53-9d39-3f0b1f3b7a41")
_NAMESPACE_SHA1 = hashlib.sha1(_NAMESPACE.bytes, usedforsecurity=False)
#: Conversion types that send install postbacks (R32).
_POSTED_CONVERSIONS = ("install", "reattribution")


def delivery_id(*parts: str) -> str:
    """A stable id for a delivery: the same parts give the same id, anywhere, any time.

    The text of the UUID5 of the parts joined by U+001F (what ``uuid.uuid5``
    gives), computed without building a ``UUID``.
    """
    digest = _NAMESPACE_SHA1.copy()
    digest.update("\x1f".join(parts).encode())
    raw = bytearray(digest.digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def subject_id(kind: str, record: Mapping[str, Any]) -> str:
    """The id of what is delivered: attribution_id, reengagement_id, or event_id."""
    if kind == ATTRIBUTION:
        return str(record["attribution_id"])
    if kind == REENGAGEMENT:
        return str(record["reengagement_id"])
    return str(record["event_id"])


def install_postbacks(
    record: Mapping[str, Any], config: AppConfig, decided_ms: int
) -> list[Delivery]:
    """R32: the winner's install postbacks, and send-all sources' copies."""
    if record.get("conversion_type") not in _POSTED_CONVERSIONS:
        return []
    if record.get("status") == "blocked":
        return []
    subject = str(record["attribution_id"])
    winner = record.get("media_source") if record.get("status") == "non_organic" else None
    out: list[Delivery] = []
    for index, postback in enumerate(config.postbacks):
        if not postback.install_url:
            continue
        is_winner = postback.media_source == winner
        if not is_winner and not postback.send_all_installs:
            continue
        out.append(
            _postback(
                INSTALL,
                postback.install_url,
                postback,
                index,
                subject,
                record,
                decided_ms,
                touch=is_winner,
            )
        )
    return out


def event_postbacks(
    record: Mapping[str, Any], config: AppConfig, decided_ms: int
) -> list[Delivery]:
    """R33: the postbacks of a source for its listed events, inside ``event_window``."""
    if record.get("blocked_reason") or record.get("attribution_id") is None:
        return []
    install_time = record.get("install_time")
    name = record.get("event_name")
    subject = f"{record['event_id']}\x1f{record.get('attribution_kind', '')}"
    out: list[Delivery] = []
    for index, postback in enumerate(config.postbacks):
        if postback.media_source != record.get("media_source") or not postback.event_url:
            continue
        if name not in postback.event_names:
            continue
        window = postback.event_window_ms
        if window is not None and (
            install_time is None or record["event_time"] - install_time > window
        ):
            continue
        out.append(
            _postback(
                EVENT, postback.event_url, postback, index, subject, record, decided_ms, touch=True
            )
        )
    return out


def _postback(
    kind: str,
    template: str,
    postback: Postback,
    index: int,
    subject: str,
    record: Mapping[str, Any],
    decided_ms: int,
    *,
    touch: bool,
) -> Delivery:
    ident = delivery_id(kind, str(record["app_id"]), subject, postback.media_source, str(index))
    url = fill_record(template, record, delivery_id=ident, touch=touch)
    return Delivery(
        delivery_id=ident,
        kind=kind,
        app_id=str(record["app_id"]),
        url=url,
        subject_id=subject.split("\x1f")[0],
        decided_ms=decided_ms,
        media_source=postback.media_source,
    )


def pushes(
    kind: str, record: Mapping[str, Any], config: AppConfig, decided_ms: int
) -> list[Delivery]:
    """R36: one signed POST per push endpoint of the app."""
    if not config.push_endpoints:
        return []
    body = push_body(kind, record)
    subject = subject_id(kind, record)
    part = record.get("attribution_kind", "") if kind == ATTRIBUTED_EVENT else ""
    return [
        Delivery(
            delivery_id=delivery_id(PUSH, kind, str(record["app_id"]), subject, part, endpoint.url),
            kind=PUSH,
            app_id=str(record["app_id"]),
            url=endpoint.url,
            subject_id=subject,
            decided_ms=decided_ms,
            body=body,
            signature=sign(body, endpoint.secret),
        )
        for endpoint in config.push_endpoints
    ]


def plan(
    kind: str, record: Mapping[str, Any], config: AppConfig | None, decided_ms: int
) -> list[Delivery]:
    """Every delivery caused by one output record of ``kind``; none without a config."""
    if config is None:
        return []
    if kind == ATTRIBUTION:
        postbacks = install_postbacks(record, config, decided_ms)
    elif kind == ATTRIBUTED_EVENT:
        postbacks = event_postbacks(record, config, decided_ms)
    else:
        postbacks = []
    return postbacks + pushes(kind, record, config, decided_ms)


__all__ = ["delivery_id", "event_postbacks", "install_postbacks", "plan", "pushes", "subject_id"]
