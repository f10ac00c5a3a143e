"""The operator's view of a process: broker health behind ``/readyz`` and consumer lag.

Pure decisions live in :mod:`attrib.ops.broker_health` and
:mod:`attrib.ops.lag`; :mod:`attrib.ops.broker_monitor` runs a probe on a
timer; :mod:`attrib.ops.worker` wires both into the stream worker and
:mod:`attrib.web.ops` into the collector.
"""
