"""The analysts' and marketers' dashboard, served by the collector under ``/dashboard``.

Server-rendered HTML over the same SQL as ``attrib report``
(``attrib/analytics/reports/*.sql``), with one vendored charting library
(Chart.js, ``static/``) drawing the charts from data embedded in the page.
See docs/dashboard.md.
"""

from attrib.dashboard.routes import add_routes

__all__ = ["add_routes"]
