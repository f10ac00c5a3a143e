"""attrib.replay.redecide.order: inputs go in the order the platform received them (R4)."""

from __future__ import annotations

from attrib.avro import codec
from attrib.replay.records import ArchivedRecord
from attrib.replay.redecide import order
from tests.engine.harness import install_record, touch_record

APP = "com.example.order"
T0 = 1_780_000_000_000


def archived(topic: str, name: str, record: dict, offset: int) -> ArchivedRecord:
    return ArchivedRecord(topic, 0, offset, T0, None, codec.encode(name, record))


def test_receive_time_orders_and_event_time_stands_in_when_there_is_none() -> None:
    ids = {"advertising_id": "38400000-8cf0-11bd-b23e-10b96e40000d"}
    # An old click received late, an install received before it, and a touch whose
    # producer left received_time 0 (its event time counts).
    late_click = touch_record(APP, touch_time=T0 - 3_600_000, ids=ids)
    late_click["received_time"] = T0 + 5_000
    install = install_record(APP, install_time=T0, ids=ids, received_time=T0 + 100)
    unstamped = touch_record(APP, touch_time=T0 + 1_000, ids=ids)
    unstamped["received_time"] = 0
    inputs = order(
        [
            archived("clicks", "Touch", late_click, 0),
            archived("installs", "Install", install, 0),
            archived("clicks", "Touch", unstamped, 1),
        ]
    )
    assert [(i.topic, i.time) for i in inputs] == [
        ("installs", T0 + 100),
        ("clicks", T0 + 1_000),
        ("clicks", T0 + 5_000),
    ]
