"""R32, R33, R36: who gets a postback or a push for a record."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from attrib.delivery.model import EVENT, INSTALL, PUSH
from attrib.delivery.plan import plan
from attrib.delivery.push import ATTRIBUTED_EVENT, ATTRIBUTION, REENGAGEMENT, sign
from tests.delivery.records import (
    SECRET,
    app_config,
    attributed_event,
    attribution,
    organic,
    reengagement,
)

A = {
    "media_source": "network_a",
    "install_url": "https://a.example/i?c={clickid}&d={delivery_id}",
    "event_url": "https://a.example/e?n={event_name}&r={revenue}",
    "events": ["purchase"],
}
B_ALL = {
    "media_source": "network_b",
    "install_url": "https://b.example/i?c={clickid}&t={touch_id}&ct={conversion_type}",
    "send_all_installs": True,
}
C = {"media_source": "network_c", "install_url": "https://c.example/i"}


def _hosts(deliveries) -> list[tuple[str, str]]:
    return sorted((d.kind, urlsplit(d.url).netloc) for d in deliveries)


def test_winner_only_without_send_all() -> None:
    out = plan(ATTRIBUTION, attribution(), app_config([A, C]), 0)
    assert _hosts(out) == [(INSTALL, "a.example")]
    assert parse_qs(urlsplit(out[0].url).query)["d"] == [out[0].delivery_id]
    assert out[0].media_source == "network_a"
    assert out[0].method == "GET"


def test_send_all_gets_other_installs_with_touch_macros_empty() -> None:
    config = app_config([A, B_ALL, C])
    out = plan(ATTRIBUTION, attribution(), config, 0)
    assert _hosts(out) == [(INSTALL, "a.example"), (INSTALL, "b.example")]
    b = next(d for d in out if d.media_source == "network_b")
    assert parse_qs(urlsplit(b.url).query, keep_blank_values=True)["c"] == [""]
    assert parse_qs(urlsplit(b.url).query, keep_blank_values=True)["t"] == [""]
    # organic installs and re-attributions too, but not reinstalls or blocked installs
    assert _hosts(plan(ATTRIBUTION, organic(), config, 0)) == [(INSTALL, "b.example")]
    reattr = attribution(conversion_type="reattribution", is_retargeting=True)
    assert _hosts(plan(ATTRIBUTION, reattr, config, 0)) == [
        (INSTALL, "a.example"),
        (INSTALL, "b.example"),
    ]
    assert plan(ATTRIBUTION, organic(conversion_type="reinstall"), config, 0) == []
    blocked = attribution(
        conversion_type="blocked", status="blocked", blocked_reason="ip_blocklist"
    )
    assert plan(ATTRIBUTION, blocked, config, 0) == []


def test_send_all_winner_gets_full_macros_once() -> None:
    record = attribution(media_source="network_b")
    out = plan(ATTRIBUTION, record, app_config([A, B_ALL]), 0)
    assert _hosts(out) == [(INSTALL, "b.example")]
    assert parse_qs(urlsplit(out[0].url).query)["c"] == ["clk=42"]


def test_event_postbacks_only_for_listed_events_inside_the_window() -> None:
    windowed = {**A, "event_window": "1d"}
    config = app_config([windowed])
    assert _hosts(plan(ATTRIBUTED_EVENT, attributed_event(), config, 0)) == [(EVENT, "a.example")]
    assert plan(ATTRIBUTED_EVENT, attributed_event(event_name="level_up"), config, 0) == []
    late = attributed_event(event_time=attributed_event()["install_time"] + 86_400_001)
    assert plan(ATTRIBUTED_EVENT, late, config, 0) == []
    edge = attributed_event(event_time=attributed_event()["install_time"] + 86_400_000)
    assert len(plan(ATTRIBUTED_EVENT, edge, config, 0)) == 1
    assert len(plan(ATTRIBUTED_EVENT, late, app_config([A]), 0)) == 1  # lifetime
    # another source's event, an unattributed one, one of a blocked install: none
    assert plan(ATTRIBUTED_EVENT, attributed_event(media_source="network_c"), config, 0) == []
    unattributed = attributed_event(
        attribution_id=None, conversion_type="unattributed", media_source="organic"
    )
    assert plan(ATTRIBUTED_EVENT, unattributed, config, 0) == []
    blocked = attributed_event(blocked_reason="ip_blocklist", conversion_type="blocked")
    assert plan(ATTRIBUTED_EVENT, blocked, config, 0) == []


def test_non_primary_attributions_get_postbacks_too() -> None:
    record = attributed_event(is_primary_attribution=False)
    out = plan(ATTRIBUTED_EVENT, record, app_config([A]), 0)
    assert parse_qs(urlsplit(out[0].url).query) == {"n": ["purchase"], "r": ["9.99"]}


def test_push_for_every_record_kind() -> None:
    config = app_config([], push=["http://127.0.0.1:1/push?token=x", "http://127.0.0.1:2/p"])
    for kind, record in [
        (ATTRIBUTION, attribution()),
        (ATTRIBUTION, organic(conversion_type="reinstall")),
        (ATTRIBUTION, attribution(conversion_type="blocked", status="blocked")),
        (REENGAGEMENT, reengagement()),
        (ATTRIBUTED_EVENT, attributed_event()),
    ]:
        out = plan(kind, record, config, 5)
        assert [d.kind for d in out] == [PUSH, PUSH]
        first = out[0]
        assert first.method == "POST"
        assert first.decided_ms == 5
        assert first.signature == sign(first.body or b"", SECRET)
        assert first.headers()["X-Attrib-Signature"] == f"sha256={first.signature}"
        assert first.endpoint == "http://127.0.0.1:1/push"
        assert first.host == "127.0.0.1:1"
        assert json.loads(first.body or b"")["app_id"] == record["app_id"]
        assert out[0].delivery_id != out[1].delivery_id


def test_delivery_ids_are_stable_and_distinct() -> None:
    config = app_config([A, B_ALL], push=["http://127.0.0.1:1/p"])
    first = [d.delivery_id for d in plan(ATTRIBUTION, attribution(), config, 1)]
    again = [d.delivery_id for d in plan(ATTRIBUTION, attribution(), config, 99)]
    assert first == again
    assert len(set(first)) == 3
    other = [d.delivery_id for d in plan(ATTRIBUTION, attribution(attribution_id="x"), config, 1)]
    assert not set(first) & set(other)
    ua = plan(ATTRIBUTED_EVENT, attributed_event(), config, 0)
    rt = plan(ATTRIBUTED_EVENT, attributed_event(attribution_kind="retargeting"), config, 0)
    assert not {d.delivery_id for d in ua} & {d.delivery_id for d in rt}


def test_no_config_no_deliveries() -> None:
    assert plan(ATTRIBUTION, attribution(), None, 0) == []


SOURCES = ("network_a", "network_b", "network_c")


@st.composite
def postback_configs(draw: st.DrawFn) -> list[dict]:
    out = []
    for source in draw(st.lists(st.sampled_from(SOURCES), unique=True, max_size=3)):
        out.append(
            {
                "media_source": source,
                "install_url": f"https://{source}.example/i?c={{clickid}}&t={{touch_id}}",
                "send_all_installs": draw(st.booleans()),
            }
        )
    return out


@given(
    postbacks=postback_configs(),
    conversion=st.sampled_from(["install", "reinstall", "reattribution", "blocked"]),
    status=st.sampled_from(["non_organic", "organic", "blocked"]),
    winner=st.sampled_from((*SOURCES, "organic")),
)
def test_who_gets_an_install_postback(postbacks, conversion, status, winner) -> None:
    """R32 as a property: the winner of a posted conversion, plus every send-all source."""
    record = attribution(conversion_type=conversion, status=status, media_source=winner)
    out = plan(ATTRIBUTION, record, app_config(postbacks), 0)
    got = {d.media_source: d for d in out}
    assert len(got) == len(out)  # one postback per configured source at most
    posted = conversion in ("install", "reattribution") and status != "blocked"
    expected = set()
    if posted:
        for postback in postbacks:
            wins = status == "non_organic" and postback["media_source"] == winner
            if wins or postback["send_all_installs"]:
                expected.add(postback["media_source"])
    assert set(got) == expected
    for source, delivery in got.items():
        query = parse_qs(urlsplit(delivery.url).query, keep_blank_values=True)
        filled = status == "non_organic" and source == winner
        assert (query["c"] == ["clk=42"]) is filled
        assert (query["t"] == ["touch-1"]) is filled


@given(
    name=st.sampled_from(["purchase", "level_up", "subscribe"]),
    listed=st.lists(st.sampled_from(["purchase", "level_up", "subscribe"]), unique=True),
    window_h=st.one_of(st.none(), st.integers(1, 72)),
    after_ms=st.integers(0, 100 * 3_600_000),
    primary=st.booleans(),
)
def test_who_gets_an_event_postback(name, listed, window_h, after_ms, primary) -> None:
    """R33 as a property: listed events, attributed to the source, inside the window."""
    config = {
        "media_source": "network_a",
        "event_url": "https://a.example/e?n={event_name}",
        "events": listed,
        "event_window": "lifetime" if window_h is None else f"{window_h}h",
    }
    install = attributed_event()["install_time"]
    record = attributed_event(
        event_name=name, event_time=install + after_ms, is_primary_attribution=primary
    )
    out = plan(ATTRIBUTED_EVENT, record, app_config([config]), 0)
    inside = window_h is None or after_ms <= window_h * 3_600_000
    assert len(out) == (1 if name in listed and inside else 0)


@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
        min_size=1,
        max_size=5,
    )
)
def test_delivery_id_is_the_uuid5_of_its_parts(parts: list[str]) -> None:
    import uuid

    from attrib.delivery.plan import _NAMESPACE, delivery_id

    assert delivery_id(*parts) == str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


@given(
    scheme=st.sampled_from(["http", "https", "HTTPS"]),
    user=st.sampled_from(["", "u@", "u:p@"]),
    host=st.sampled_from(["n.example", "N.Example", "127.0.0.1", "[::1]", "[fe80::1%25eth0]", ""]),
    port=st.sampled_from(["", ":8080", ":"]),
    rest=st.sampled_from(["", "/", "/p?q=1", "?a=/b", "#f/g", "/a//b?c#d", "\t/x"]),
)
def test_postback_host_is_what_urlsplit_reads(
    scheme: str, user: str, host: str, port: str, rest: str
) -> None:
    from attrib.delivery.model import Delivery

    url = f"{scheme}://{user}{host}{port}{rest}"
    parts = urlsplit(url)
    delivery = Delivery(
        delivery_id="d", kind=INSTALL, app_id="a", url=url, subject_id="s", decided_ms=0
    )
    assert delivery.host == parts.netloc.rpartition("@")[2]
    assert delivery.hostname == (parts.hostname or "")
