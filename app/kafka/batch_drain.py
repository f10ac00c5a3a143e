"""Faust's drain loop, one wait per fetched batch instead of one per record.

Why (bench/README.md, "The drain loop"): Faust's consumer hands every fetched
record to the streams inside ``Service.wait_first(callback(message),
suspend_flow.wait())``, so that a rebalance can interrupt a delivery blocked
on a full stream buffer. ``wait_first`` wraps the delivery and three events
in four tasks and an ``asyncio.wait``: each record costs several turns of the
event loop, and each turn waits for whatever the agents run meanwhile. Under
load the loop delivered about a thousand records a second however idle it
was otherwise, and envelopes waited seconds in the fetcher's buffer before
any agent saw them (decisions at 300 installs/s + 3,000 touches/s: p50 5.2 s;
with this drain: 0.2 s).

:func:`drain_messages` keeps Faust's loop record for record (read offsets,
gaps, commits every ``broker_commit_every`` acknowledgements, a yield to the
loop every 100 records) but delivers a whole fetched batch inside one
``wait_first`` against ``suspend_flow``: a rebalance still cancels a blocked
delivery and drops the rest of the batch (as Faust's ``getmany`` does once
the flow stops), and a commit still runs outside the cancellable part.

:func:`install` replaces ``_drain_messages`` on Faust's consumer class. It is
written against faust-streaming 0.15's ``Consumer._drain_messages`` (the
version pyproject.toml pins); tests/kafka/test_batch_drain.py holds it to
that behaviour.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

#: Records delivered between two yields to the event loop (Faust's figure).
YIELD_EVERY = 100

#: What one delivery task ended with.
_EXHAUSTED = "exhausted"  # every record of the batch delivered
_COMMIT_DUE = "commit"  # ``broker_commit_every`` records acknowledged: commit, then go on


async def _deliver(consumer: Any, records: AsyncIterator[tuple[Any, Any]]) -> str:
    """Deliver records of one fetched batch until it ends or a commit is due."""
    callback = consumer.callback
    read_offset = consumer._read_offset
    commit_every = consumer._commit_every
    acks_enabled_for = consumer.app.topics.acks_enabled_for
    since_yield = 0
    async for tp, message in records:
        since_yield += 1
        if since_yield > YIELD_EVERY:
            await asyncio.sleep(0)
            since_yield = 0
        offset = message.offset
        r_offset = read_offset.get(tp)
        if r_offset is None or offset >= r_offset:
            gap = offset - (r_offset or 0)
            if gap > 1 and r_offset and acks_enabled_for(message.topic):
                await consumer._add_gap(tp, r_offset + 1, offset)
            await callback(message)
            read_offset[tp] = offset
            if commit_every is not None and consumer._n_acked >= commit_every:
                return _COMMIT_DUE
    return _EXHAUSTED


async def drain_messages(self: Any, fetcher: Any) -> None:
    """Faust's ``Consumer._drain_messages``, delivering each fetched batch in one task."""
    consumer_should_stop = self._stopped.is_set
    fetcher_should_stop = fetcher._stopped.is_set
    from faust.transport.consumer import CONSUMER_FETCHING  # Faust's diagnostic flag

    try:
        while not (consumer_should_stop() or fetcher_should_stop()):
            self.diag.set_flag(CONSUMER_FETCHING)
            records = self.getmany(timeout=1.0)
            # Faust's own yield: getmany may return at once, again and again.
            await self.sleep(0)
            while not self.should_stop:
                outcome = await self.wait_first(_deliver(self, records), self.suspend_flow.wait())
                if outcome.stopped or not outcome.results or outcome.results[0] != _COMMIT_DUE:
                    break  # the batch is delivered, or the flow stopped (rebalance, stop)
                self._n_acked = 0
                await self.commit()
            self.diag.unset_flag(CONSUMER_FETCHING)
    except self.consumer_stopped_errors:
        if self.transport.app.should_stop:
            self.log.info("Broker stopped consumer, shutting down...")
            return
        raise
    except asyncio.CancelledError:
        if self.transport.app.should_stop:
            self.log.info("Consumer shutting down for user cancel.")
            return
        raise
    except Exception as exc:
        self.log.exception("Drain messages raised: %r", exc)
        raise
    finally:
        self.diag.unset_flag(CONSUMER_FETCHING)


def install(consumer_class: type) -> None:
    """Make ``consumer_class`` (Faust's consumer) drain with :func:`drain_messages`. Idempotent."""
    if getattr(consumer_class, "_attrib_batch_drain", False):
        return
    consumer_class._drain_messages = drain_messages  # type: ignore[attr-defined]
    consumer_class._attrib_batch_drain = True  # type: ignore[attr-defined]
