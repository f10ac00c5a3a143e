"""Faust codecs for the Avro records: ``value_serializer="avro-touch"`` and so on.

One codec per record name, registered in Faust's codec registry by
:func:`register_faust_codecs` under ``avro-<kebab-name>`` (``avro-touch``,
``avro-in-app-event``, ...). Decoding checks that the value is the record the
codec is named after (a ``Session`` on the clicks topic is an error, not a
silently mis-typed touch) and raises :class:`~attrib.avro.codec.AvroDecodeError`,
which the agents turn into a dead letter.

Faust hands a model's ``to_representation()`` to the codec; its ``__faust``
metadata key is dropped because the Avro schema, not Faust, names the type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faust.serializers import codecs

from attrib.avro.codec import AvroCodec, default_codec
from attrib.avro.schemas import snake_name

_FAUST_METADATA_KEY = "__faust"


def codec_name(record_name: str) -> str:
    """``InAppEvent`` -> ``avro-in-app-event``."""
    return "avro-" + snake_name(record_name).replace("_", "-")


class AvroRecordCodec(codecs.Codec):
    """Encodes dicts (or Faust models) of one record name; decodes to dicts."""

    def __init__(self, record_name: str, avro: AvroCodec | None = None, **kwargs: Any) -> None:
        super().__init__(record_name=record_name, avro=avro, **kwargs)
        self.record_name = record_name
        self.avro = avro or default_codec()
        self.avro.schemas.get(record_name)  # fail now for an unknown name

    def _dumps(self, obj: Any) -> bytes:
        if not isinstance(obj, Mapping):
            obj = obj.asdict()  # a Faust Record passed without to_representation()
        elif _FAUST_METADATA_KEY in obj:
            obj = {k: v for k, v in obj.items() if k != _FAUST_METADATA_KEY}
        return self.avro.encode(self.record_name, obj)

    def _loads(self, s: bytes) -> Any:
        return self.avro.decode(s, expect=self.record_name)


def register_faust_codecs(avro: AvroCodec | None = None) -> dict[str, str]:
    """Register one codec per record name; return ``{record name: codec name}``.

    Idempotent: registering again replaces the codecs (with ``avro``'s schemas
    when given).
    """
    avro = avro or default_codec()
    registered = {}
    for name in avro.names():
        codecs.register(codec_name(name), AvroRecordCodec(name, avro))
        registered[name] = codec_name(name)
    return registered
