"""Structured logs: one JSON object per line, quiet by default.

``configure_logging("warning")`` is called once by each process entry point.
Extra fields passed as ``logger.info("msg", extra={"fields": {...}})`` are
merged into the line. Never log a secret: settings hold them in
:class:`attrib.settings.Secret`, whose repr is masked.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, separators=(",", ":"))


def configure_logging(level: str = "warning", stream: Any = None) -> None:
    """Send every logger's records to ``stream`` (stderr) as JSON lines at ``level``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Third-party chatter stays at warning unless we asked for debug.
    if level.lower() != "debug":
        for name in ("aiokafka", "kafka", "faust", "mode", "aiohttp.access"):
            logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
