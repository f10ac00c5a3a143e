"""Record keys (attrib.keys): the co-partitioning contract between collector and workers."""

from __future__ import annotations

from attrib.keys import app_record_key, device_record_key, split_record_key, touch_record_key


def test_a_touch_with_a_device_has_the_same_key_as_that_device_s_install() -> None:
    install_key = device_record_key("com.example", "idfa:6d92078a-8246-4ba4-ae5b-76104861e7dc")
    touch_key = touch_record_key(
        "com.example", "idfa:6d92078a-8246-4ba4-ae5b-76104861e7dc", "01JD5ZC2X7AAAAAAAAAAAAAAAA"
    )
    assert touch_key == install_key == b"com.example|idfa:6d92078a-8246-4ba4-ae5b-76104861e7dc"


def test_a_touch_without_a_device_is_keyed_by_its_touch_id() -> None:
    assert touch_record_key("com.example", None, "TID") == b"com.example|TID"


def test_keys_split_back_into_app_and_rest() -> None:
    assert split_record_key(device_record_key("a.b", "oaid:x|y")) == ("a.b", "oaid:x|y")
    assert split_record_key(app_record_key("a.b")) == ("a.b", "")
