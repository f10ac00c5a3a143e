"""The local broker's cluster id never looks like a command-line option."""

from __future__ import annotations

import uuid

import pytest

from attrib.local import kafka


def test_an_id_starting_with_a_dash_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # 0xF8 encodes as "-" first in URL-safe base64: the storage tool would read "-..." as
    # an option (argparse: "--cluster-id expected one argument") and refuse to format.
    drawn = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x01" + bytes(15))])
    monkeypatch.setattr(kafka.uuid, "uuid4", lambda: next(drawn))
    cluster_id = kafka._kafka_uuid()
    assert cluster_id == "AQAAAAAAAAAAAAAAAAAAAA"
    assert not cluster_id.startswith("-")


def test_ids_are_22_url_safe_characters() -> None:
    ids = {kafka._kafka_uuid() for _ in range(2000)}
    assert len(ids) == 2000
    for cluster_id in ids:
        assert len(cluster_id) == 22
        assert not cluster_id.startswith("-")
        assert set(cluster_id) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )
