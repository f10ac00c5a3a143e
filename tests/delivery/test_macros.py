"""R34: postback URL macros, filled and URL-encoded."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from attrib.config import POSTBACK_MACROS
from attrib.delivery.macros import TOUCH_MACROS, fill, fill_record, macro_values
from tests.delivery.records import APP, T0, attributed_event, attribution

ALL = "&".join(f"{name}={{{name}}}" for name in sorted(POSTBACK_MACROS))


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def test_install_macros_are_filled_and_encoded() -> None:
    url = fill(
        "https://n.example/i?" + ALL, macro_values(attribution(), delivery_id="d-1", touch=True)
    )
    q = _query(url)
    assert q["clickid"] == "clk=42"
    assert "clk%3D42" in url  # encoded: the value cannot add a parameter
    assert q["adset"] == "a&b"
    assert q["ad"] == "ad/1"
    assert "ad%2F1" in url
    assert q["campaign"] == "spring sale"
    assert "spring%20sale" in url
    assert q["install_unix_ts"] == str(T0 // 1000)
    assert q["click_ts"] == str((T0 - 60_000) // 1000)
    assert q["app_id"] == APP
    assert q["delivery_id"] == "d-1"
    assert q["conversion_type"] == "install"
    assert q["match_type"] == "id"
    assert q["idfa"] == ""
    assert q["revenue"] == ""
    assert q["event_name"] == ""


def test_send_all_leaves_touch_macros_empty() -> None:
    q = _query(
        fill(
            "https://n.example/i?" + ALL, macro_values(attribution(), delivery_id="d", touch=False)
        )
    )
    assert {name for name in TOUCH_MACROS if q[name]} == set()
    assert q["advertising_id"] == "3f1b7c2e-8a9d-4b6e-9c1f-2d3e4f5a6b7c"
    assert q["install_unix_ts"] == str(T0 // 1000)


def test_event_revenue_is_the_text_as_received() -> None:
    record = attributed_event(revenue="1234567.10", currency="EUR", event_name="af purchase")
    q = _query(
        fill("https://n.example/e?" + ALL, macro_values(record, delivery_id="d", touch=True))
    )
    assert q["revenue"] == "1234567.10"
    assert q["currency"] == "EUR"
    assert q["event_name"] == "af purchase"


def test_timestamps_are_whole_seconds() -> None:
    values = macro_values(
        attribution(install_time=1_999, touch_time=999), delivery_id="d", touch=True
    )
    assert values["install_unix_ts"] == "1"
    assert values["click_ts"] == "0"


def test_unknown_braces_are_kept() -> None:
    assert fill("https://x.example/{nope}?a={app_id}", {"app_id": "a b"}) == (
        "https://x.example/{nope}?a=a%20b"
    )


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_any_value_round_trips_as_one_parameter(value: str) -> None:
    url = fill("https://n.example/p?c={campaign}&x=1", {"campaign": value})
    q = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert q["x"] == ["1"]
    assert q["c"] == [value]


@given(st.lists(st.sampled_from([*sorted(POSTBACK_MACROS), "unknown", "x"]), max_size=6))
def test_fill_matches_a_plain_regex_substitution(names: list[str]) -> None:
    """The remembered split of a template fills it as one substitution pass would."""
    import re
    from urllib.parse import quote

    template = "https://n.example/p?" + "&".join(f"{n}={{{n}}}x{{" for n in names) + "}"
    values = macro_values(attribution(), delivery_id="d=1/2", touch=True)

    def replace(m: re.Match[str]) -> str:
        name = m.group(1)
        return quote(values.get(name, ""), safe="") if name in POSTBACK_MACROS else m.group(0)

    assert fill(template, values) == re.sub(r"\{([a-z_]+)\}", replace, template)


@given(
    names=st.lists(st.sampled_from([*sorted(POSTBACK_MACROS), "unknown"]), max_size=8),
    touch=st.booleans(),
    event=st.booleans(),
)
def test_fill_record_is_fill_of_macro_values(names: list[str], touch: bool, event: bool) -> None:
    template = "https://n.example/p?" + "&".join(f"{n}={{{n}}}" for n in names)
    record = attributed_event() if event else attribution()
    assert fill_record(template, record, delivery_id="d/1", touch=touch) == fill(
        template, macro_values(record, delivery_id="d/1", touch=touch)
    )
