"""Analytics: the ClickHouse tables, the sink that fills them, and the reports (analytics.md).

- :mod:`attrib.analytics.migrations`: versioned DDL (``migrations/*.sql``),
  applied idempotently when a sink starts;
- :mod:`attrib.analytics.sink`: :class:`~attrib.analytics.sink.SinkService`,
  topics to tables, exact under replays;
- :mod:`attrib.analytics.report`: the analysts' reports
  (``reports/*.sql``) behind ``attrib report NAME``, printed by
  :mod:`attrib.analytics.formatting`.

docs/analytics.md describes the tables, why counts are exact, and each
report's SQL. Import the submodules directly: this package imports nothing
heavy so that ``attrib --help`` stays fast.
"""
