"""R36: push bodies (nulls omitted at every level, readable times) and their signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from attrib.delivery.push import (
    ATTRIBUTED_EVENT,
    ATTRIBUTION,
    REENGAGEMENT,
    format_time,
    push_body,
    sign,
)
from tests.delivery.records import attributed_event, attribution, organic, reengagement

TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$")


def _nulls(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_nulls(v) for v in value.values())
    if isinstance(value, list):
        return any(_nulls(v) for v in value)
    return False


def _times(value: Any) -> list[tuple[str, Any]]:
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k.endswith("_time"):
                out.append((k, v))
            out.extend(_times(v))
    elif isinstance(value, list):
        for v in value:
            out.extend(_times(v))
    return out


def test_time_format() -> None:
    assert format_time(1_767_225_600_123) == "2026-01-01 00:00:00.123"
    assert format_time(5) == "1970-01-01 00:00:00.005"


def test_install_body() -> None:
    body = json.loads(push_body(ATTRIBUTION, attribution()))
    assert body["event_name"] == "install"
    assert body["campaign_type"] == "ua"
    assert not _nulls(body)
    assert "idfa" not in body
    assert "campaign_id" not in body
    assert body["install_time"] == "2026-01-01 00:00:00.000"
    assert body["contributors"][0]["touch_time"] == "2025-12-31 23:58:00.000"
    assert "campaign" not in body["contributors"][0]
    assert all(TIME.match(v) for _, v in _times(body))
    assert body["ctit_seconds"] == 60  # not a time field


def test_event_names_and_campaign_types() -> None:
    cases = [
        (ATTRIBUTION, attribution(), "install", "ua"),
        (
            ATTRIBUTION,
            attribution(is_retargeting=True, conversion_type="reattribution"),
            "re-attribution",
            "retargeting",
        ),
        (ATTRIBUTION, organic(), "install", "organic"),
        (ATTRIBUTION, organic(conversion_type="reinstall"), "reinstall", "organic"),
        (
            ATTRIBUTION,
            attribution(conversion_type="reinstall", status="organic"),
            "reinstall",
            "organic",
        ),
        (
            ATTRIBUTION,
            attribution(conversion_type="blocked", status="blocked", blocked_reason="ip_blocklist"),
            "blocked-install",
            "ua",
        ),
        (
            ATTRIBUTION,
            organic(conversion_type="blocked", status="blocked", blocked_reason="ip_blocklist"),
            "blocked-install",
            "organic",
        ),
        (REENGAGEMENT, reengagement(), "re-engagement", "retargeting"),
        (ATTRIBUTED_EVENT, attributed_event(), "purchase", "ua"),
        (
            ATTRIBUTED_EVENT,
            attributed_event(attribution_kind="retargeting"),
            "purchase",
            "retargeting",
        ),
        (ATTRIBUTED_EVENT, attributed_event(media_source="organic"), "purchase", "organic"),
    ]
    for kind, record, name, ctype in cases:
        body = json.loads(push_body(kind, record))
        assert (body["event_name"], body["campaign_type"]) == (name, ctype), record


def test_reengagement_times() -> None:
    body = json.loads(push_body(REENGAGEMENT, reengagement()))
    assert TIME.match(body["reengagement_time"])
    assert TIME.match(body["touch_time"])
    assert "adset" not in body


def test_signature_is_hmac_sha256_of_the_body() -> None:
    body = push_body(ATTRIBUTION, attribution())
    expected = hmac.new(b"key", body, hashlib.sha256).hexdigest()
    assert sign(body, "key") == expected
    assert sign(body, "other") != expected


@given(st.dictionaries(st.text(min_size=1), st.one_of(st.none(), st.integers(0, 2**40), st.text())))
def test_no_null_survives(extra: dict[str, Any]) -> None:
    record = attributed_event(values={}, **{f"x_{k}": v for k, v in extra.items()})
    body = json.loads(push_body(ATTRIBUTED_EVENT, record))
    assert not _nulls(body)
    for key, value in _times(body):
        if isinstance(record.get(key), int):
            assert TIME.match(value), (key, value)
