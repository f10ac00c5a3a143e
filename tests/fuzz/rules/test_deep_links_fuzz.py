"""Fuzzing deep-link parsing (attrib.rules.matching.deep_link_touch_id).

A session's ``deep_link`` is whatever URL opened the app. Property: any text
gives a touch id (a non-empty string taken from the link) or ``None``, never
an exception, never a hang.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from attrib.rules.matching import deep_link_touch_id
from tests.fuzz.budget import fuzz_settings, no_hang
from tests.fuzz.mutations import mutated_text

LINKS = [
    "myapp://promo?attrib_touch_id=t-1",
    "https://example.com/p?x=1&attrib_touch_id=t-2#frag",
    "myapp://promo#/deep?attrib_touch_id=t-3",
    "http://[::1]:80/?attrib_touch_id=t-4",
]
pieces = st.sampled_from(
    ["attrib_touch_id=", "?", "#", "&", "=", "%", "%2", "[", "]", "://", ";", "\x00", "\ud800"]
)


def check(link: str) -> None:
    with no_hang():
        found = deep_link_touch_id(link)
    assert found is None or (isinstance(found, str) and found)
    if found is not None:
        assert "attrib_touch_id" in link


def test_every_sample_link_names_its_click() -> None:
    assert [deep_link_touch_id(link) for link in LINKS] == ["t-1", "t-2", "t-3", "t-4"]


@fuzz_settings()
@given(link=st.sampled_from(LINKS).flatmap(lambda link: mutated_text(link, max_mutations=6)))
def test_a_mutated_deep_link_gives_an_id_or_none(link: str) -> None:
    check(link)


@fuzz_settings()
@given(link=st.lists(pieces | st.text(max_size=6), max_size=20).map("".join) | st.text())
def test_any_text_gives_an_id_or_none(link: str) -> None:
    check(link)
