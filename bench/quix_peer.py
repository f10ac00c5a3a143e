"""The engine benchmark's peer: a Quix Streams last-click join of the same records.

What a team would otherwise pick for "join installs to the latest click of the
device": Quix Streams 3.x, ``StreamingDataFrame.join_asof`` (clicks written
to a RocksDB store with a changelog topic, each install joined to the latest
click of its key at or before its time), a processing guarantee of
at-least-once, results produced to an output topic. Both sides decode the
same single-object Avro values (decoding is part of any real peer's work).

It is simpler than Attrib's join (one key per record instead of three index
keys, no rules, no windows per network), so a ratio above 1 means Attrib does
more work per record faster. Run by ``bench/engine.py`` in the same
invocation, on the topics that run filled, in its own process (like the
worker)::

    .venv/bin/python bench/quix_peer.py BOOTSTRAP CLICKS INSTALLS OUTPUT GROUP STATE_DIR

Needs the optional ``bench`` extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from attrib.avro import codec


def _decode(value: bytes, *_: Any, **__: Any) -> dict[str, Any]:
    record = codec.decode(value)
    time_ms = record.get("touch_time") or record.get("event_time") or 0
    out: dict[str, Any] = {"t": time_ms}
    if "touch_id" in record:
        out.update(touch_id=record["touch_id"], media_source=record["media_source"])
    else:
        out.update(event_id=record["event_id"])
    return out


def run(bootstrap: str, clicks: str, installs: str, output: str, group: str, state: str) -> None:
    from quixstreams import Application
    from quixstreams.models.serializers import Deserializer

    class AvroValues(Deserializer):
        def __call__(self, value: bytes, ctx: Any) -> dict[str, Any]:
            return _decode(value)

    def event_time(value: Any, headers: Any, timestamp: int, kind: Any) -> int:
        return int(value["t"]) if isinstance(value, dict) else timestamp

    app = Application(
        broker_address=bootstrap,
        consumer_group=group,
        auto_offset_reset="earliest",
        state_dir=state,
        loglevel="WARNING",
        processing_guarantee="at-least-once",
    )

    def stream(name: str) -> Any:
        topic = app.topic(
            name,
            key_deserializer="bytes",
            value_deserializer=AvroValues(),
            timestamp_extractor=event_time,
        )
        return app.dataframe(topic)

    touches = stream(clicks)
    attributed = stream(installs).join_asof(
        touches, how="left", on_merge="keep-left", grace_ms=timedelta(days=30)
    )
    attributed.to_topic(app.topic(output, key_serializer="bytes", value_serializer="json"))
    app.run()


if __name__ == "__main__":
    run(*sys.argv[1:7])
