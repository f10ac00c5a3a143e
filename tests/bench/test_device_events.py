"""bench/device_events.py measures what it says: real events attributed, a real memory."""

from __future__ import annotations

from tests.bench.test_engine import _load

device_events = _load("device_events")


def test_the_processors_attribute_every_event_of_devices_that_remember_many() -> None:
    # processors() asserts that every piped event was attributed.
    assert device_events.processors(300, device_count=3, rounds=2) > 0


def test_the_state_alone_remembers_the_size_it_is_asked_for() -> None:
    installed = device_events.devices.apply_decision(
        None,
        install_time=device_events.T0,
        decision=device_events.organic_decision(),
        event_id="i",
        attribution_id="a",
        attribution=b"",
    )
    state = device_events.remembering(installed, 500)
    assert device_events.devices.remembered_events(state) == 500
    per_event, per_id = device_events.state_alone(500, repeat=3)
    assert per_event > 0
    assert 17 <= per_id <= 18  # 8-byte digest + 8-byte time, packed; a tenth of a session each
