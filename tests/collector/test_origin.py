"""OriginResolver.resolve gives what client_ip and user_agent give, in one call."""

from __future__ import annotations

import dataclasses
from unittest import mock

import pytest
from aiohttp.test_utils import make_mocked_request

from attrib.collector.origin import OriginResolver
from attrib.settings import load_settings
from attrib.web.errors import ApiError

UA = "Mozilla/5.0 (Linux; Android 14)"


def _request(peer: str | None, headers: dict[str, str]) -> object:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        (peer, 5555) if name == "peername" and peer is not None else default
    )
    return make_mocked_request("GET", "/v1/click/x", headers=headers, transport=transport)


@pytest.mark.parametrize("peer", ["127.0.0.1", "10.0.0.7", "203.0.113.9", "::ffff:10.0.0.7", None])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"User-Agent": UA},
        {"User-Agent": "x" * 2000, "X-Forwarded-For": "192.0.2.44, 10.0.0.1"},
        {"X-Forwarded-For": "not an ip"},
        {"X-Forwarded-For": " 2001:db8::1 "},
    ],
)
@pytest.mark.parametrize(
    ("ip", "ua"), [(None, None), ("198.51.100.7", None), (None, "bot/1"), ("nope", 7)]
)
def test_resolve_is_client_ip_and_user_agent(
    peer: str | None, headers: dict[str, str], ip: object, ua: object
) -> None:
    settings = dataclasses.replace(
        load_settings(), trusted_s2s_cidrs="127.0.0.1/32", trusted_proxy_cidrs="10.0.0.0/8"
    )
    origin = OriginResolver(settings)
    request = _request(peer, headers)

    def outcome(call):  # type: ignore[no-untyped-def]
        try:
            return call()
        except ApiError as exc:
            return ("error", exc.status, exc.code, exc.detail)

    expected = outcome(
        lambda: (
            origin.client_ip(request, ip, "ip"),  # type: ignore[arg-type]
            origin.user_agent(request, ua, "ua"),  # type: ignore[arg-type]
        )
    )
    assert outcome(lambda: origin.resolve(request, ip, ua, "ip", "ua")) == expected  # type: ignore[arg-type]
