"""Traffic for the collector: realistic requests at a controlled rate.

``attrib load`` (and ``attrib demo``, and the benchmarks) build request specs
with :mod:`.traffic` and send them with :mod:`.sender`. Specs are plain
data, so a scenario can be checked without sending anything.
"""
