"""The operator's view wired into the stream worker (imported by :mod:`attrib.views`).

- ``broker`` readiness check: a :class:`~attrib.ops.broker_monitor.BrokerMonitor`
  probing the cluster, run as a Faust service for the worker's lifetime;
- ``attrib_consumer_lag{source="faust"}``: the lag of every agent's partitions.
"""

from __future__ import annotations

from mode import Service

from attrib import readiness
from attrib.faust_app import app, settings
from attrib.ops import lag
from attrib.ops.broker_monitor import BrokerMonitor
from attrib.ops.broker_probe import KafkaProbe
from attrib.ops.faust_lag import faust_lag_source


class BrokerWatch(Service):
    """Probes the broker from the worker's start to its stop."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.probe = KafkaProbe(settings)
        self.monitor = BrokerMonitor(self.probe, settings.broker_unreachable_grace_s)

    async def on_start(self) -> None:
        self.add_future(self.monitor.run())

    async def on_stop(self) -> None:
        await self.probe.close()


broker_watch = BrokerWatch()
app.service(broker_watch)  # type: ignore[arg-type]
readiness.register("broker", broker_watch.monitor.check)

lag.register_lag_source("faust", faust_lag_source(app))
lag.install()
