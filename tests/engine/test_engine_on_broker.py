"""The attribution join on the real broker: records in, decisions out.

Each test runs a real ``attrib worker`` process with its own topics and
state, produces Avro touches and installs as the collector would, and reads
the decisions from ``attributions``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import time
import uuid
from pathlib import Path

import pytest

from tests.engine.harness import (
    ANDROID_APP,
    WorkerProcess,
    index_entries,
    install_record,
    now_ms,
    produce_installs,
    produce_raw,
    produce_touches,
    read_records,
    setup_deployment,
    touch_record,
    wait_indexed,
)

pytestmark = pytest.mark.integration

HOUR = 3_600_000


def _gaid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def app_id() -> str:
    return "com.example.game"


@pytest.fixture
async def deployment(isolated_settings, app_id):
    await setup_deployment(isolated_settings, app_id, dict(ANDROID_APP))
    return isolated_settings


async def test_id_referrer_and_organic_decisions(deployment, app_id) -> None:
    s = deployment
    t0 = now_ms()
    gaid_a, gaid_b, gaid_c = _gaid(), _gaid(), _gaid()
    by_id = touch_record(app_id, touch_time=t0 - HOUR, ids={"advertising_id": gaid_a})
    by_ref = touch_record(
        app_id, touch_time=t0 - 2 * HOUR, media_source="netB", ip=None, user_agent=None
    )
    await produce_touches(s, [by_id, by_ref])
    worker = WorkerProcess(s, decision_delay="1s")
    worker.start()
    try:
        wait_indexed(worker, index_entries([by_id, by_ref]))
        installs = [
            install_record(app_id, install_time=t0, ids={"advertising_id": gaid_a}, ip="192.0.2.1"),
            install_record(
                app_id,
                install_time=t0,
                ids={"advertising_id": gaid_b},
                ip="192.0.2.2",
                referrer=f"attrib_touch_id={by_ref['touch_id']}&pid=netB",
            ),
            install_record(app_id, install_time=t0, ids={"advertising_id": gaid_c}, ip="192.0.2.3"),
        ]
        await produce_installs(s, installs)
        decisions = await read_records(s, "attributions", expect=3)
        by_event = {d["install_event_id"]: d for d in decisions}
        assert len(by_event) == 3, worker.log_tail()

        a = by_event[installs[0]["event_id"]]
        assert (a["status"], a["match_type"], a["media_source"]) == ("non_organic", "id", "netA")
        assert a["touch_id"] == by_id["touch_id"]
        assert a["ctit_seconds"] == 3600
        assert a["conversion_type"] == "install"
        assert a["lookback"] == "7d"

        b = by_event[installs[1]["event_id"]]
        assert (b["match_type"], b["media_source"]) == ("referrer", "netB")

        c = by_event[installs[2]["event_id"]]
        assert (c["status"], c["media_source"], c["touch_id"]) == ("organic", "organic", None)

        # R37: conversion data answers for the device's id, served by the worker.
        # R37: within 1 s of the decision (which we have already seen) it is answered.
        deadline = time.monotonic() + 1.0
        status, body = 0, None
        while time.monotonic() < deadline and status != 200:
            status, body = worker.get(
                f"/v1/sdk/{app_id}/conversion-data?device_id={gaid_a.upper()}"
            )
        assert status == 200, body
        assert body["media_source"] == "netA"
        assert body["status"] == "non_organic"
        assert body["is_first_launch"] is True
        status, _ = worker.get(f"/v1/sdk/{app_id}/conversion-data?device_id={_gaid()}")
        assert status == 404
        # Only the collector (which checked the SDK key) may ask the worker.
        path = f"/v1/sdk/{app_id}/conversion-data?device_id={gaid_a}"
        status, body = worker.get(path, internal=False)
        assert status == 401, body
        assert body["error"] == "unauthorized"
    finally:
        worker.stop()


async def test_late_touch_inside_decision_delay_counts(deployment, app_id) -> None:
    s = deployment
    worker = WorkerProcess(s, decision_delay="3s")
    worker.start()
    try:
        gaid = _gaid()
        t0 = now_ms()
        install = install_record(app_id, install_time=t0, ids={"advertising_id": gaid})
        await produce_installs(s, [install])
        await asyncio.sleep(0.5)  # the install is waiting; the touch arrives late
        await produce_touches(
            s, [touch_record(app_id, touch_time=t0 - 60_000, ids={"advertising_id": gaid})]
        )
        [decision] = await read_records(s, "attributions", expect=1)
        assert decision["status"] == "non_organic", worker.log_tail()
        assert decision["match_type"] == "id"
        assert decision["decided_time"] - decision["received_time"] >= 3_000
    finally:
        worker.stop()


async def test_repeated_install_event_is_decided_once(deployment, app_id) -> None:
    s = deployment
    worker = WorkerProcess(s, decision_delay="0s")
    worker.start()
    try:
        install = install_record(app_id, install_time=now_ms(), ids={"advertising_id": _gaid()})
        await produce_installs(s, [install])
        await read_records(s, "attributions", expect=1)
        await produce_installs(s, [install])  # the SDK retried (R26)
        await asyncio.sleep(3)
        decisions = await read_records(s, "attributions", expect=2, within=3)
        assert len(decisions) == 1
    finally:
        worker.stop()


async def test_bad_records_go_to_dead_letter_and_the_worker_goes_on(deployment, app_id) -> None:
    s = deployment
    worker = WorkerProcess(s, decision_delay="0s")
    worker.start()
    try:
        await produce_raw(s, "installs", b"not avro at all", key=b"k")
        unknown_app = install_record(
            "no.such.app", install_time=now_ms(), ids={"advertising_id": _gaid()}
        )
        good = install_record(app_id, install_time=now_ms(), ids={"advertising_id": _gaid()})
        await produce_installs(s, [unknown_app, good])
        dead = await read_records(s, "dead-letter", expect=2)
        reasons = sorted(d["reason"] for d in dead)
        assert reasons == ["bad_marker", "unknown_app"]
        assert all(d["topic"] == s.topic("installs") for d in dead)
        assert any(d["raw"] == b"not avro at all" for d in dead)
        [decision] = await read_records(s, "attributions", expect=1)
        assert decision["install_event_id"] == good["event_id"]
    finally:
        worker.stop()


async def test_restart_between_touch_and_install_recovers_from_changelog(
    deployment, app_id
) -> None:
    """The worker indexes a touch, stops, loses its RocksDB folder, and still decides."""
    s = deployment
    gaid = _gaid()
    t0 = now_ms()
    worker = WorkerProcess(s, decision_delay="0s")
    worker.start()
    try:
        touch = touch_record(app_id, touch_time=t0 - HOUR, ids={"advertising_id": gaid})
        await produce_touches(s, [touch])
        wait_indexed(worker, index_entries([touch]))
        await asyncio.sleep(1)  # the changelog write is acknowledged
    finally:
        worker.stop()
    shutil.rmtree(Path(s.data_dir) / "worker" / "tables")

    again = WorkerProcess(s, decision_delay="0s")
    again.start()
    try:
        install = install_record(app_id, install_time=t0, ids={"advertising_id": gaid})
        await produce_installs(s, [install])
        [decision] = await read_records(s, "attributions", expect=1)
        assert decision["status"] == "non_organic", again.log_tail()
        assert decision["match_type"] == "id"
    finally:
        again.stop()


async def test_sweep_removes_touches_no_window_can_use(isolated_settings, app_id) -> None:
    """State is bounded: once event time moves past a key's horizon, the key goes.

    One partition, so the newest touch moves the event time of every key.
    """
    s = dataclasses.replace(isolated_settings, topic_partitions=1)
    await setup_deployment(s, app_id, dict(ANDROID_APP))
    worker = WorkerProcess(s, decision_delay="0s", ATTRIB_INDEX_SWEEP_INTERVAL_S="1")
    worker.start()
    try:
        t_new = now_ms()
        old = touch_record(app_id, touch_time=t_new - 40 * 24 * HOUR, ip=None, user_agent=None)
        new = touch_record(app_id, touch_time=t_new, ip=None, user_agent=None)
        await produce_touches(s, [old])
        wait_indexed(worker, index_entries([old]))
        await produce_touches(s, [new])  # moves the partition's event time 40 days on
        wait_indexed(worker, index_entries([old, new]))
        deadline = time.monotonic() + 30
        swept = 0.0
        while time.monotonic() < deadline and swept < 1:
            _, body = worker.get("/metrics")
            for line in body.decode().splitlines():
                if line.startswith("attrib_touch_index_keys_swept_total "):
                    swept = float(line.split()[1])
            await asyncio.sleep(0.5)
        assert swept == 1, worker.log_tail()  # the old click referrer key goes, the new stays
        late = install_record(
            app_id,
            install_time=old["touch_time"] + HOUR,
            ids={"advertising_id": _gaid()},
            referrer=f"attrib_touch_id={old['touch_id']}&pid=netA",
        )
        live = install_record(
            app_id,
            install_time=t_new + 30_000,
            ids={"advertising_id": _gaid()},
            referrer=f"attrib_touch_id={new['touch_id']}&pid=netA",
        )
        await produce_installs(s, [late, live])
        decisions = {
            d["install_event_id"]: d for d in await read_records(s, "attributions", expect=2)
        }
        d = decisions[live["event_id"]]
        assert d["match_type"] == "referrer", d["rejected_touches"]
        assert decisions[late["event_id"]]["status"] == "organic"  # its touch was swept
    finally:
        worker.stop()
