"""Fuzzing tracking-link parameters: query string -> Touch record -> Avro value.

Query strings are parsed as aiohttp parses a request's (yarl), so
percent-encoded invalid UTF-8, repeated and empty parameters reach the
record builder as they would in the collector. Properties: a touch that
encodes, or a 4xx :class:`ApiError` naming the parameter; nothing else.
"""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st
from multidict import MultiDictProxy
from yarl import URL

from attrib.avro.records import TOUCH
from attrib.collector.encoding import encode_record
from attrib.collector.fields import param_flag
from attrib.collector.touches import TEXT_PARAMS, touch_record
from attrib.identifiers import TOUCH_ID_TYPES
from attrib.web.errors import ApiError
from tests.fuzz.budget import fuzz_settings
from tests.fuzz.collector.outcomes import accepted_or_4xx
from tests.fuzz.mutations import mutated_text

NOW = 1_764_000_000_000
PARAMS = [
    "pid", "is_retargeting", "af_click_lookback", "af_viewthrough_lookback", "ts", "redirect",
    *(name for _, name in TEXT_PARAMS), *TOUCH_ID_TYPES,
]  # fmt: skip
VALID = (
    "pid=netA&c=spring&af_c_id=c-1&af_adset=as&af_ad=banner&af_siteid=s9&clickid=n77"
    "&advertising_id=38400000-8cf0-11bd-b23e-10b96e40000d&is_retargeting=true"
    "&af_click_lookback=7d&af_viewthrough_lookback=12h&ts=1763999999000&redirect=false"
)
values = st.text(st.characters(codec=None), max_size=30) | st.sampled_from(
    ["", "0", "1", "true", "7d", "0h", "99999999999d", "-1d", "1e9", "%ED%A0%80", "%FF", "x" * 1100]
)


def query_of(text: str) -> MultiDictProxy[str]:
    return URL("/v1/click/com.example.game?" + text).query


def touch_or_4xx(params: MultiDictProxy[str]) -> bytes | ApiError:
    def build() -> bytes:
        param_flag(params, "redirect", True)
        record = touch_record(
            params,
            app_id="com.example.game",
            touch_type="click",
            touch_id="t-1",
            received_ms=NOW,
            ip=None,
            user_agent=None,
        )
        return encode_record(TOUCH, record)

    result = accepted_or_4xx(build)
    assert isinstance(result, bytes | ApiError)
    return result


def test_the_valid_link_is_a_touch() -> None:
    assert isinstance(touch_or_4xx(query_of(VALID)), bytes)


@fuzz_settings()
@given(
    pairs=st.lists(st.tuples(st.sampled_from(PARAMS) | st.text(max_size=8), values), max_size=12),
    encode=st.booleans(),
)
def test_any_parameters_are_a_touch_or_a_4xx(pairs: list[tuple[str, str]], encode: bool) -> None:
    if encode:
        text = "&".join(
            f"{quote(k, safe='')}={quote(v, safe='', errors='surrogatepass')}" for k, v in pairs
        )
    else:
        text = "&".join(f"{k}={v}" for k, v in pairs)
    touch_or_4xx(query_of(text))


@fuzz_settings()
@given(text=mutated_text(VALID, max_mutations=6))
def test_a_mutated_link_is_a_touch_or_a_4xx(text: str) -> None:
    touch_or_4xx(query_of(text.encode("utf-8", "surrogateescape").decode("latin-1")))
