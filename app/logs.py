"""Structured logs: one JSON object per line, quiet by default.

``configure_logging("warning")`` is called once by each process entry point.
Extra fields passed as ``logger.info("msg", extra={"fields": {...}})`` are
merged into the line. Never log a secret: settings hold them in
:class:`attrib.settings.Secret`, whose repr is masked.

Repeats are held back (:class:`RepeatFilter`): while Kafka is down, its
clients log the same failure dozens of times a second (aiokafka's consumers
~40 lines/s in one collector). The first line of a kind is written at once;
the same kind again within :data:`REPEAT_WINDOW_S` is counted, and the next
line written after the window says how many were held back
(``"repeated": N``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any, Final

#: How long lines of one kind are held back after one was written (seconds).
REPEAT_WINDOW_S: Final = 10.0
_DIGITS = re.compile(r"\d+")


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


class RepeatFilter(logging.Filter):
    """Writes one line of a kind per window; says how many of that kind it held back.

    A kind is (logger, level, message template): the format string when the
    record has arguments, else the message with its numbers blanked, so that
    "failed (after 1001 ms)" and "failed (after 998 ms)" are one kind.
    """

    def __init__(self, window_s: float = REPEAT_WINDOW_S, clock: Any = time.monotonic) -> None:
        super().__init__()
        self.window_s = window_s
        self._clock = clock
        #: kind -> [time the last line was written, lines held back since]
        self._kinds: dict[tuple[str, int, str], list[float]] = {}

    @staticmethod
    def kind(record: logging.LogRecord) -> tuple[str, int, str]:
        template = str(record.msg)
        if not record.args:
            template = _DIGITS.sub("#", template)
        return record.name, record.levelno, template[:300]

    def filter(self, record: logging.LogRecord) -> bool:
        now = self._clock()
        kind = self.kind(record)
        seen = self._kinds.get(kind)
        if seen is not None and now - seen[0] < self.window_s:
            seen[1] += 1
            return False
        if seen is not None and seen[1]:
            fields = getattr(record, "fields", None)
            merged = dict(fields) if isinstance(fields, dict) else {}
            merged["repeated"] = int(seen[1])
            record.fields = merged
        if len(self._kinds) > 10_000:  # a flood of distinct kinds: start over
            self._kinds.clear()
        self._kinds[kind] = [now, 0]
        return True


def configure_logging(level: str = "warning", stream: Any = None) -> None:
    """Send every logger's records to ``stream`` (stderr) as JSON lines at ``level``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RepeatFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Third-party chatter stays at warning unless we asked for debug.
    if level.lower() != "debug":
        for name in ("aiokafka", "kafka", "faust", "mode", "aiohttp.access"):
            logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
