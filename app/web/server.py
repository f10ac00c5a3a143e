"""Running the collector: listen first, then connect to Kafka, stop gracefully.

The HTTP port opens before Kafka is reached so that ``/healthz`` answers and
``/readyz`` says *why* the process is not ready (Kubernetes keeps it out of
the Service until then). Connecting (ensuring the app-config topic and the
input topics the collector writes exist,
loading the cache, starting the writer) is retried until it succeeds or the
process is asked to stop: a collector started before its broker recovers by
itself.

Connections obey the limits of :mod:`attrib.web.limits` (how many, header
size, read and keep-alive timeouts).

On stop (SIGTERM, SIGINT) the listener closes, requests in flight finish,
then the producer flushes and the consumer closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Callable

from aiohttp import web

from attrib.kafka.client import ensure_topics
from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings
from attrib.topics import APP_CONFIG, INPUTS, topic_specs
from attrib.web.app import create_app
from attrib.web.limits import FrontDoorLimits, LimitedAppRunner

log = logging.getLogger(__name__)

CONNECT_RETRY_S = 2.0
SHUTDOWN_TIMEOUT_S = 10.0


async def connect_registry(
    settings: Settings, cache: AppConfigCache, writer: AppRegistryWriter
) -> None:
    """Ensure the app-config and input topics, load the cache and start the writer, retrying."""
    names = {settings.topic(short) for short in (APP_CONFIG, *INPUTS)}
    wanted = [spec for spec in topic_specs(settings) if spec.name in names]
    while True:
        try:
            await ensure_topics(settings, wanted)
            await cache.start()
            await writer.start()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("cannot reach Kafka at %s yet: %s", settings.kafka_bootstrap, exc)
            await asyncio.sleep(CONNECT_RETRY_S)


async def serve_collector(
    settings: Settings,
    *,
    host: str,
    port: int,
    stop: asyncio.Event | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve the collector on ``host:port`` until ``stop`` is set or SIGTERM/SIGINT arrives.

    ``announce`` is called with a one-line message when the port is open and
    again when the registry is connected (the CLI prints them).
    """
    say = announce or log.info
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    cache = AppConfigCache(settings)
    writer = AppRegistryWriter(settings, cache)
    app = create_app(settings, cache=cache, writer=writer)
    runner = LimitedAppRunner(
        app,
        limits=FrontDoorLimits.from_settings(settings),
        access_log=None,
        shutdown_timeout=SHUTDOWN_TIMEOUT_S,
    )
    await runner.setup()
    # What is alive now (modules, the app, its caches) lives as long as the
    # process: keep it out of the collector's full passes, which would
    # otherwise walk it again and again under load.
    gc.freeze()
    connecting: asyncio.Task[None] | None = None
    try:
        await web.TCPSite(runner, host, port).start()
        say(f"collector listening on http://{host}:{port}")
        connecting = asyncio.create_task(connect_registry(settings, cache, writer))

        def _connected(task: asyncio.Task[None]) -> None:
            if not task.cancelled() and task.exception() is None:
                say(f"collector ready: {len(cache)} app configuration(s) loaded")

        connecting.add_done_callback(_connected)
        await stop.wait()
        say("collector stopping")
    finally:
        if connecting is not None:
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connecting
        await runner.cleanup()
        await writer.stop()
        await cache.stop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)


__all__ = ["connect_registry", "serve_collector"]
