"""CPU per in-app event against how many events its device remembers (R26), one core, no Kafka.

    .venv/bin/python bench/device_events.py [--remembered 0,30,300,3000] [--devices 200]

A device remembers the ids of its in-app events for the dedupe window (30 days
of event time, R26), and its ``devices`` entry is read and written at each of
its events. Two figures per size of that memory:

- **state alone**: the device entry's work per event as the device partition
  does it (decode the entry, check the id twice, remember it, encode the entry);
- **the processors**: an event of each device piped through
  :class:`~attrib.engine.simulation.EngineSimulation` (intake, device inputs,
  attribution, the entry read and written), batches of one event per device.

Each device also remembers a tenth as many sessions (ten events per session).
Both print the ratio to a device that remembers nothing, and the entry's bytes
per remembered event, its sessions' included (machine-independent). Before
DeviceState v4 the ids were Avro arrays (of longs, of session id strings),
decoded and encoded an element at a time in Python.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import engine  # bench/engine.py: its generated installs and app

from attrib.avro import codec
from attrib.config import validate_app_config
from attrib.engine import devices, wire
from attrib.engine.partitioning import partition_for
from attrib.engine.simulation import EngineSimulation
from attrib.keys import device_record_key
from attrib.rules.model import Decision

DAY = 86_400_000
T0 = 1_764_000_000_000


def event(device: dict[str, Any], n: int, event_time: int) -> dict[str, Any]:
    """The ``n``-th in-app event of the device that sent the ``device`` install."""
    shared = {field: device[field] for field in _EVENT_FIELDS_OF_INSTALL}
    return {
        **shared,
        "event_id": f"{device['event_id']}-event-{n}",
        "event_name": "purchase",
        "revenue": "1.99",
        "currency": "USD",
        "values": {},
        "event_time": event_time,
        "received_time": event_time,
    }


#: The fields an ``InAppEvent`` shares with the ``Install`` of its device.
_EVENT_FIELDS_OF_INSTALL = [
    f["name"]
    for f in codec.schema("InAppEvent")["fields"]
    if f["name"] in {g["name"] for g in codec.schema("Install")["fields"]}
]


def installs(count: int) -> list[dict[str, Any]]:
    """``count`` installs of distinct devices, as bench/engine.py generates them."""
    return [
        engine.install(i, f"38400000-8cf0-11bd-b23e-{i:012d}", f"10.0.{i // 250}.{i % 250}", T0)
        for i in range(count)
    ]


def remembering(state: dict[str, Any], n: int) -> dict[str, Any]:
    """``state`` remembering ``n`` events and a tenth as many sessions (a user with ten
    events per session), spread over the last 29 days."""
    if not n:
        return state
    step = 29 * DAY // n
    for k in range(n // 10):
        state = devices.apply_session(
            state, session_time=T0 + k * 10 * step, event_id=f"session-{k:08d}-{'0' * 27}"
        )
    ids = [f"old-{k}" for k in range(n)]
    return devices.remember_events(state, ids, [T0 + k * step for k in range(n)])


def state_alone(n: int, repeat: int) -> tuple[float, float]:
    """µs per event of the entry's own work, and the entry's bytes per remembered event
    (its sessions' included)."""
    base = devices.apply_decision(
        None,
        install_time=T0,
        decision=organic_decision(),
        event_id="install",
        attribution_id="a",
        attribution=b"x" * 400,
    )
    state = remembering(base, n)
    raw = wire.encode("DeviceState", state)
    now = T0 + 29 * DAY
    started = time.process_time()
    for k in range(repeat):
        current = wire.decode(raw, "DeviceState")
        event_id = f"new-{k}"
        if devices.event_seen(current, event_id) or devices.event_seen(current, event_id):
            raise AssertionError("a new event seen")
        wire.encode("DeviceState", devices.remember_events(current, [event_id], [now + k]))
    per_event = (time.process_time() - started) / repeat * 1e6
    base_size = len(wire.encode("DeviceState", base))
    return per_event, (len(raw) - base_size) / n if n else 0.0


def organic_decision() -> Decision:
    return Decision(conversion_type="install", status="organic")


def processors(n: int, device_count: int, rounds: int) -> float:
    """µs per event through the processors, for devices remembering ``n`` events."""
    config = validate_app_config(engine.APP, engine.app_body())
    sim = EngineSimulation({engine.APP: config}, start_ms=T0 + 30 * DAY, decision_delay_ms=0)
    devices_installed = installs(device_count)
    sim.pipe("installs", devices_installed)
    sim.advance(1_000)
    table = sim.tables.devices
    for record in devices_installed:
        key = device_record_key(engine.APP, record["device_key"])
        partition = partition_for(key, sim.topics.partitions)
        state = table.get(partition, key)
        assert state is not None, "install not decided"
        table.put(partition, key, remembering(state, n))
    sim._commit()
    batches = [
        [
            codec.encode("InAppEvent", event(d, r, T0 + 29 * DAY + r * 1_000))
            for d in devices_installed
        ]
        for r in range(rounds)
    ]
    started = time.process_time()
    for batch in batches:
        sim.pipe_raw("events", batch)
    cpu = time.process_time() - started
    attributed = len(sim.outputs["attributed-events"])
    assert attributed == device_count * rounds, f"{attributed} events attributed"
    return cpu / (device_count * rounds) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--remembered", default="0,30,300,3000")
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=500)
    args = parser.parse_args()
    sizes = [int(s) for s in args.remembered.split(",")]
    rows = []
    for n in sizes:
        print(f"  .. a device remembering {n:,} events", flush=True)
        alone, per_id = state_alone(n, args.repeat)
        through = processors(n, args.devices, args.rounds)
        rows.append((n, alone, through, per_id))
    _, alone0, through0, _ = rows[0]
    print()
    print("remembered  state alone µs  ratio  processors µs  ratio  entry bytes/event")
    for n, alone, through, per_id in rows:
        print(
            f"{n:>10,}  {alone:>13.1f}  {alone / alone0:>5.1f}  {through:>13.1f}"
            f"  {through / through0:>5.2f}  {per_id:>17.1f}"
        )


if __name__ == "__main__":
    main()
