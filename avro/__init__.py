"""Avro contracts of every topic value (streams.md, Encoding).

The ``.avsc`` files in this package are the released schemas, named
``<snake_name>.v<N>.avsc``; a released file is never edited, a new version is
a new file. The modules around them:

- :mod:`attrib.avro.codec`: single-object encoding (``encode``, ``decode``,
  ``decode_named``, batch helpers, ``AvroDecodeError``),
- :mod:`attrib.avro.schemas`: loading a schema directory (``SchemaSet``),
- :mod:`attrib.avro.compat`: the evolution rule (``check_compatible``),
- :mod:`attrib.avro.records`: record-name constants and the topic -> record map,
"""
