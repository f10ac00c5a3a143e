"""Typed values of the worker's tables: how each one is read from and written to bytes.

No Faust here: the worker binds these to RocksDB-backed Faust tables
(``tables/<name>.py``), the test driver to memory (``tests/engine/driver.py``).
Every value is an internal Avro record (``avro/internal/``); an unreadable
one reads as empty (counted and logged by :mod:`attrib.engine.wire`), so one
bad value never stops an agent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from attrib.engine import wire
from attrib.engine.devices import DeviceState
from attrib.engine.pending import PendingInstall
from attrib.engine.waiting import WaitingEvent
from attrib.tables.state import Backend, BytesTableState, TableState

V = TypeVar("V")

#: Encoded bytes of the decoded values each device-partition table keeps from its
#: latest batches, per generation (:class:`~attrib.tables.state.RecentValues`: two
#: generations). Decoded, a value takes 1-4 times its encoded size (a new device
#: 835 B encoded, 3.5 KB decoded), so the three tables keep at most about 100 MB:
#: some 5,000 devices and as many pending installs per generation, enough for a
#: pending install to be found again after a few seconds of decision delay at
#: 1,000 installs/s.
RECENT_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ValueCodec(Generic[V]):
    decode: Callable[[bytes], V | None]
    encode: Callable[[V], bytes]

    def bind(
        self, name: str, backend: Backend, *, recent_bytes: int = 0, verify_recent: bool = False
    ) -> TableState[V]:
        """The table's state over ``backend``; ``recent_bytes`` keeps decoded values of
        the latest batches (:class:`~attrib.tables.state.RecentValues`)."""
        return TableState(
            name,
            backend,
            decode=self.decode,
            encode=self.encode,
            recent_bytes=recent_bytes,
            verify_recent=verify_recent,
        )


# ---- devices: DeviceState -------------------------------------------------------
def _decode_device(raw: bytes) -> DeviceState | None:
    return wire.decode_or_none(raw, "DeviceState")


def _encode_device(state: DeviceState) -> bytes:
    return wire.encode("DeviceState", state)


DEVICES: ValueCodec[DeviceState] = ValueCodec(_decode_device, _encode_device)


# ---- pending-installs: list of PendingInstall ------------------------------------
def _decode_pending(raw: bytes) -> list[PendingInstall] | None:
    return wire.decode(raw, "PendingInstalls")["installs"] or None


def _encode_pending(entries: list[PendingInstall]) -> bytes:
    return wire.encode("PendingInstalls", {"installs": entries})


PENDING: ValueCodec[list[PendingInstall]] = ValueCodec(_decode_pending, _encode_pending)


# ---- waiting-events: list of WaitingEvent ---------------------------------------
def _decode_waiting(raw: bytes) -> list[WaitingEvent] | None:
    return wire.decode(raw, "WaitingEvents")["events"] or None


def _encode_waiting(entries: list[WaitingEvent]) -> bytes:
    return wire.encode("WaitingEvents", {"events": entries})


WAITING: ValueCodec[list[WaitingEvent]] = ValueCodec(_decode_waiting, _encode_waiting)


# ---- touches: raw entries (attrib.engine.touch_store says the layout) ------------
class BytesValues:
    """Values that are their own bytes: bound to a :class:`BytesTableState`."""

    def bind(self, name: str, backend: Backend) -> BytesTableState:
        return BytesTableState(name, backend)


TOUCHES = BytesValues()


# ---- conversion-data: (written_ms, answer JSON bytes) ----------------------------
#: A stored answer: when it was written (processing time, for expiry) and the JSON.
ConversionValue = tuple[int, bytes]


def _decode_conversion(raw: bytes) -> ConversionValue | None:
    if len(raw) < 8 or raw[:1] == b"{":  # a value written before the time prefix
        return (0, raw)
    return int.from_bytes(raw[:8], "big"), raw[8:]


def _encode_conversion(value: ConversionValue) -> bytes:
    written_ms, answer = value
    return written_ms.to_bytes(8, "big") + answer


def answer_of(raw: bytes) -> bytes:
    """The JSON answer of a stored conversion-data value (for the worker's view)."""
    decoded = _decode_conversion(raw)
    return b"" if decoded is None else decoded[1]


CONVERSIONS: ValueCodec[ConversionValue] = ValueCodec(_decode_conversion, _encode_conversion)

__all__ = ["CONVERSIONS", "DEVICES", "PENDING", "RECENT_BYTES", "TOUCHES", "WAITING", "ValueCodec"]
