"""The intake's touch lag right after a start or an assignment, before it is known.

Found by the chaos suite (tests/chaos): a worker restarted under load crashed
with ``AssertionError`` in aiokafka's ``TopicPartitionState.position`` when
the ``send_due_lookups`` timer asked for the touch lag of a partition whose
committed offset was still being fetched.
"""

from __future__ import annotations

from types import SimpleNamespace

from aiokafka import TopicPartition
from aiokafka.consumer.subscription_state import SubscriptionState

from attrib.agents.intake import Intake
from attrib.channels import names


def _intake_assigned(tp: TopicPartition, *, high: int) -> tuple[Intake, SubscriptionState]:
    subscription = SubscriptionState()
    subscription.assign_from_user({tp})
    consumer = SimpleNamespace(
        _subscription=subscription,
        assignment=lambda: {tp},
        highwater=lambda _tp: high,
    )
    intake = Intake.__new__(Intake)  # no Faust service machinery: only the lag arithmetic
    intake.consumer = consumer  # type: ignore[assignment]
    intake.positions = {}
    return intake, subscription


async def test_touch_lag_of_a_partition_without_a_position_yet_is_unknown() -> None:
    tp = TopicPartition(names.clicks, 0)
    intake, _ = _intake_assigned(tp, high=500)
    # No AssertionError; and unknown, never "caught up" (finding 4: installs replayed
    # after a restart were looked up before the touches received before them).
    assert intake.touch_lag() is None


async def test_touch_lag_before_the_consumer_exists_is_unknown() -> None:
    intake = Intake.__new__(Intake)
    intake.consumer = None
    intake.positions = {}
    assert intake.touch_lag() is None


async def test_touch_lag_while_the_group_has_not_assigned_yet_is_unknown() -> None:
    tp = TopicPartition(names.clicks, 0)
    intake, subscription = _intake_assigned(tp, high=500)
    subscription.subscription.assignment.state_value(tp).seek(200)
    assert intake.touch_lag() == 300
    subscription.subscription._assignment = None  # joining: subscribed, nothing assigned yet
    assert intake.touch_lag() is None


async def test_touch_lag_without_a_highwater_yet_is_unknown() -> None:
    tp = TopicPartition(names.clicks, 0)
    intake, subscription = _intake_assigned(tp, high=500)
    subscription.subscription.assignment.state_value(tp).seek(200)
    assert intake.touch_lag() == 300
    intake.consumer.highwater = lambda _tp: None  # type: ignore[union-attr]
    assert intake.touch_lag() is None


async def test_touch_lag_counts_from_the_fetchers_position_once_it_has_one() -> None:
    tp = TopicPartition(names.clicks, 0)
    intake, subscription = _intake_assigned(tp, high=500)
    subscription.subscription.assignment.state_value(tp).seek(200)
    assert intake.touch_lag() == 300
