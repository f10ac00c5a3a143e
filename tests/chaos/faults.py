"""The fault schedule of a chaos run: one fault every ``fault_interval`` s while the load runs.

Kinds (``ChaosPlan.faults`` cycles through them):

- ``worker``: SIGKILL a worker (round robin over the workers), restart it at
  once; its RocksDB folder deleted first on the plan's kills
  (``delete_rocksdb``);
- ``sink``: SIGKILL ``attrib sink``, restart it at once;
- ``deliver``: SIGKILL ``attrib deliver`` (``separate_delivery``), restart it
  at once;
- ``broker``: stop the (private) Kafka broker, start it again
  ``broker_down_s`` later;
- ``clickhouse``: SIGKILL the (private) ClickHouse endpoint, start it again
  ``clickhouse_down_s`` later;
- ``receiver``: the postback/push receiver down, then answering 503, then slow
  (longer than the delivery timeout), in turn, for ``receiver_fault_s``.

A fault that lasts (an outage) runs in the background, so the schedule keeps
its pace. Recovery is measured per fault: for the worker and the broker,
until every partition of ``attributions`` produced a decision again (filled
in after the load, from the decision tail); for the sink and ClickHouse,
until the ``attributions`` table grows again; for ``attrib deliver``, until
the receiver answers a new delivery 2xx.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from attrib.analytics import clickhouse
from attrib.settings import Settings
from tests.chaos.plan import ChaosPlan
from tests.chaos.report import Fault, Report
from tests.chaos.roles import Role
from tests.chaos.services import PrivateBroker, PrivateClickHouse
from tests.delivery.receivers import Receiver

RECEIVER_MODES = ("down", "503", "slow")


@dataclass
class Stack:
    """What the faults act on."""

    settings: Settings
    workers: list[Role]
    sink: Role | None
    broker: PrivateBroker | None
    clickhouse: PrivateClickHouse | None
    receiver: Receiver
    deliver: Role | None = None


class FaultSchedule:
    def __init__(self, plan: ChaosPlan, stack: Stack, report: Report) -> None:
        self.plan = plan
        self.stack = stack
        self.report = report
        #: Faults whose recovery is read from the decision tail: (fault, since wall ms).
        self.by_decisions: list[tuple[Fault, int]] = []
        self._background: list[asyncio.Task[None]] = []
        self._worker_kills = 0
        self._receiver_faults = 0

    async def run(self, loading: asyncio.Task[None]) -> None:
        kinds = self.plan.faults
        n = 0
        while True:
            try:
                await asyncio.wait_for(asyncio.shield(loading), self.plan.fault_interval)
                break
            except TimeoutError:
                pass
            kind = kinds[n % len(kinds)]
            n += 1
            await getattr(self, f"_{kind}")()
        await asyncio.gather(*self._background)

    # ---- the kinds -------------------------------------------------------------------
    async def _worker(self) -> None:
        workers = self.stack.workers
        role = workers[self._worker_kills % len(workers)]
        self._worker_kills += 1
        role.kill()
        detail = f" {role.name.removeprefix('worker').strip()}".rstrip()
        delete = {"once": self._worker_kills == 2, "every": True}.get(
            self.plan.delete_rocksdb, False
        )
        if delete:
            shutil.rmtree(rocksdb_dir(role), ignore_errors=True)
            detail += " + RocksDB deleted"
        restarted = time.time()
        role.start()
        self._by_decisions("SIGKILL worker", restarted, detail)

    async def _sink(self) -> None:
        sink = self.stack.sink
        assert sink is not None, "a sink fault needs separate_sink"
        sink.kill()
        rows_before = await asyncio.to_thread(raw_rows, self.stack.settings)
        sink.start()
        fault = self._fault("SIGKILL sink", time.time())
        self._background.append(asyncio.create_task(self._rows_grow(fault, rows_before)))

    async def _deliver(self) -> None:
        deliver = self.stack.deliver
        assert deliver is not None, "a deliver fault needs separate_delivery"
        deliver.kill()
        delivered_before = delivered_2xx(self.stack.receiver)
        deliver.start()
        fault = self._fault("SIGKILL deliver", time.time())
        self._background.append(asyncio.create_task(self._deliveries_grow(fault, delivered_before)))

    async def _broker(self) -> None:
        broker = self.stack.broker
        assert broker is not None, "a broker fault needs the private services"
        down = self.plan.broker_down_s

        async def outage() -> None:
            await broker.stop()
            await asyncio.sleep(down)
            await broker.start()
            self._by_decisions(f"broker stopped {down:.0f} s", time.time())

        self._background.append(asyncio.create_task(outage()))

    async def _clickhouse(self) -> None:
        server = self.stack.clickhouse
        assert server is not None, "a ClickHouse fault needs the private services"
        down = self.plan.clickhouse_down_s

        async def outage() -> None:
            rows_before = await asyncio.to_thread(raw_rows, self.stack.settings)
            server.kill()
            await asyncio.sleep(down)
            await server.start()
            fault = self._fault(f"ClickHouse down {down:.0f} s", time.time())
            await self._rows_grow(fault, rows_before)

        self._background.append(asyncio.create_task(outage()))

    async def _receiver(self) -> None:
        receiver = self.stack.receiver
        mode = RECEIVER_MODES[self._receiver_faults % len(RECEIVER_MODES)]
        self._receiver_faults += 1
        lasts = self.plan.receiver_fault_s
        self._fault(f"receiver {mode} {lasts:.0f} s", time.time())

        async def outage() -> None:
            if mode == "down":
                port = receiver.port
                await receiver.stop()
                await asyncio.sleep(lasts)
                await receiver.start(port)
            elif mode == "503":
                receiver.default = 503
                await asyncio.sleep(lasts)
                receiver.default = 200
            else:
                receiver.delay = self.plan.receiver_slow_s
                await asyncio.sleep(lasts)
                receiver.delay = 0.0

        self._background.append(asyncio.create_task(outage()))

    # ---- recovery --------------------------------------------------------------------
    def _fault(self, kind: str, at: float, detail: str = "") -> Fault:
        fault = Fault(kind, at, detail)
        self.report.faults.append(fault)
        return fault

    def _by_decisions(self, kind: str, at: float, detail: str = "") -> None:
        self.by_decisions.append((self._fault(kind, at, detail), int(at * 1000)))

    async def _rows_grow(self, fault: Fault, rows_before: int, within: float = 180) -> None:
        """From ``fault.at`` until ``attributions`` has more rows than ``rows_before``."""
        while time.time() - fault.at < within:
            if await asyncio.to_thread(raw_rows, self.stack.settings) > rows_before:
                fault.recovery_s = time.time() - fault.at
                return
            await asyncio.sleep(0.2)

    async def _deliveries_grow(self, fault: Fault, before: int, within: float = 180) -> None:
        """From ``fault.at`` until the receiver answered more deliveries 2xx than ``before``."""
        while time.time() - fault.at < within:
            if delivered_2xx(self.stack.receiver) > before:
                fault.recovery_s = time.time() - fault.at
                return
            await asyncio.sleep(0.1)


def delivered_2xx(receiver: Receiver) -> int:
    return sum(1 for _, status in list(receiver.answered) if 200 <= status < 300)


def rocksdb_dir(worker: Role) -> Path:
    return Path(worker.env["ATTRIB_DATA_DIR"]) / "worker" / "tables"


def raw_rows(settings: Settings) -> int:
    """Rows of ``attributions`` (without FINAL); -1 while the endpoint does not answer."""
    try:
        client = clickhouse.connect(settings)
    except Exception:
        return -1
    try:
        table = f"`{settings.clickhouse_database}`.attributions"
        return int(client.command(f"SELECT count() FROM {table}"))
    except Exception:
        return -1
    finally:
        client.close()
