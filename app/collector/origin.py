"""Who sent a request: the client IP and user agent recorded on every record.

http-api.md's rule, in order:

1. an ``ip`` / ``ua`` (``user_agent`` in bodies) override, honoured only when
   the TCP peer is in ``trusted_s2s_cidrs`` (loopback by default). A public
   sender must not be able to name another IP: that would dodge an app's
   ``ip_blocklist`` (R31) and forge probabilistic matches (R5);
2. the first ``X-Forwarded-For`` hop, when the peer is a trusted proxy
   (``trusted_proxy_cidrs``); the first hop is the client as the outermost
   proxy saw it. A malformed hop is ignored rather than recorded;
3. the peer address; and the ``User-Agent`` header.

Trust is decided per peer address and cached, because a collector sees few
distinct peers (its load balancers) and millions of requests.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from aiohttp import web

from attrib.settings import Settings
from attrib.web.errors import ApiError

MAX_USER_AGENT_CHARS = 1024


def _contained(address: str, networks: Sequence[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def canonical_ip(text: str) -> str | None:
    """``text`` as a canonical IPv4/IPv6 address (``::FFFF:1.2.3.4`` -> ``1.2.3.4``), else None."""
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


class OriginResolver:
    """Resolves the client IP and user agent of requests under one deployment's settings."""

    def __init__(self, settings: Settings) -> None:
        proxies = settings.trusted_proxies
        s2s = settings.trusted_s2s
        self.is_trusted_proxy = lru_cache(maxsize=1024)(lambda peer: _contained(peer, proxies))
        self.is_trusted_s2s = lru_cache(maxsize=1024)(lambda peer: _contained(peer, s2s))
        self._canonical = lru_cache(maxsize=4096)(canonical_ip)

    def peer(self, request: web.Request) -> str:
        return request.remote or ""

    def trusted_sender(self, request: web.Request) -> bool:
        """True when the peer may override IP and user agent."""
        return self.is_trusted_s2s(self.peer(request))

    def client_ip(self, request: web.Request, override: object, field: str) -> str | None:
        """The client IP of ``request``; ``override`` is the sender's ``ip`` value, if any.

        A trusted sender's override must be an IP address: 400 naming ``field``
        otherwise (the sender is a program that can fix its input).
        """
        peer = self.peer(request)
        if override is not None and self.is_trusted_s2s(peer):
            ip = self._canonical(override) if isinstance(override, str) else None
            if ip is None:
                raise ApiError(
                    400,
                    "invalid_field",
                    f"{field} must be an IPv4 or IPv6 address",
                    field=field,
                )
            return ip
        if self.is_trusted_proxy(peer):
            forwarded = request.headers.get("X-Forwarded-For")
            if forwarded:
                hop = self._canonical(forwarded.split(",", 1)[0])
                if hop is not None:
                    return hop
        return self._canonical(peer) if peer else None

    def resolve(
        self,
        request: web.Request,
        ip_override: object,
        user_agent_override: object,
        ip_field: str,
        user_agent_field: str,
    ) -> tuple[str | None, str | None]:
        """``(client_ip(...), user_agent(...))`` of ``request`` in one call (once per request).

        The common case, no override, is answered here from one peer lookup;
        with an override, :meth:`client_ip` and :meth:`user_agent` decide.
        """
        if ip_override is not None or user_agent_override is not None:
            return (
                self.client_ip(request, ip_override, ip_field),
                self.user_agent(request, user_agent_override, user_agent_field),
            )
        peer = request.remote or ""
        headers = request.headers
        ip = None
        if self.is_trusted_proxy(peer):
            forwarded = headers.get("X-Forwarded-For")
            if forwarded:
                ip = self._canonical(forwarded.split(",", 1)[0])
        if ip is None and peer:
            ip = self._canonical(peer)
        agent = headers.get("User-Agent")
        return ip, agent[:MAX_USER_AGENT_CHARS] if agent else None

    def user_agent(self, request: web.Request, override: object, field: str) -> str | None:
        """The sender's user agent: a trusted override, else the ``User-Agent`` header."""
        if override is not None and self.is_trusted_s2s(self.peer(request)):
            if not isinstance(override, str):
                raise ApiError(400, "invalid_field", f"{field} must be a string", field=field)
            return override[:MAX_USER_AGENT_CHARS] or None
        header = request.headers.get("User-Agent")
        return header[:MAX_USER_AGENT_CHARS] if header else None


__all__ = ["MAX_USER_AGENT_CHARS", "OriginResolver", "canonical_ip"]
