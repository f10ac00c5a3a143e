"""Watches the intake group's progress on the touch topics (``attrib.engine.touch_watermark``).

A service of the worker, beside the intake: every :data:`CYCLE_S` it lists
the end offsets of every ``clicks``/``impressions`` partition and polls the
intake group's committed offsets until they reach them; then every touch
received before the cycle started is in ``touch-index`` and
``send_due_lookups`` may send the lookups of installs due until then.
Group-wide, so it holds with any number of workers: while a dead worker's
touch partitions wait for their new owner, lookups wait too.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from mode import Service

from attrib.agents import intake
from attrib.channels import names
from attrib.engine.clock import wall_ms
from attrib.engine.touch_watermark import TouchWatermark, touches_routed
from attrib.faust_app import app, settings
from attrib.kafka.client import make_consumer, security_kwargs
from attrib.settings import Settings

#: The shortest time between two cycles (a cycle: one ListOffsets, then OffsetFetch
#: requests until the intake's commits reach the listed ends).
CYCLE_S = 0.02
#: Between two polls of the committed offsets within one cycle.
POLL_S = 0.01
#: How often the touch topics' partitions are listed again.
DESCRIBE_EVERY_S = 30.0


class TouchWatermarkWatcher(Service):
    def __init__(
        self, settings: Settings, touch_topics: tuple[str, ...], group: str, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.touch_topics = touch_topics
        self.group = group
        self.watermark = TouchWatermark()
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self._coordinator: int | None = None
        self._failing = False
        self._opening = asyncio.Lock()

    async def on_start(self) -> None:
        self.add_future(self._run())

    async def _run(self) -> None:
        while not self.should_stop:
            try:
                await self._cycle()
                self._failing = False
            except Exception as exc:  # broker away, coordinator moved: start again
                if not self._failing:
                    self.log.warning("touch watermark not advancing: %s", exc)
                self._failing = True
                self._coordinator = None
                await self.sleep(1.0)

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        async with self._opening:  # the loop and the index snapshot timer both ask
            if self._admin is None:
                admin = AIOKafkaAdminClient(**security_kwargs(self.settings))
                try:
                    await admin.start()
                except Exception:
                    await admin.close()
                    raise
                self._admin = admin
            if self._offsets is None:
                offsets = make_consumer(self.settings)  # no group: only lists offsets
                try:
                    await offsets.start()
                except Exception:
                    await offsets.stop()
                    raise
                self._offsets = offsets
            return self._admin, self._offsets

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        """The end offsets of ``tps`` now, from the broker (ListOffsets): unlike a
        consumer's highwater, not as old as the last fetch of the partition."""
        _, offsets = await self._clients()
        return await offsets.end_offsets(tps)

    async def _partitions(self, admin: AIOKafkaAdminClient) -> list[TopicPartition]:
        described = await admin.describe_topics()  # all: naming one may auto-create it
        return [
            TopicPartition(topic["topic"], p["partition"])
            for topic in described
            if topic["topic"] in self.touch_topics
            for p in topic["partitions"]
        ]

    async def _cycle(self) -> None:
        admin, offsets = await self._clients()
        tps = await self._partitions(admin)
        described_ms = wall_ms()
        while not self.should_stop:
            taken = wall_ms()
            if taken - described_ms > DESCRIBE_EVERY_S * 1000:  # topics created or grown
                tps, described_ms = await self._partitions(admin), taken
            ends = await offsets.end_offsets(tps)
            starts: dict[TopicPartition, int] = {}
            while not self.should_stop:
                if self._coordinator is None:
                    self._coordinator = await admin.find_coordinator(self.group)
                fetched = await admin.list_consumer_group_offsets(
                    self.group, self._coordinator, tps
                )
                committed = {tp: meta.offset for tp, meta in fetched.items()}
                never = [tp for tp in tps if committed.get(tp, -1) < 0 and tp not in starts]
                if never:
                    starts.update(await offsets.beginning_offsets(never))
                if touches_routed(ends, committed, starts):
                    break
                await self.sleep(POLL_S)
            self.watermark.reached(taken)
            await self.sleep(max(0.0, CYCLE_S - (wall_ms() - taken) / 1000))

    async def on_stop(self) -> None:
        if self._offsets is not None:
            await self._offsets.stop()
        if self._admin is not None:
            await self._admin.close()


touch_watermark = TouchWatermarkWatcher(
    settings, (names.clicks, names.impressions), group=intake.GROUP
)
app.service(touch_watermark)  # type: ignore[arg-type]

__all__ = ["TouchWatermarkWatcher", "touch_watermark"]
