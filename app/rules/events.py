"""Which attributions an in-app event gets (R24, with R19 and R31).

An event is attributed to the device's latest install decision; while a
re-engagement window is open it is attributed a second time, to the
re-engaging click, and that record is the primary one.
"""

from __future__ import annotations

from attrib.rules.model import ORGANIC, Decision, EventAttribution, Reengagement

#: ``conversion_type`` of the retargeting record of a re-engagement window.
REENGAGEMENT = "reengagement"


def _decision_attribution(decision: Decision, is_primary: bool) -> EventAttribution:
    if decision.conversion_type == "reinstall":
        # R19: events after a reinstall count as organic.
        return EventAttribution("user_acquisition", is_primary, "reinstall", ORGANIC)
    return EventAttribution(
        attribution_kind="retargeting"
        if decision.conversion_type == "reattribution"
        else "user_acquisition",
        is_primary=is_primary,
        conversion_type=decision.conversion_type,
        media_source=decision.media_source,
        touch=decision.winner,
        match_type=decision.match_type,
        blocked_reason=decision.blocked_reason,
    )


def reengagement_open(reengagement: Reengagement, event_time: int) -> bool:
    """Whether ``event_time`` lies in the re-engagement window (both ends inclusive)."""
    return reengagement.reengagement_time <= event_time <= reengagement.window_end


def event_attributions(
    event_time: int, decision: Decision, reengagement: Reengagement | None
) -> tuple[EventAttribution, ...]:
    """The attribution records of an event at ``event_time`` (R24), primary first.

    ``decision`` is the device's latest install decision and ``reengagement``
    its latest re-engagement, if any.

    - ``install``: one ``user_acquisition`` record to the decision's source.
    - ``reattribution``: one ``retargeting`` record to the re-attributing
      touch (R19).
    - ``reinstall``: one ``user_acquisition`` record, ``organic`` (R19).
    - ``blocked``: one record carrying ``blocked_reason``, describing the
      would-be winner; blocked devices never re-engage (R23), so an open
      window is ignored.
    - While a re-engagement window is open: the ``retargeting`` record to the
      re-engaging click (primary), then the decision's record (not primary).
      When the decision is itself a re-attribution both would be
      ``retargeting`` records, and ``(event_id, attribution_kind)`` is unique
      on ``attributed-events``: the newer retargeting conversion, the
      re-engagement, is then the only record, as AppsFlyer credits one
      retargeting source per event.
    """
    own = _decision_attribution(decision, is_primary=True)
    if (
        decision.conversion_type == "blocked"
        or reengagement is None
        or not reengagement_open(reengagement, event_time)
    ):
        return (own,)
    retargeting = EventAttribution(
        attribution_kind="retargeting",
        is_primary=True,
        conversion_type=REENGAGEMENT,
        media_source=reengagement.touch.media_source,
        touch=reengagement.touch,
        match_type=reengagement.match_type,
    )
    if decision.conversion_type == "reattribution":
        return (retargeting,)
    return (retargeting, _decision_attribution(decision, is_primary=False))
