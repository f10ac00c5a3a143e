"""Typed keys of the shared objects every route module finds on the web application."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
CONFIG_CACHE = web.AppKey("config_cache", AppConfigCache)
CONFIG_WRITER = web.AppKey("config_writer", AppRegistryWriter)
#: Extra ``/readyz`` conditions: functions answering ``(ok, detail)`` (e.g. the
#: collector's producer is connected). All must hold for 200.
ReadinessCheck = Callable[[], tuple[bool, str]]
READINESS_CHECKS = web.AppKey("readiness_checks", list[ReadinessCheck])

__all__ = ["CONFIG_CACHE", "CONFIG_WRITER", "READINESS_CHECKS", "SETTINGS", "ReadinessCheck"]
