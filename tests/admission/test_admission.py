"""attrib.admission: the intake and the sink accept the same input records."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attrib.admission import INVALID_TIME, UNKNOWN_APP, SinkAdmission, input_refusal
from attrib.avro import codec
from attrib.avro.schemas import SchemaSet
from attrib.rules.eventtime import MAX_FUTURE_MS, MAX_PAST_MS
from tests.avro.conftest import _samples

NOW = 1_764_000_000_000
KNOWN = {"com.example.game"}


def known(app: str) -> bool:
    return app in KNOWN


def test_r3_bounds_are_inclusive_and_checked_before_the_app() -> None:
    assert input_refusal("com.example.game", NOW + MAX_FUTURE_MS, NOW, known) is None
    assert input_refusal("com.example.game", NOW - MAX_PAST_MS, NOW, known) is None
    late = input_refusal("nobody", NOW - MAX_PAST_MS - 1, NOW, known)
    assert late is not None
    assert late.reason == INVALID_TIME
    early = input_refusal("com.example.game", NOW + MAX_FUTURE_MS + 1, NOW, known)
    assert early is not None
    assert early.reason == INVALID_TIME


def test_r22_an_app_no_configuration_names_is_refused_by_name() -> None:
    refusal = input_refusal("com.example.other", NOW, NOW, known)
    assert refusal is not None
    assert (refusal.reason, refusal.detail) == (
        UNKNOWN_APP,
        "com.example.other",
    )


@pytest.mark.parametrize("name", ["Touch", "Session"])
@settings(max_examples=80, deadline=None)
@given(
    app=st.sampled_from(["com.example.game", "com.example.other"]),
    offset=st.integers(min_value=-2 * MAX_PAST_MS, max_value=2 * MAX_FUTURE_MS),
)
def test_the_sink_judges_an_encoded_value_as_the_intake_judges_its_record(
    name: str, app: str, offset: int
) -> None:
    record = dict(_samples()[name])
    field = "touch_time" if name == "Touch" else "event_time"
    record.update({"app_id": app, field: NOW + offset, "received_time": NOW})
    value = codec.encode(name, record)
    admission = SinkAdmission(SchemaSet.packaged(), known)
    assert admission.refusal(value, now_ms=0) == input_refusal(app, NOW + offset, NOW, known)


def test_a_value_without_a_receive_time_is_judged_against_the_given_clock() -> None:
    record = {**_samples()["Touch"], "touch_time": NOW - 1_000, "received_time": 0}
    admission = SinkAdmission(SchemaSet.packaged(), known)
    assert admission.refusal(codec.encode("Touch", record), now_ms=NOW) is None
    refusal = admission.refusal(codec.encode("Touch", record), now_ms=NOW + MAX_PAST_MS + 5_000)
    assert refusal is not None
    assert refusal.reason == INVALID_TIME


def test_records_it_does_not_judge_and_cut_values_are_left_to_the_decoder() -> None:
    admission = SinkAdmission(SchemaSet.packaged(), lambda app: False)
    attribution = codec.encode("Attribution", _samples()["Attribution"])
    assert admission.refusal(attribution, now_ms=NOW) is None
    touch = codec.encode("Touch", _samples()["Touch"])
    assert admission.refusal(touch, now_ms=NOW) is not None  # unknown app: refused
    assert admission.refusal(touch[:12], now_ms=NOW) is None  # cut: the decoder refuses it
