"""The chaos suite's delivery reconciliation (tests/chaos/deliveries.py), without a stack."""

from __future__ import annotations

import json
from types import SimpleNamespace

from tests.chaos import deliveries
from tests.chaos.report import Report
from tests.delivery.receivers import Seen


def push(attribution_id: str, delivery_id: str) -> Seen:
    body = json.dumps({"attribution_id": attribution_id}).encode()
    return Seen("POST", "/push", {}, {"X-Attrib-Delivery-Id": delivery_id}, body, 0.0)


def postback(touch_id: str, delivery_id: str) -> Seen:
    return Seen("GET", "/pb", {"t": touch_id}, {"X-Attrib-Delivery-Id": delivery_id}, b"", 0.0)


def reconciled(answered: list[tuple[Seen, int]], owed, kept=None) -> Report:  # type: ignore[no-untyped-def]
    report = Report()
    receiver = SimpleNamespace(answered=answered)
    deliveries.reconcile(receiver, owed, report, kept)  # type: ignore[arg-type]
    return report


def test_every_owed_delivery_once_is_clean() -> None:
    owed = {("push", "a1"), ("pb", "t1")}
    report = reconciled([(push("a1", "d1"), 200), (postback("t1", "d2"), 204)], owed)
    assert report.deliveries_owed == 2
    assert report.deliveries_lost == 0
    assert report.deliveries_unowed == 0
    assert report.deliveries_duplicated == 0


def test_a_delivery_answered_only_with_an_error_is_lost_and_a_second_id_duplicates() -> None:
    owed = {("push", "a1"), ("pb", "t1")}
    answered = [(push("a1", "d1"), 503), (postback("t1", "d2"), 200), (postback("t1", "d3"), 200)]
    report = reconciled(answered, owed)
    assert report.deliveries_lost == 1
    assert report.deliveries_duplicated == 1


def test_the_same_delivery_id_twice_is_a_repeat_not_a_duplicate() -> None:
    report = reconciled([(push("a1", "d1"), 200), (push("a1", "d1"), 200)], {("push", "a1")})
    assert report.deliveries_repeated == 1
    assert report.deliveries_duplicated == 0


def test_deliveries_of_refused_requests_kafka_kept_are_owed_not_extra() -> None:
    owed = {("push", "a1")}
    kept = owed | {("push", "a2")}  # a2: its install was refused with a 503 but stored
    answered = [(push("a1", "d1"), 200), (push("a2", "d2"), 200), (push("a3", "d3"), 200)]
    report = reconciled(answered, owed, kept)
    assert report.deliveries_of_refused == 1
    assert report.deliveries_unowed == 1  # a3: owed by no decision at all
