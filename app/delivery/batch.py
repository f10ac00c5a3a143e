"""Finished attempts' records, written to Kafka in batches (R35's durability, cheaper).

An attempt's outcome is two records: its ``postback-deliveries`` record, then
its retry-topic value (the next attempt, or a tombstone). Writing and
awaiting them one attempt at a time cost the event loop more than the
request itself, so :class:`OutcomeBatcher` gathers the outcomes finished
within :data:`BATCH_WINDOW_S` (at most :data:`BATCH_MAX` of them) and writes
them together:

1. every ``postback-deliveries`` record of the batch is sent, and all their
   acknowledgements awaited;
2. only then every retry-topic value of the batch is sent, and awaited.

So, as one attempt at a time, no retry-topic value replaces an attempt's
entry before that attempt's ``postback-deliveries`` record is acknowledged:
a kill at any point leaves each attempt of the batch either still pending in
the retry topic (the next owner repeats it, with the same delivery id) or
recorded in both topics. :meth:`OutcomeBatcher.write` returns once its
outcome's batch is acknowledged, and raises if any record of it was not.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

#: ``send(topic, key, value, partition)``: queues one record, returns its acknowledgement.
Send = Callable[[str, bytes | None, bytes | None, int | None], Awaitable[Any]]
#: ``send_many([(topic, key, value, partition), ...])``: queues records, returns one
#: acknowledgement for all of them.
SendMany = Callable[[list[tuple[str, bytes | None, bytes | None, int | None]]], Awaitable[Any]]

#: Longest an outcome waits for others before its batch is written (seconds).
BATCH_WINDOW_S = 0.01
#: A batch is written as soon as it holds this many outcomes.
BATCH_MAX = 256


@dataclass(frozen=True, slots=True)
class Outcome:
    """The two records of one finished attempt."""

    delivery_key: bytes  # the postback-deliveries key (the app id)
    delivery_value: bytes  # the PostbackDelivery record
    retry_key: bytes  # the delivery id
    retry_value: bytes | None  # the next attempt, or None: a tombstone
    partition: int  # of the retry topic


class OutcomeBatcher:
    """Writes outcomes in batches; ``await write(outcome)`` returns once it is acknowledged."""

    def __init__(
        self,
        send: Send,
        *,
        deliveries_topic: str,
        retry_topic: str,
        window_s: float = BATCH_WINDOW_S,
        max_size: int = BATCH_MAX,
        send_many: SendMany | None = None,
    ) -> None:
        self.send = send
        self.send_many = send_many
        self.deliveries_topic = deliveries_topic
        self.retry_topic = retry_topic
        self.window_s = window_s
        self.max_size = max_size
        self._batch: list[Outcome] = []
        self._written: asyncio.Future[None] | None = None  # the open batch's
        self._timer: asyncio.TimerHandle | None = None
        self._writing: set[asyncio.Task[None]] = set()

    async def write(self, outcome: Outcome) -> None:
        """Add ``outcome`` to the open batch; return when that batch is acknowledged."""
        if self._written is None:
            loop = asyncio.get_running_loop()
            self._written = loop.create_future()
            self._written.add_done_callback(_retrieve)
            self._timer = loop.call_later(self.window_s, self.flush)
        written = self._written
        self._batch.append(outcome)
        if len(self._batch) >= self.max_size:
            self.flush()
        # shielded: one cancelled caller must not fail the others' batch
        await asyncio.shield(written)

    def flush(self) -> None:
        """Start writing the open batch now (it is written in the background)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._batch = self._batch, []
        written, self._written = self._written, None
        if written is None:
            return
        task = asyncio.create_task(self._write(batch, written), name="delivery outcomes")
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)

    async def _write(self, batch: list[Outcome], written: asyncio.Future[None]) -> None:
        send = self.send
        send_many = self.send_many
        try:
            if send_many is not None:  # one acknowledgement per step (cheaper)
                await send_many(
                    [(self.deliveries_topic, o.delivery_key, o.delivery_value, None) for o in batch]
                )
                await send_many(
                    [(self.retry_topic, o.retry_key, o.retry_value, o.partition) for o in batch]
                )
            else:
                await asyncio.gather(
                    *[
                        send(self.deliveries_topic, o.delivery_key, o.delivery_value, None)
                        for o in batch
                    ]
                )
                await asyncio.gather(
                    *[
                        send(self.retry_topic, o.retry_key, o.retry_value, o.partition)
                        for o in batch
                    ]
                )
        except Exception as exc:
            if not written.done():
                written.set_exception(exc)
        else:
            if not written.done():
                written.set_result(None)
        finally:  # cancelled: its callers must not wait forever
            if not written.done():
                written.set_exception(RuntimeError("the batch was not written"))


def _retrieve(future: asyncio.Future[None]) -> None:
    """Mark a batch's failure as seen, even when every caller has gone away."""
    if not future.cancelled():
        with contextlib.suppress(Exception):
            future.exception()


__all__ = ["BATCH_MAX", "BATCH_WINDOW_S", "Outcome", "OutcomeBatcher", "Send", "SendMany"]
