"""Agent ``store-conversions``: file conversion-data answers by device id (R37)."""

from __future__ import annotations

from attrib import channels
from attrib.engine import wire
from attrib.faust_app import app
from attrib.tables.conversion_data import conversion_data


@app.agent(channels.conversion_updates, name="store-conversions", concurrency=1)
async def store_conversions(stream) -> None:  # type: ignore[no-untyped-def]
    async for event in stream.events():
        update = wire.decode_or_none(event.message.value, "ConversionUpdate")
        if update is None:
            continue
        conversion_data[update["key"].encode()] = update["answer_json"].encode()
