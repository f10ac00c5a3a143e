"""Device identifiers: which values are valid, the device key, matching by id.

streams.md fixes the rules and R6 says why they matter: an invalid value
(empty, all zeros, ``unknown``, ``null``, a malformed UUID) is what SDKs send
when the real id is unavailable, so thousands of unrelated devices share it.
Treating such a value as an identifier would merge those devices into one
device key and "match" every touch that carries the same placeholder. So every
value passes through :func:`normalise_identifiers` once, at the edge, and
everything downstream can compare plain lowercase strings.

``customer_user_id`` is the advertiser's own user id. It is kept as given
(trimmed, case preserved): it is echoed back to the advertiser, who may join
on it case-sensitively, and it is never compared with anything here (it is
not part of the device key and never used for matching), so lowercasing it
would only lose information. It is dropped only when empty or a placeholder
(``null``, ``unknown``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

ADVERTISING_ID: Final = "advertising_id"
IDFA: Final = "idfa"
IDFV: Final = "idfv"
ANDROID_ID: Final = "android_id"
OAID: Final = "oaid"
CUSTOMER_USER_ID: Final = "customer_user_id"

#: Every identifier type of streams.md, in the order records list them.
IDENTIFIER_TYPES: Final = (ADVERTISING_ID, IDFA, IDFV, ANDROID_ID, OAID, CUSTOMER_USER_ID)

#: The types that may name a device, in device-key priority order.
DEVICE_ID_TYPES: Final = (ADVERTISING_ID, IDFA, IDFV, ANDROID_ID, OAID)

#: The types a touch can carry (idfv and customer_user_id never appear on touches),
#: hence the only ones two records can "match by id" on.
TOUCH_ID_TYPES: Final = (ADVERTISING_ID, IDFA, ANDROID_ID, OAID)

#: Types whose values are UUIDs (GAID, IDFA, IDFV): anything else is malformed.
UUID_TYPES: Final = frozenset({ADVERTISING_ID, IDFA, IDFV})

#: Values SDKs send when they have no identifier (compared after lowercasing).
PLACEHOLDER_VALUES: Final = frozenset({"", "unknown", "null"})

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ZEROS = re.compile(r"[0-]+")


def normalise_identifier(kind: str, value: object) -> str | None:
    """The stored form of one identifier value, or ``None`` when it is invalid.

    Device ids are stripped and lowercased; a placeholder, a value made only of
    zeros and dashes (``0000``, ``00000000-0000-0000-0000-000000000000``) or, for a UUID
    type, anything but the canonical 8-4-4-4-12 hex form is invalid.
    Non-string values are invalid (ids are strings on every input). An
    unknown ``kind`` is invalid.
    """
    if not isinstance(value, str):
        return None
    if kind == CUSTOMER_USER_ID:
        text = value.strip()
        return None if text.lower() in PLACEHOLDER_VALUES else text
    if kind not in DEVICE_ID_TYPES:
        return None
    text = value.strip().lower()
    if text in PLACEHOLDER_VALUES or _ZEROS.fullmatch(text):
        return None
    if kind in UUID_TYPES and not _UUID.fullmatch(text):
        return None
    return text


def normalise_identifiers(raw: Mapping[str, object]) -> dict[str, str]:
    """The valid identifiers of ``raw``, in their stored form (see module doc).

    Keys that are not identifier types (``platform``, typos) are ignored, so a
    whole ``device`` object of an SDK body can be passed as is.
    """
    out: dict[str, str] = {}
    for kind in IDENTIFIER_TYPES:
        value = raw.get(kind)
        if value is None:
            continue
        valid = normalise_identifier(kind, value)
        if valid is not None:
            out[kind] = valid
    return out


def device_key(ids: Mapping[str, str]) -> str | None:
    """``<type>:<value>`` of the first device id present, in :data:`DEVICE_ID_TYPES` order.

    ``ids`` are normalised identifiers (:func:`normalise_identifiers`). ``None``
    when there is none: such an install is rejected (streams.md).
    """
    for kind in DEVICE_ID_TYPES:
        value = ids.get(kind)
        if value:
            return f"{kind}:{value}"
    return None


def ids_match(a: Mapping[str, str], b: Mapping[str, str]) -> str | None:
    """The first identifier type on which ``a`` and ``b`` share a value, else ``None``.

    Both sides are normalised identifiers, so a shared value is a valid one.
    Only :data:`TOUCH_ID_TYPES` are compared: idfv never appears on a touch
    and customer_user_id is never used for matching.
    """
    for kind in TOUCH_ID_TYPES:
        value = a.get(kind)
        if value is not None and value == b.get(kind):
            return kind
    return None


def conflicting_id(a: Mapping[str, str], b: Mapping[str, str]) -> str | None:
    """The first identifier type both carry with different values, else ``None``.

    Such records belong to different devices (R7).
    """
    for kind in TOUCH_ID_TYPES:
        value = a.get(kind)
        if value is not None:
            other = b.get(kind)
            if other is not None and other != value:
                return kind
    return None
