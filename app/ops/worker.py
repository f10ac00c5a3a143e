"""The operator's view wired into the stream worker (imported by :mod:`attrib.views`).

- ``broker`` readiness check: a :class:`~attrib.ops.broker_monitor.BrokerMonitor`
  probing the cluster, run as a Faust service for the worker's lifetime;
- ``attrib_consumer_lag{source="faust"}``: the lag of every agent's partitions;
- ``attrib_consumer_lag{source="intake"}``: the engine's bulk consumer of the
  input topics (``attrib.agents.intake``), from its assignment, the
  highwaters its fetches saw and the offsets it committed.
"""

from __future__ import annotations

from mode import Service

from attrib import readiness
from attrib.faust_app import app, settings
from attrib.ops import lag
from attrib.ops.broker_monitor import BrokerMonitor
from attrib.ops.broker_probe import KafkaProbe
from attrib.ops.faust_lag import faust_lag_source, lags_from_offsets


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


def intake_lag() -> dict[tuple[str, int], int]:
    # Imported when scraped: the agents are discovered after this module.
    from attrib.agents.intake import intake

    consumer = intake.consumer
    if consumer is None:
        return {}
    by_pair = {(tp.topic, tp.partition): tp for tp in consumer.assignment()}
    committed = {(tp.topic, tp.partition): offset for tp, offset in intake.positions.items()}
    return lags_from_offsets(by_pair, lambda pair: consumer.highwater(by_pair[pair]), committed)


lag.register_lag_source("faust", faust_lag_source(app))
lag.register_lag_source("intake", intake_lag)
lag.install()
