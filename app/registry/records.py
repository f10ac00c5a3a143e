"""One version of an app's configuration as it travels on the app-config topic.

Key: the app id as UTF-8. Value: an Avro ``AppConfig`` record (version,
update time and the canonical JSON of the configuration). The configuration
inside is re-validated on the way back in, so a reader never holds a
configuration that today's rules would refuse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from attrib.avro import codec
from attrib.config import AppConfig, ConfigError, config_from_json_dict

RECORD_NAME = "AppConfig"


class UnreadableRecord(ValueError):
    """An app-config record that cannot be turned into a configuration (skipped by readers)."""


@dataclass(frozen=True, slots=True)
class AppConfigVersion:
    """A stored configuration with its version (+1 per PUT) and update time (epoch ms)."""

    config: AppConfig
    version: int
    updated_time: int

    @property
    def app_id(self) -> str:
        return self.config.app_id


def encode_version(entry: AppConfigVersion) -> tuple[bytes, bytes]:
    """``(key, value)`` of the app-config record for ``entry``."""
    value = codec.encode(
        RECORD_NAME,
        {
            "app_id": entry.app_id,
            "version": entry.version,
            "updated_time": entry.updated_time,
            "config_json": entry.config.to_canonical_json(),
        },
    )
    return entry.app_id.encode("utf-8"), value


def decode_version(key: bytes | None, value: bytes) -> AppConfigVersion:
    """The configuration version in an app-config record; :class:`UnreadableRecord` if none."""
    try:
        record = codec.decode(value, expect=RECORD_NAME)
    except ValueError as exc:
        raise UnreadableRecord(f"not an AppConfig value: {exc}") from exc
    app_id = record["app_id"]
    if key is not None and key != app_id.encode("utf-8"):
        raise UnreadableRecord(f"record of app {app_id!r} under key {key!r}")
    try:
        document = json.loads(record["config_json"])
        config = config_from_json_dict(document)
    except (ValueError, ConfigError) as exc:
        raise UnreadableRecord(f"configuration of app {app_id!r} is not valid: {exc}") from exc
    if config.app_id != app_id:
        raise UnreadableRecord(f"record of app {app_id!r} holds the configuration of another app")
    return AppConfigVersion(
        config=config, version=record["version"], updated_time=record["updated_time"]
    )


__all__ = ["AppConfigVersion", "UnreadableRecord", "decode_version", "encode_version"]
