"""HTTP attempts (R35): one shared aiohttp session, no redirects, a timeout, a guard.

Every attempt goes through one :class:`aiohttp.ClientSession` (connections
are reused per host). Requests to a blocked network never leave: a literal
IP in the URL is checked before the request, and a host name through
:class:`GuardedResolver`, on the very addresses the connection will use (a
name that resolves into a blocked network is refused, whatever it resolved
to when the app was registered). Such a delivery is ``failed``, not retried.

:meth:`Sender.attempt` never raises for what the receiver does: a timeout or
connection error is an :class:`Attempt` with ``http_status=None``. Error
texts name the failure, never the URL's query or the push secret.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from attrib.delivery.model import Delivery

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Host names whose literal-IP verdict :class:`Sender` remembers (then it starts over).
HOST_VERDICTS_MAX = 10_000


class BlockedDestination(Exception):
    """The destination resolves into a network deliveries may not reach."""


def blocked(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


class GuardedResolver(AbstractResolver):
    """The default resolver, minus addresses in the blocked networks."""

    def __init__(self, networks: Sequence[Network]) -> None:
        self._inner = DefaultResolver()
        self._networks = tuple(networks)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if not blocked(r["host"], self._networks)]
        if not allowed:
            raise BlockedDestination(f"{host} resolves into a blocked network")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


@dataclass(frozen=True, slots=True)
class Attempt:
    http_status: int | None  # None: timeout, connection error, or blocked
    latency_ms: int
    started_ms: int
    error: str | None = None
    blocked: bool = False


class Sender:
    """Sends attempts; ``async with Sender(...)`` or ``start()``/``close()``."""

    def __init__(
        self,
        *,
        timeout_ms: int,
        blocked_networks: Sequence[Network],
        max_in_flight: int = 256,
        max_per_host: int = 16,
    ) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout_ms / 1000)
        self.networks = tuple(blocked_networks)
        self.max_in_flight = max_in_flight
        self.max_per_host = max_per_host
        self._session: aiohttp.ClientSession | None = None
        self._host_blocked: dict[str, bool] = {}

    def host_blocked(self, hostname: str) -> bool:
        """:func:`blocked` for a URL's host name, worked out once per name.

        Only a literal IP can be blocked here, and its verdict never changes;
        names are checked on every resolution by :class:`GuardedResolver`.
        """
        verdict = self._host_blocked.get(hostname)
        if verdict is None:
            if len(self._host_blocked) >= HOST_VERDICTS_MAX:
                self._host_blocked.clear()
            verdict = self._host_blocked[hostname] = blocked(hostname, self.networks)
        return verdict

    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.max_in_flight,
                limit_per_host=self.max_per_host,
                resolver=GuardedResolver(self.networks),
                ttl_dns_cache=60,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self.timeout, auto_decompress=False
            )

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> Sender:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def attempt(self, delivery: Delivery) -> Attempt:
        assert self._session is not None, "Sender.start() first"
        started_ms = time.time_ns() // 1_000_000
        began = time.perf_counter()

        def done(status: int | None, error: str | None = None, *, refused: bool = False) -> Attempt:
            latency = int((time.perf_counter() - began) * 1000)
            return Attempt(status, latency, started_ms, error, refused)

        if self.host_blocked(delivery.hostname):
            return done(None, "blocked destination", refused=True)
        try:
            async with self._session.request(
                delivery.method,
                delivery.url,
                data=delivery.body,
                headers=delivery.headers(),
                allow_redirects=False,
            ) as response:
                await response.read()
                return done(
                    response.status, None if response.status < 300 else f"HTTP {response.status}"
                )
        except BlockedDestination:
            return done(None, "blocked destination", refused=True)
        except TimeoutError:
            return done(None, "timeout")
        except aiohttp.ClientConnectorError as exc:
            return done(None, f"connection error: {_reason(exc)}")
        except aiohttp.ClientError as exc:
            return done(None, f"{type(exc).__name__}")
        except OSError as exc:
            return done(None, f"connection error: {exc.strerror or type(exc).__name__}")


def _reason(exc: aiohttp.ClientConnectorError) -> str:
    inner = exc.os_error
    return inner.strerror if inner is not None and inner.strerror else type(inner).__name__


__all__ = ["Attempt", "BlockedDestination", "GuardedResolver", "Sender", "blocked"]
