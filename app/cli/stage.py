"""What the commands running one stage on its own share (``attrib sink``, ``deliver``,
``archive``): the ``--metrics-port`` option, and running a service until SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click

if TYPE_CHECKING:
    from attrib.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def metrics_port_option(command: F) -> F:
    """``--metrics-port``: serve Prometheus /metrics on this port (0: off)."""
    option = click.option(
        "--metrics-port",
        type=int,
        default=0,
        show_default=True,
        help="Serve Prometheus /metrics on this port (0: off).",
    )
    return option(command)  # type: ignore[no-any-return]


def serve_metrics(settings: Settings, port: int) -> None:
    """Serve this process's Prometheus metrics on ``port`` (nothing when 0)."""
    if port:
        from prometheus_client import start_http_server

        start_http_server(port, addr=settings.worker_host)


class Service(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def run_until_signalled(make: Callable[[], Service]) -> None:
    """Make the service (inside the event loop: its clients bind to it), start it, wait
    for SIGTERM or SIGINT, then stop it."""
    service = make()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await service.start()
    await stop.wait()
    await service.stop()
