"""R35's guard: literal IPs checked once per host name, names on every resolution."""

from __future__ import annotations

import ipaddress

from attrib.delivery.model import INSTALL, Delivery
from attrib.delivery.sender import Sender


def postback(url: str, ident: str = "d1") -> Delivery:
    return Delivery(
        delivery_id=ident, kind=INSTALL, app_id="app", url=url, subject_id="s", decided_ms=0
    )


def sender(*networks: str) -> Sender:
    return Sender(timeout_ms=2_000, blocked_networks=[ipaddress.ip_network(n) for n in networks])


async def test_a_literal_ip_in_a_blocked_network_is_refused_every_time(receivers) -> None:
    net = await receivers()
    async with sender("169.254.0.0/16", "::ffff:10.0.0.0/104") as s:
        for i in range(3):  # the remembered verdict as the first one
            result = await s.attempt(postback("http://169.254.169.254/latest", f"m{i}"))
            assert (result.blocked, result.error) == (True, "blocked destination")
        assert s.host_blocked("169.254.169.254")
        assert not s.host_blocked("127.0.0.1")
        # the loopback receiver is not blocked: both attempts reach it
        for i in range(2):
            result = await s.attempt(postback(net.url("/i"), f"ok{i}"))
            assert (result.http_status, result.blocked) == (200, False)
    assert len(net.seen) == 2


async def test_a_name_resolving_into_a_blocked_network_is_refused_every_time(receivers) -> None:
    net = await receivers()
    url = f"http://localhost:{net.port}/i"
    async with sender("127.0.0.0/8", "::1/128") as s:
        for i in range(2):
            result = await s.attempt(postback(url, f"n{i}"))
            assert (result.blocked, result.error) == (True, "blocked destination")
        assert not s.host_blocked("localhost")  # a name: the resolver decides
    assert net.seen == []
