"""The topics of streams.md: names (with the deployment's prefix) and layout.

Input topics and output topics share the partition count so that every
stream keyed by ``app_id + device key`` is co-partitioned with the tables
keyed the same way (Faust reads a table partition only on the worker that
owns the same partition of the stream).
"""

from __future__ import annotations

from dataclasses import dataclass

from attrib.settings import Settings

CLICKS = "clicks"
IMPRESSIONS = "impressions"
INSTALLS = "installs"
SESSIONS = "sessions"
EVENTS = "events"
APP_CONFIG = "app-config"
ATTRIBUTIONS = "attributions"
REENGAGEMENTS = "reengagements"
ATTRIBUTED_EVENTS = "attributed-events"
POSTBACK_DELIVERIES = "postback-deliveries"
DEAD_LETTER = "dead-letter"

INPUTS = (CLICKS, IMPRESSIONS, INSTALLS, SESSIONS, EVENTS)
OUTPUTS = (ATTRIBUTIONS, REENGAGEMENTS, ATTRIBUTED_EVENTS, POSTBACK_DELIVERIES, DEAD_LETTER)
ALL = (*INPUTS, APP_CONFIG, *OUTPUTS)


@dataclass(frozen=True)
class TopicSpec:
    """What the platform needs of one topic when it creates it."""

    name: str
    partitions: int
    replication: int
    config: tuple[tuple[str, str], ...] = ()


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Every topic of streams.md with its partition count and configuration."""
    specs = []
    for short in ALL:
        config: tuple[tuple[str, str], ...] = ()
        partitions = settings.topic_partitions
        if short == APP_CONFIG:
            # Compacted: the latest configuration of each app is kept forever.
            config = (("cleanup.policy", "compact"), ("min.compaction.lag.ms", "0"))
            partitions = 1
        specs.append(
            TopicSpec(
                name=settings.topic(short),
                partitions=partitions,
                replication=settings.topic_replication,
                config=config,
            )
        )
    return specs
