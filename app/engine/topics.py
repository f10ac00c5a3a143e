"""The names of the topics one worker reads and writes (no Faust: processors use names)."""

from __future__ import annotations

from dataclasses import dataclass

from attrib import topics
from attrib.settings import Settings


@dataclass(frozen=True, slots=True)
class EngineTopics:
    partitions: int
    # inputs (streams.md)
    clicks: str
    impressions: str
    installs: str
    sessions: str
    events: str
    # outputs (streams.md)
    attributions: str
    reengagements: str
    attributed_events: str
    dead_letter: str
    # internal: <faust app id>-<name>
    touch_index: str
    touch_lookup: str
    install_candidates: str
    device_inputs: str
    conversion_updates: str

    @classmethod
    def of(cls, settings: Settings) -> EngineTopics:
        internal = settings.faust_app_id
        return cls(
            partitions=settings.topic_partitions,
            clicks=settings.topic(topics.CLICKS),
            impressions=settings.topic(topics.IMPRESSIONS),
            installs=settings.topic(topics.INSTALLS),
            sessions=settings.topic(topics.SESSIONS),
            events=settings.topic(topics.EVENTS),
            attributions=settings.topic(topics.ATTRIBUTIONS),
            reengagements=settings.topic(topics.REENGAGEMENTS),
            attributed_events=settings.topic(topics.ATTRIBUTED_EVENTS),
            dead_letter=settings.topic(topics.DEAD_LETTER),
            touch_index=f"{internal}-touch-index",
            touch_lookup=f"{internal}-touch-lookup",
            install_candidates=f"{internal}-install-candidates",
            device_inputs=f"{internal}-device-inputs",
            conversion_updates=f"{internal}-conversion-updates",
        )

    @property
    def internal(self) -> tuple[str, ...]:
        """The engine's own topics between its agents: one idempotent producer writes
        them, never compacted, so their offsets are contiguous (offset_guard.py)."""
        return (
            self.touch_index,
            self.touch_lookup,
            self.install_candidates,
            self.device_inputs,
            self.conversion_updates,
        )

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.clicks, self.impressions, self.installs, self.sessions, self.events)
