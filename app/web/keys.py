"""Typed keys of the shared objects every route module finds on the web application."""

from __future__ import annotations

from aiohttp import web

from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
CONFIG_CACHE = web.AppKey("config_cache", AppConfigCache)
CONFIG_WRITER = web.AppKey("config_writer", AppRegistryWriter)

__all__ = ["CONFIG_CACHE", "CONFIG_WRITER", "SETTINGS"]
