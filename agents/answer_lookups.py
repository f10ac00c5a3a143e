"""Agent ``answer-lookups``: answer the lookups of installs and sessions from the touch index.

Consumes ``LookupBatch`` envelopes of ``touch-lookup`` (co-partitioned with
the ``touches-by-key`` table: a lookup is sent to its key's partition) and
sends, per install partition, one ``CandidateBatch`` to
``install-candidates``: every touch filed under the key that is not after
the install or session (R2), inside the key's horizon and after the
lookup's ``newer_than`` (a session asks for clicks after the install only).
Every lookup gets an answer, empty or not, so the decision knows when it has
them all.
"""

from __future__ import annotations

from attrib import channels
from attrib.engine import touch_lists, wire
from attrib.engine.batching import by_partition
from attrib.engine.metrics import RECORDS_CONSUMED
from attrib.faust_app import app, settings
from attrib.tables.touch_index import touches_by_key


@app.agent(channels.touch_lookup, name="answer-lookups", concurrency=1)
async def answer_lookups(stream) -> None:  # type: ignore[no-untyped-def]
    async for event in stream.events():
        batch = wire.decode(event.message.value, "LookupBatch")
        RECORDS_CONSUMED.labels(event.message.topic).inc(len(batch["lookups"]))
        answers: list[tuple[str, dict]] = []
        for lookup in batch["lookups"]:
            key = lookup["key"]
            value = touches_by_key.get(key.encode())
            touches: list[bytes] = []
            if value is not None:
                listed = wire.decode(value, "TouchList")["entries"]
                touches = touch_lists.candidates(
                    ((e["touch_id"], e["touch_time"], e["touch"]) for e in listed),
                    install_time=lookup["install_time"],
                    key=key,
                    newer_than=lookup["newer_than"],
                )
            answers.append(
                (
                    lookup["install_key"],
                    {
                        "install_key": lookup["install_key"],
                        "event_id": lookup["event_id"],
                        "key": key,
                        "touches": touches,
                    },
                )
            )
        await channels.send_envelopes(
            channels.install_candidates,
            "CandidateBatch",
            "answers",
            by_partition(answers, settings.topic_partitions),
        )
