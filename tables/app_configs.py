"""App configurations as every worker sees them: an in-memory replicated table.

Each worker reads the whole compacted ``app-config`` topic through
:class:`attrib.registry.AppConfigCache` (no consumer group, all partitions),
the same reader the collector uses, so a change made through the admin API
is visible to every worker within a second. Readiness waits for the initial
load. Agents read it with ``app_configs.get(app_id)``; R22: the configuration
in force when a decision is made applies.
"""

from __future__ import annotations

from mode import Service

from attrib import readiness
from attrib.config import AppConfig
from attrib.faust_app import app, settings
from attrib.registry import AppConfigCache


class AppConfigTable(Service):
    """Runs the cache for the worker's lifetime; never blocks the worker's start."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.cache = AppConfigCache(settings)

    async def on_start(self) -> None:
        self.add_future(self._load())

    async def _load(self) -> None:
        # The topic may not exist yet on a fresh cluster: retry until it does.
        while not self.should_stop:
            try:
                await self.cache.start()
                return
            except Exception as exc:  # RegistryUnavailable, broker not reachable yet
                self.log.warning("app-config not loaded yet: %s", exc)
                await self.sleep(1.0)

    async def on_stop(self) -> None:
        await self.cache.stop()

    def get(self, app_id: str) -> AppConfig | None:
        return self.cache.get(app_id)


app_configs = AppConfigTable()
app.service(app_configs)  # type: ignore[arg-type]


def _ready() -> tuple[bool, str]:
    if app_configs.cache.loaded:
        return True, f"{len(app_configs.cache)} apps loaded"
    return False, "loading app-config"


readiness.register("app_config", _ready)
