"""Identifier validity, device key and matching by id (streams.md, R6, R7)."""

from __future__ import annotations

import pytest

from attrib.identifiers import (
    conflicting_id,
    device_key,
    ids_match,
    normalise_identifier,
    normalise_identifiers,
)

GAID = "38400000-8CF0-11BD-B23E-10B96E40000D"
IDFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"


def test_device_ids_are_stripped_and_lowercased() -> None:
    assert normalise_identifiers(
        {"advertising_id": f"  {GAID} \n", "android_id": " ABCDEF01 "}
    ) == {
        "advertising_id": GAID.lower(),
        "android_id": "abcdef01",
    }


@pytest.mark.parametrize("value", ["", "   ", "\t"])
def test_empty_values_are_invalid(value: str) -> None:
    assert normalise_identifier("android_id", value) is None


@pytest.mark.parametrize("value", ["unknown", "UNKNOWN", " Unknown ", "null", "NULL"])
@pytest.mark.parametrize("kind", ["advertising_id", "idfa", "idfv", "android_id", "oaid"])
def test_placeholders_are_invalid(kind: str, value: str) -> None:
    assert normalise_identifier(kind, value) is None


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("idfa", "00000000-0000-0000-0000-000000000000"),
        ("advertising_id", "00000000-0000-0000-0000-000000000000"),
        ("idfv", "00000000-0000-0000-0000-000000000000"),
        ("android_id", "0000000000000000"),
        ("oaid", "0"),
        ("oaid", "00000000-0000-0000-0000-000000000000"),
    ],
)
def test_all_zero_values_are_invalid(kind: str, value: str) -> None:
    assert normalise_identifier(kind, value) is None


@pytest.mark.parametrize(
    "value",
    [
        "38400000-8cf0-11bd-b23e-10b96e40000",  # one digit short
        "38400000-8cf0-11bd-b23e-10b96e40000dd",  # one digit long
        "384000008cf011bdb23e10b96e40000d",  # no dashes
        "38400000-8cf0-11bd-b23e-10b96e40000g",  # not hex
        "{38400000-8cf0-11bd-b23e-10b96e40000d}",
        "abc",
    ],
)
@pytest.mark.parametrize("kind", ["advertising_id", "idfa", "idfv"])
def test_malformed_uuids_are_invalid_for_uuid_types(kind: str, value: str) -> None:
    assert normalise_identifier(kind, value) is None


@pytest.mark.parametrize("kind", ["android_id", "oaid"])
def test_non_uuid_types_accept_any_other_text(kind: str) -> None:
    assert normalise_identifier(kind, "9774D56D682E549C") == "9774d56d682e549c"


def test_non_string_values_and_unknown_types_are_dropped() -> None:
    raw = {"android_id": 12345, "idfa": None, "platform": "ios", "imei": "35-209900-176148-1"}
    assert normalise_identifiers(raw) == {}


def test_customer_user_id_is_trimmed_but_keeps_its_case() -> None:
    assert normalise_identifiers({"customer_user_id": "  User-42 "}) == {
        "customer_user_id": "User-42"
    }


@pytest.mark.parametrize("value", ["", " ", "null", "Unknown"])
def test_customer_user_id_placeholders_are_dropped(value: str) -> None:
    assert normalise_identifiers({"customer_user_id": value}) == {}


def test_device_key_takes_the_first_valid_id_in_priority_order() -> None:
    ids = normalise_identifiers(
        {"oaid": "oaid-1", "android_id": "a1", "idfv": IDFA, "customer_user_id": "u"}
    )
    assert device_key(ids) == f"idfv:{IDFA.lower()}"
    assert device_key(normalise_identifiers({"advertising_id": GAID, "idfa": IDFA})) == (
        f"advertising_id:{GAID.lower()}"
    )


def test_device_key_skips_an_invalid_higher_priority_id() -> None:
    ids = normalise_identifiers({"idfa": "00000000-0000-0000-0000-000000000000", "idfv": IDFA})
    assert device_key(ids) == f"idfv:{IDFA.lower()}"


def test_device_key_is_none_without_a_device_id() -> None:
    assert device_key(normalise_identifiers({"customer_user_id": "u-1", "idfa": "unknown"})) is None


def test_ids_match_on_a_shared_value_of_the_same_type() -> None:
    a = normalise_identifiers({"advertising_id": GAID, "android_id": "a1"})
    b = normalise_identifiers({"advertising_id": GAID.lower(), "android_id": "zz"})
    assert ids_match(a, b) == "advertising_id"


def test_ids_do_not_match_across_types() -> None:
    assert ids_match({"android_id": "abc"}, {"oaid": "abc"}) is None


def test_idfv_and_customer_user_id_never_match() -> None:
    same = {"idfv": IDFA.lower(), "customer_user_id": "u-1"}
    assert ids_match(same, dict(same)) is None


def test_an_invalid_idfa_never_matches_because_it_is_dropped() -> None:
    zeros = normalise_identifiers({"idfa": "00000000-0000-0000-0000-000000000000"})
    assert ids_match(zeros, zeros) is None


def test_conflicting_id_names_a_shared_type_with_different_values() -> None:
    assert conflicting_id({"android_id": "a1"}, {"android_id": "a2"}) == "android_id"
    assert conflicting_id({"android_id": "a1"}, {"android_id": "a1"}) is None
    assert conflicting_id({"android_id": "a1"}, {"oaid": "o1"}) is None
