"""Fuzzing the SDK and S2S JSON bodies: bytes -> JSON -> record -> Avro value.

Properties: any body is either accepted (a record that encodes) or refused
with a 4xx :class:`ApiError` naming the problem, never another exception (a
500) and never a hang. Bodies are random JSON built around the real field
names (any JSON type in any field, lone surrogates, huge and tiny numbers),
byte-level mutations of valid bodies, and random bytes.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from attrib.collector.encoding import encode_record
from attrib.collector.jsonbody import parse_json
from attrib.collector.s2s import _item_kind
from attrib.collector.sdk_records import KINDS, sdk_record
from attrib.web.errors import ApiError
from tests.fuzz.budget import fuzz_settings
from tests.fuzz.collector.outcomes import accepted_or_4xx
from tests.fuzz.mutations import mutated

NOW = 1_764_000_000_000
FIELDS = [
    "type", "event_id", "device", "platform", "app_version", "os_version", "timestamp",
    "install_referrer", "install_begin_ts", "deep_link", "referrer_touch_id", "event_name",
    "revenue", "currency", "values", "ip", "user_agent",
]  # fmt: skip
ID_KINDS = ["advertising_id", "idfa", "idfv", "android_id", "oaid"]
VALID = {
    "event_id": "7d3c6a1e-0a52-4a8e-9a43-7b8c5b8f2f10",
    "device": {"advertising_id": "38400000-8cf0-11bd-b23e-10b96e40000d"},
    "platform": "android",
    "timestamp": NOW - 1000,
    "install_begin_ts": NOW - 5000,
    "deep_link": "myapp://promo?attrib_touch_id=t-1#x",
    "event_name": "purchase",
    "revenue": "9.99",
    "currency": "USD",
    "values": {"level": 3, "items": [1, {"a": None}]},
}

# Text with surrogates (JSON may escape them) and digits of every script.
texts = st.text(st.characters(codec=None), max_size=40) | st.sampled_from(
    ["", " ", "0", "-1", "1e400", "NaN", "00000000-0000-0000-0000-000000000000", "\ud800"]
)
numbers = (
    st.integers(-(2**70), 2**70)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.sampled_from([Decimal("1E+999999"), Decimal("-0"), Decimal("1E-999999"), 10**400])
)
scalars = st.none() | st.booleans() | numbers | texts
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        **{name: json_values for name in FIELDS},
        "device": st.dictionaries(st.sampled_from(ID_KINDS) | texts, scalars, max_size=4)
        | json_values,
        "type": st.sampled_from([*KINDS, "other"]) | json_values,
    },
)


def record_or_4xx(kind: str, body: dict[str, Any]) -> None:
    def build() -> bytes:
        record = sdk_record(
            kind, body, app_id="com.example.game", received_ms=NOW, ip=None, user_agent=None
        )
        return encode_record(KINDS[kind][1], record)

    result = accepted_or_4xx(build)
    assert isinstance(result, bytes | ApiError)


def body_bytes_or_4xx(raw: bytes) -> None:
    document = accepted_or_4xx(lambda: parse_json(raw))
    if isinstance(document, ApiError):
        return
    if isinstance(document, dict):
        for kind in KINDS:
            record_or_4xx(kind, document)
    elif isinstance(document, list):  # an S2S batch: every item judged on its own
        for item in document[:20]:
            judged = accepted_or_4xx(lambda item=item: _item_kind(item))
            if not isinstance(judged, ApiError):
                record_or_4xx(judged[1], judged[0])


@fuzz_settings()
@given(kind=st.sampled_from(sorted(KINDS)), body=bodies)
def test_any_json_body_is_a_record_or_a_4xx(kind: str, body: dict[str, Any]) -> None:
    record_or_4xx(kind, body)


@fuzz_settings()
@given(
    raw=st.sampled_from([dict(VALID, type=kind) for kind in KINDS]).flatmap(
        lambda body: mutated(json.dumps(body).encode()) | mutated(json.dumps([body, body]).encode())
    )
)
def test_mutated_valid_bodies_are_records_or_4xx(raw: bytes) -> None:
    body_bytes_or_4xx(raw)


@fuzz_settings()
@given(
    raw=st.binary(max_size=200)
    | st.sampled_from([b"[" * 5000, b'{"a":' * 3000, b"-" + b"9" * 5000, b"1e999999999"])
    | st.text(max_size=200).map(str.encode)
)
def test_random_bytes_are_refused_with_a_4xx_or_judged(raw: bytes) -> None:
    body_bytes_or_4xx(raw)


@fuzz_settings()
@given(body=bodies)
def test_the_s2s_item_check_answers_4xx(body: dict[str, Any]) -> None:
    judged = accepted_or_4xx(lambda: _item_kind(body))
    if not isinstance(judged, ApiError):
        record_or_4xx(judged[1], judged[0])
