"""parse_json: exact numbers, refusals as 400 naming the body, and the scanner fast path."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attrib.collector.jsonbody import parse_json
from attrib.web.errors import ApiError

# Any JSON document, with the standard library's own reading as the reference.
_documents = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.decimals(allow_nan=False, allow_infinity=False, places=3)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
_space = st.sampled_from(["", " ", "\n", "\t \r\n"])


def _reference(text: str) -> object:
    return json.loads(text, parse_float=Decimal)


@settings(max_examples=300, deadline=None)
@given(document=_documents, before=_space, after=_space)
def test_reads_every_document_as_the_standard_decoder_does(
    document: object, before: str, after: str
) -> None:
    text = before + json.dumps(document, default=str) + after
    assert parse_json(text.encode()) == _reference(text)


def test_non_integer_numbers_stay_exact() -> None:
    parsed = parse_json(b'{"revenue": 9.99, "n": 3, "big": 1e400}')
    assert parsed == {"revenue": Decimal("9.99"), "n": 3, "big": Decimal("1e400")}
    assert isinstance(parsed["revenue"], Decimal)  # type: ignore[index]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1} {"b": 2}',  # extra data after the document
        b'{"a": 1} x',
        b"[1, 2",  # cut off
        b'{"a": NaN}',  # Python's json accepts it, JSON does not
        b"Infinity",
        b" -Infinity ",
        b"{'a': 1}",
        b"\xff\xfe{}",  # not UTF-8
        b'  {"a": }',
    ],
)
def test_what_is_not_one_json_document_is_invalid_json(raw: bytes) -> None:
    with pytest.raises(ApiError) as caught:
        parse_json(raw)
    assert caught.value.status == 400
    assert caught.value.code == "invalid_json"
    assert caught.value.extra == {"field": "body"}


@pytest.mark.parametrize("raw", [b"", b"   ", b"\n\t"])
def test_an_empty_body_says_so(raw: bytes) -> None:
    with pytest.raises(ApiError, match="empty"):
        parse_json(raw)
