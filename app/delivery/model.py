"""What one delivery is: the destination, the request and where it came from.

A :class:`Delivery` is built once, when its record is read (:mod:`.plan`), and
never changes afterwards: every attempt sends exactly the same request, with
the same ``delivery_id`` (R35). Only the attempt number and the due time move
(:class:`Pending`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

INSTALL = "install"
EVENT = "event"
PUSH = "push"
KINDS = (INSTALL, EVENT, PUSH)

DELIVERED = "delivered"
RETRY = "retry"
FAILED = "failed"
DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One request to one destination, the same on every attempt.

    ``signature`` is the push body's HMAC (header ``X-Attrib-Signature``); it
    is kept only in the internal retry topic, never in a
    ``postback-deliveries`` record, a log line or a metric.
    """

    delivery_id: str
    kind: str  # install | event | push
    app_id: str
    url: str
    subject_id: str
    decided_ms: int  # when the decision was written (its Kafka timestamp), epoch ms
    media_source: str = ""  # postbacks; empty for push
    body: bytes | None = None  # push only
    signature: str = field(default="", repr=False)  # push only

    @property
    def method(self) -> str:
        return "POST" if self.kind == PUSH else "GET"

    @property
    def host(self) -> str:
        """``host[:port]`` as written in the URL (analytics.md)."""
        return urlsplit(self.url).netloc.rpartition("@")[2]

    @property
    def endpoint(self) -> str:
        """The push URL without query or fragment; empty for postbacks."""
        if self.kind != PUSH:
            return ""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))

    def headers(self) -> dict[str, str]:
        out = {"X-Attrib-Delivery-Id": self.delivery_id}
        if self.kind == PUSH:
            out["Content-Type"] = "application/json"
            out["X-Attrib-Signature"] = f"sha256={self.signature}"
        return out


@dataclass(slots=True)
class Pending:
    """A delivery waiting for its ``attempt``-th attempt at ``due_ms`` (epoch ms)."""

    delivery: Delivery
    attempt: int
    due_ms: int
    partition: int


__all__ = [
    "DEAD",
    "DELIVERED",
    "EVENT",
    "FAILED",
    "INSTALL",
    "KINDS",
    "PUSH",
    "RETRY",
    "Delivery",
    "Pending",
]
