"""Kafka record keys of the input and output topics (streams.md, Topics).

Defined once, here, because keys decide partitions: a touch and the install
of the same device must land on the same partition number of their topics
(co-partitioning), or the worker that decides the install never sees the
touch in its local table. The collector writes inputs with these functions and
the workers key their outputs and repartitions with the same ones.

The separator is ``|``: app ids are ``A-Z a-z 0-9 . _ -``
(:func:`attrib.config.validate_app_id`), so it can never occur inside one and
``app_id|rest`` splits unambiguously on its first ``|``.
"""

from __future__ import annotations

from typing import Final

KEY_SEPARATOR: Final = "|"


def device_record_key(app_id: str, device_key: str) -> bytes:
    """``app_id|device_key`` as UTF-8: installs, sessions, events, decisions (streams.md)."""
    return f"{app_id}{KEY_SEPARATOR}{device_key}".encode()


def touch_record_key(app_id: str, device_key: str | None, touch_id: str) -> bytes:
    """Key of a click or impression: the device's key when the touch names a device.

    A touch without a valid device id (matched later only by referrer or
    probabilistically) is keyed ``app_id|touch_id`` so that such touches
    spread over the partitions instead of piling onto one.
    """
    return f"{app_id}{KEY_SEPARATOR}{device_key or touch_id}".encode()


def app_record_key(app_id: str) -> bytes:
    """``app_id`` as UTF-8: app-config and postback-deliveries."""
    return app_id.encode()


def split_record_key(key: bytes) -> tuple[str, str]:
    """``(app_id, rest)`` of a device or touch key; ``rest`` is empty for an app key."""
    app_id, _, rest = key.decode("utf-8").partition(KEY_SEPARATOR)
    return app_id, rest


__all__ = [
    "KEY_SEPARATOR",
    "app_record_key",
    "device_record_key",
    "split_record_key",
    "touch_record_key",
]
