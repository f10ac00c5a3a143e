"""The retry-topic value and the due-time queue."""

from __future__ import annotations

import dataclasses

import pytest

from attrib.delivery.model import PUSH, Delivery, Pending
from attrib.delivery.sender import blocked
from attrib.delivery.state import DueQueue, decode_pending, encode_pending
from attrib.settings import Settings


def _delivery(ident: str = "d-1", body: bytes | None = b'{"a":1}') -> Delivery:
    return Delivery(ident, PUSH, "app", "http://127.0.0.1:9/p?t=1", "s", 7, "", body, "abc")


def test_round_trip() -> None:
    pending = Pending(_delivery(), 3, 12_345, 1)
    back = decode_pending(encode_pending(pending), 1)
    assert back == Pending(dataclasses.replace(pending.delivery, signature=""), 3, 12_345, 1)
    assert b"abc" not in encode_pending(pending)  # the signature is not kept


def test_unreadable() -> None:
    with pytest.raises(ValueError, match="unreadable retry record"):
        decode_pending(b"{}", 0)
    with pytest.raises(ValueError, match="unreadable retry record"):
        decode_pending(b"\xc3\x01garbage", 0)


def test_queue_orders_by_due_time_and_replaces() -> None:
    queue = DueQueue()
    queue.put(Pending(_delivery("a"), 1, 30, 0))
    queue.put(Pending(_delivery("b"), 2, 10, 1))
    queue.put(Pending(_delivery("a"), 2, 20, 0))  # a's next attempt replaces its first
    assert len(queue) == 2
    assert queue.retries == 2
    assert queue.next_due_ms() == 10
    assert [p.delivery.delivery_id for p in queue.pop_due(25)] == ["b", "a"]
    assert "a" in queue  # still known while in flight
    queue.discard("a")
    assert "a" not in queue
    assert queue.retries == 1
    queue.drop_partitions({1})
    assert len(queue) == 0
    assert queue.retries == 0
    assert queue.next_due_ms() is None


def test_blocked_networks() -> None:
    nets = Settings().delivery_blocked
    assert blocked("169.254.169.254", nets)
    assert blocked("fd00:ec2::254", nets)
    assert blocked("fe80::1%eth0", nets)
    assert blocked("::ffff:169.254.169.254", nets)
    assert not blocked("127.0.0.1", nets)
    assert not blocked("::1", nets)
    assert not blocked("example.com", nets)
