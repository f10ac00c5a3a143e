"""Is the Kafka broker reachable *enough* to call the process ready? Pure decisions.

A probe (a metadata or offsets request) runs every few seconds and its
outcome is folded into a :class:`BrokerHealth` by :func:`observe`.
:func:`verdict` says ready unless the probes have failed without a break for
at least the grace period (``ATTRIB_BROKER_UNREACHABLE_GRACE``): one slow
answer or a broker restart must not take every pod out of its Service, an
outage that lasts must. The first successful probe makes the process ready
again; nothing has to restart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BrokerHealth:
    """What the probes have shown so far (times are monotonic seconds)."""

    #: When the latest successful probe finished; None before the first one.
    last_ok: float | None = None
    #: When the first failed probe after the latest success finished; None while it answers.
    failing_since: float | None = None


NOT_PROBED = BrokerHealth()


def observe(state: BrokerHealth, ok: bool, now: float) -> BrokerHealth:
    """``state`` after a probe that finished at ``now`` with outcome ``ok``."""
    if ok:
        return BrokerHealth(last_ok=now, failing_since=None)
    if state.failing_since is not None:
        return state
    return BrokerHealth(last_ok=state.last_ok, failing_since=now)


def unreachable_for(state: BrokerHealth, now: float) -> float:
    """Seconds the broker has been failing its probes without a break (0 while it answers)."""
    if state.failing_since is None:
        return 0.0
    return max(0.0, now - state.failing_since)


def verdict(state: BrokerHealth, now: float, grace_s: float) -> tuple[bool, str]:
    """``(ready, detail)`` for ``/readyz``.

    Not ready before the first probe answered, and once the probes have
    failed for ``grace_s`` seconds or more; ready otherwise.
    """
    if state.failing_since is None:
        if state.last_ok is None:
            return False, "the Kafka broker has not been probed yet"
        return True, "the Kafka broker answers"
    down = unreachable_for(state, now)
    if state.last_ok is None:
        return False, f"the Kafka broker has not answered yet (for {down:.0f}s)"
    if down >= grace_s:
        return False, f"the Kafka broker has been unreachable for {down:.0f}s"
    return True, f"the Kafka broker has not answered for {down:.0f}s (grace {grace_s:g}s)"


__all__ = ["NOT_PROBED", "BrokerHealth", "observe", "unreachable_for", "verdict"]
