"""Properties of :func:`attrib.rules.decide.decide` over generated installs and touches."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st
from rules_builders import (
    APP,
    DAY,
    DEFAULTS,
    DEVICE_IDS,
    HOUR,
    IP,
    OTHER_DEVICE_IDS,
    PIXEL_UA,
    SECOND,
    T0,
    install,
    known_device,
)

from attrib.durations import parse_duration
from attrib.rules.decide import decide
from attrib.rules.fraud import parse_ip_blocklist
from attrib.rules.model import DeviceHistory, Install, RuleSettings, Touch

#: Offsets from T0 that sit on or next to a window boundary, plus a spread.
BOUNDARY_OFFSETS = [
    0,
    1,
    -1,
    -10 * SECOND,
    -10 * SECOND + 1,
    -HOUR,
    -HOUR - 1,
    -24 * HOUR,
    -24 * HOUR - 1,
    -7 * DAY,
    -7 * DAY - 1,
]
offsets = st.one_of(st.sampled_from(BOUNDARY_OFFSETS), st.integers(-8 * DAY, HOUR))

#: How a generated touch relates to the install's device.
IDENTITIES = {
    "same-device": {"identifiers": DEVICE_IDS},
    "no-ids-same-ip": {"identifiers": {}, "ip": IP, "user_agent": PIXEL_UA},
    "other-device-same-ip": {"identifiers": OTHER_DEVICE_IDS, "ip": IP, "user_agent": PIXEL_UA},
    "no-ids-elsewhere": {"identifiers": {}, "ip": "203.0.113.9"},
}


@st.composite
def touch_lists(draw: st.DrawFn, max_size: int = 12) -> list[Touch]:
    ids = draw(st.lists(st.integers(0, 20), unique=True, max_size=max_size))
    return [
        Touch(
            touch_id=f"t{n}",
            touch_type=draw(st.sampled_from(["click", "impression"])),
            app_id=APP,
            media_source=draw(st.sampled_from(["netA", "netB"])),
            touch_time=T0 + draw(offsets),
            is_retargeting=draw(st.booleans()),
            click_lookback_ms=draw(st.sampled_from([None, None, HOUR, 40 * DAY])),
            **IDENTITIES[draw(st.sampled_from(sorted(IDENTITIES)))],
        )
        for n in ids
    ]


Case = tuple[Install, list[Touch], RuleSettings, DeviceHistory | None]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    touches = draw(touch_lists())
    referrer = draw(st.sampled_from([None, "t0", "t1", "t2", "t3"]))
    the_install = install(
        referrer_touch_id=referrer,
        install_begin_ts=draw(st.sampled_from([None, T0 - 30 * SECOND])),
    )
    rules = dataclasses.replace(
        DEFAULTS,
        probabilistic_view_lookback_ms=draw(st.sampled_from([0, HOUR])),
        inactivity_period_ms=draw(st.sampled_from([0, DAY])),
        max_touches_per_device_per_hour=draw(st.sampled_from([2, 50])),
        ip_blocklist=draw(st.sampled_from([(), (), (), parse_ip_blocklist(["198.51.100.0/24"])])),
    )
    history = draw(
        st.sampled_from(
            [
                None,
                known_device(T0 - 30 * DAY, last_activity=T0 - 3 * DAY),
                known_device(T0 - 200 * DAY),
            ]
        )
    )
    return the_install, touches, rules, history


EXAMPLES = settings(max_examples=150, deadline=None)


@EXAMPLES
@given(case=cases(), data=st.data())
def test_decision_does_not_depend_on_touch_order(case: Case, data: st.DataObject) -> None:
    the_install, touches, rules, history = case
    shuffled = data.draw(st.permutations(touches))
    assert decide(the_install, shuffled, rules, history) == decide(
        the_install, touches, rules, history
    )


@EXAMPLES
@given(case=cases(), extra=touch_lists(max_size=3), late=st.booleans())
def test_a_touch_outside_every_window_never_changes_the_decision(
    case: Case, extra: list[Touch], late: bool
) -> None:
    the_install, touches, rules, history = case
    outside = [
        dataclasses.replace(
            t, touch_id=f"x{t.touch_id}", touch_time=T0 + 1 if late else T0 - 31 * DAY
        )
        for t in extra
    ]
    assert decide(the_install, [*touches, *outside], rules, history) == decide(
        the_install, touches, rules, history
    )


@EXAMPLES
@given(case=cases())
def test_rejected_touches_never_win_nor_contribute(case: Case) -> None:
    decision = decide(*case)
    rejected = {r.touch_id for r in decision.rejected_touches}
    assert decision.winner is None or decision.winner.touch_id not in rejected
    assert not rejected & {c.touch_id for c in decision.contributors}


@EXAMPLES
@given(case=cases(), data=st.data())
def test_the_order_touches_are_handed_over_in_never_changes_the_decision(
    case: Case, data: st.DataObject
) -> None:
    """R1/R4: touches arrive in any order across topics and partitions; the decision
    is a function of the set of touches, not of the order the lookups returned them in."""
    the_install, touches, rules, history = case
    shuffled = data.draw(st.permutations(touches), label="order")
    assert decide(the_install, list(shuffled), rules, history) == decide(*case)


@EXAMPLES
@given(case=cases())
def test_the_winner_is_inside_its_window_and_not_after_t0(case: Case) -> None:
    the_install, touches, rules, history = case
    decision = decide(the_install, touches, rules, history)
    if decision.winner is None:
        assert decision.match_type is None
        assert decision.lookback is None
        return
    assert decision.lookback is not None
    window = parse_duration(decision.lookback)
    assert T0 - window <= decision.winner.touch_time <= T0
    assert decision.ctit_seconds == (T0 - decision.winner.touch_time) // 1000
    assert decision.winner.touch_id not in {c.touch_id for c in decision.contributors}
    assert len(decision.contributors) <= 3
    if decision.conversion_type == "reattribution":
        assert decision.winner.is_retargeting
        assert decision.match_type != "probabilistic"
