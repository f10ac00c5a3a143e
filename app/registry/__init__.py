"""The app registry: app configurations stored in the compacted app-config topic.

:class:`AppRegistryWriter` writes versions; :class:`AppConfigCache` keeps every
process's in-memory view of the latest version of each app.
"""

from attrib.registry.cache import AppConfigCache
from attrib.registry.errors import RegistryUnavailable
from attrib.registry.records import AppConfigVersion, UnreadableRecord
from attrib.registry.writer import AppRegistryWriter

__all__ = [
    "AppConfigCache",
    "AppConfigVersion",
    "AppRegistryWriter",
    "RegistryUnavailable",
    "UnreadableRecord",
]
