"""Readiness of a worker: every registered check must pass.

Table recovery is one check (registered by :mod:`attrib.views`); services
such as the app-config cache register theirs. ``/readyz`` answers 200 only
when all pass, so Kubernetes sends no traffic to a worker still rebuilding
its tables from the changelog.
"""

from __future__ import annotations

from collections.abc import Callable

Check = Callable[[], tuple[bool, str]]

_checks: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    """Add (or replace) the check ``name``: a function returning ``(ok, detail)``."""
    _checks[name] = check


def evaluate() -> tuple[bool, dict[str, dict[str, object]]]:
    """Run every check; return overall readiness and each check's result."""
    report: dict[str, dict[str, object]] = {}
    ready = True
    for name, check in sorted(_checks.items()):
        try:
            ok, detail = check()
        except Exception as exc:  # a failing check reports, never raises
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        report[name] = {"ok": ok, "detail": detail}
        ready = ready and ok
    return ready, report
