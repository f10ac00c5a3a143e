"""Ids a device remembers for the dedupe window (R26), packed as bytes.

A device entry remembers the ids of its sessions and in-app events for
``dedupe_window`` of event time, and the entry is read and written at each of
them. As Avro arrays (of strings, of longs) each id cost Python work to decode
and encode, so an active device's event cost grew with its history: about 7 ms
at 3,000 remembered events (``bench/device_events.py``). Packed, the whole memory
is two ``bytes`` values, decoded and encoded as one copy each:

``digests``
    8-byte blake2b digests of the ids, oldest first (two of a device's ``n``
    remembered ids collide with a chance of about n^2 / 2^65);
``times``
    the event time of each, 8-byte little-endian signed, parallel to ``digests``.

These functions are pure: they take and return the two values.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence

#: Bytes per id in each packed value.
SIZE = 8
#: Event time past the window an id may stay before the device's ids are pruned: a
#: prune reads every remembered time, so it runs about once per day of a device's
#: event time instead of at each id (R26 asks for at least the window).
PRUNE_SLACK_MS = 86_400_000

Packed = tuple[bytes, bytes]


def digest(event_id: str) -> bytes:
    """An id's 8-byte digest (big-endian: as a signed long, the ``events`` digests
    DeviceState kept before v4)."""
    return hashlib.blake2b(event_id.encode(), digest_size=SIZE).digest()


def digest_long(event_id: str) -> int:
    """The digest as the signed 64-bit number DeviceState v3 stored."""
    return int.from_bytes(digest(event_id), "big", signed=True)


def contains(digests: bytes, event_id: str) -> bool:
    """Whether ``event_id`` is remembered (matched on 8-byte boundaries only, never
    on the bytes of two neighbours)."""
    wanted = digest(event_id)
    at = digests.find(wanted)
    while at != -1:
        if at % SIZE == 0:
            return True
        at = digests.find(wanted, at + 1)
    return False


def count(digests: bytes) -> int:
    return len(digests) // SIZE


def pack(digests: Sequence[bytes], times: Sequence[int]) -> Packed:
    """Packed values of ``digests`` (8 bytes each) at ``times``."""
    return b"".join(digests), struct.pack(f"<{len(times)}q", *times)


def remember(
    packed: Packed,
    event_ids: Sequence[str],
    times: Sequence[int],
    *,
    window_ms: int,
    limit: int,
) -> Packed:
    """``packed`` with ``event_ids`` (at their event ``times``) added; ids more than
    ``window_ms`` before the newest added are dropped once the oldest is
    :data:`PRUNE_SLACK_MS` past that, and only the newest ``limit`` are kept."""
    digests, packed_times = packed
    added_digests, added_times = pack([digest(e) for e in event_ids], times)
    digests += added_digests
    packed_times += added_times
    if len(digests) > limit * SIZE:
        digests, packed_times = digests[-limit * SIZE :], packed_times[-limit * SIZE :]
    cutoff = max(times) - window_ms
    if not packed_times or struct.unpack_from("<q", packed_times)[0] >= cutoff - PRUNE_SLACK_MS:
        return digests, packed_times
    all_times = struct.unpack(f"<{len(packed_times) // SIZE}q", packed_times)
    kept = [i for i, t in enumerate(all_times) if t >= cutoff]
    return (
        b"".join(digests[i * SIZE : (i + 1) * SIZE] for i in kept),
        struct.pack(f"<{len(kept)}q", *(all_times[i] for i in kept)),
    )
