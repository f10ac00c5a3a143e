"""``attrib topics create``: create the Kafka topics of streams.md (idempotent)."""

from __future__ import annotations

import asyncio

import click

from attrib.kafka.client import ensure_topics
from attrib.settings import load_settings
from attrib.topics import topic_specs


@click.group()
def topics() -> None:
    """Manage the platform's Kafka topics."""


@topics.command()
def create() -> None:
    """Create every topic of streams.md that does not exist yet."""
    settings = load_settings()
    created = asyncio.run(ensure_topics(settings, topic_specs(settings)))
    for name in created:
        click.echo(f"created {name}")
    click.echo(f"{len(created)} created, {len(topic_specs(settings)) - len(created)} already there")
