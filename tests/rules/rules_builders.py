"""Builders of touches, installs and histories for the rule tests, with readable defaults.

Every builder returns a record of the app ``APP`` on the device ``DEVICE_IDS``
unless told otherwise; times are given relative to ``T0`` in the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrib.rules.model import DeviceHistory, Install, RuleSettings, Session, Touch

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

T0 = 1_764_000_000_000
APP = "com.example.game"
GAID = "38400000-8cf0-11bd-b23e-10b96e40000d"
OTHER_GAID = "11111111-2222-4333-8444-555555555555"
DEVICE_IDS: Mapping[str, str] = {"advertising_id": GAID}
OTHER_DEVICE_IDS: Mapping[str, str] = {"advertising_id": OTHER_GAID}
IP = "198.51.100.7"
#: A browser on the install's device (Android 14, Pixel 8).
PIXEL_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"
)
DEFAULTS = RuleSettings()


def click(touch_id: str, at: int, **fields: Any) -> Touch:
    """A click matched by id (it carries the install's GAID) unless ``identifiers`` says else."""
    fields.setdefault("identifiers", DEVICE_IDS)
    fields.setdefault("media_source", "netA")
    fields.setdefault("app_id", APP)
    return Touch(touch_id=touch_id, touch_type="click", touch_time=at, **fields)


def impression(touch_id: str, at: int, **fields: Any) -> Touch:
    fields.setdefault("identifiers", DEVICE_IDS)
    fields.setdefault("media_source", "netA")
    fields.setdefault("app_id", APP)
    return Touch(touch_id=touch_id, touch_type="impression", touch_time=at, **fields)


def prob_click(touch_id: str, at: int, **fields: Any) -> Touch:
    """A click with no identifier, from the install's IP and device: a probabilistic match."""
    fields.setdefault("identifiers", {})
    fields.setdefault("ip", IP)
    fields.setdefault("user_agent", PIXEL_UA)
    return click(touch_id, at, **fields)


def prob_impression(touch_id: str, at: int, **fields: Any) -> Touch:
    fields.setdefault("identifiers", {})
    fields.setdefault("ip", IP)
    fields.setdefault("user_agent", PIXEL_UA)
    return impression(touch_id, at, **fields)


def install(at: int = T0, **fields: Any) -> Install:
    """An Android 14 install of ``APP`` from ``IP`` with ``DEVICE_IDS``."""
    fields.setdefault("identifiers", DEVICE_IDS)
    fields.setdefault("app_id", APP)
    fields.setdefault("device_key", f"advertising_id:{GAID}")
    fields.setdefault("ip", IP)
    fields.setdefault("platform", "android")
    fields.setdefault("os_version", "14")
    fields.setdefault("event_id", "install-1")
    return Install(install_time=at, **fields)


def session(at: int, **fields: Any) -> Session:
    fields.setdefault("identifiers", DEVICE_IDS)
    fields.setdefault("app_id", APP)
    fields.setdefault("device_key", f"advertising_id:{GAID}")
    fields.setdefault("event_id", "session-1")
    return Session(session_time=at, **fields)


def known_device(
    installed_at: int, *, last_activity: int | None = None, blocked: bool = False
) -> DeviceHistory:
    """A device whose one install (creating its attribution) was at ``installed_at``."""
    return DeviceHistory(
        first_install_time=installed_at,
        attribution_install_time=installed_at,
        last_install_time=installed_at,
        last_activity_time=installed_at if last_activity is None else last_activity,
        blocked=blocked,
    )
