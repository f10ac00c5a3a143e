"""What one delivery is: the destination, the request and where it came from.

A :class:`Delivery` is built once, when its record is read (:mod:`.plan`), and
never changes afterwards: every attempt sends exactly the same request, with
the same ``delivery_id`` (R35). Only the attempt number and the due time move
(:class:`Pending`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
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
    #: ``host[:port]`` as written in the URL (analytics.md); derived.
    host: str = field(init=False, compare=False)
    #: The push URL without query or fragment; empty for postbacks; derived.
    endpoint: str = field(init=False, compare=False)
    #: The URL's host name (no port), what the blocked-network check looks at; derived.
    hostname: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind == PUSH:
            parts = urlsplit(self.url)
            netloc = parts.netloc.rpartition("@")[2]
            hostname = parts.hostname or ""
            endpoint = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        else:
            netloc, hostname = _host_of(_origin(self.url))
            endpoint = ""
        object.__setattr__(self, "host", netloc)
        object.__setattr__(self, "hostname", hostname)
        object.__setattr__(self, "endpoint", endpoint)

    @property
    def method(self) -> str:
        return "POST" if self.kind == PUSH else "GET"

    def headers(self) -> dict[str, str]:
        out = {"X-Attrib-Delivery-Id": self.delivery_id}
        if self.kind == PUSH:
            out["Content-Type"] = "application/json"
            out["X-Attrib-Signature"] = f"sha256={self.signature}"
        return out


def _origin(url: str) -> str:
    """``url`` up to the end of its authority (``scheme://user@host:port``).

    What :func:`urllib.parse.urlsplit` reads the authority from: the text
    after ``//`` up to the first ``/``, ``?`` or ``#``. Postbacks to one
    network share it, so its split is remembered (:func:`_host_of`).
    """
    start = url.find("//")
    if start < 0:
        return url
    end = len(url)
    for sep in "/?#":
        found = url.find(sep, start + 2, end)
        if found >= 0:
            end = found
    return url[:end]


@lru_cache(maxsize=4096)
def _host_of(origin: str) -> tuple[str, str]:
    """``(host[:port], hostname)`` of a URL's origin, as ``urlsplit`` gives them."""
    parts = urlsplit(origin)
    return parts.netloc.rpartition("@")[2], parts.hostname or ""


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
