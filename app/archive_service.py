"""The archiver inside the worker process (docs/archive.md).

Off by default: an archive needs a destination chosen for it (object storage
in production). ``ATTRIB_WORKER_ARCHIVE=true`` runs it here, in a thread of
its own, for the worker's lifetime; ``attrib archive`` runs it as its own
Deployment instead.
"""

from __future__ import annotations

from mode import Service

from attrib.archive.service import ArchiveService
from attrib.faust_app import app, settings


class WorkerArchive(Service):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.archive = ArchiveService(settings)

    async def on_start(self) -> None:
        await self.archive.start()

    async def on_stop(self) -> None:
        await self.archive.stop()


if settings.worker_archive is True:
    worker_archive = WorkerArchive()
    app.service(worker_archive)  # type: ignore[arg-type]
