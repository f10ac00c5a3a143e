"""One progress line for long-running commands.

On a terminal the line is rewritten in place; in a log (CI, pipes) a line is
printed only when the message changes, at most once a second, so logs stay
readable.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressLine:
    def __init__(self, stream: TextIO | None = None, min_interval: float = 1.0) -> None:
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.min_interval = min_interval
        self._last = ""
        self._last_at = 0.0
        self._width = 0

    def update(self, message: str) -> None:
        now = time.monotonic()
        if self.tty:
            pad = max(0, self._width - len(message))
            self.stream.write("\r" + message + " " * pad)
            self.stream.flush()
            self._width = len(message)
            return
        # Drop the trailing "(12s)" counter when deciding whether the message changed.
        stem = message.rsplit(" (", 1)[0]
        if stem != self._last or now - self._last_at >= 10 * self.min_interval:
            self.stream.write(message + "\n")
            self.stream.flush()
            self._last, self._last_at = stem, now

    def done(self, message: str) -> None:
        if self.tty:
            pad = max(0, self._width - len(message))
            self.stream.write("\r" + message + " " * pad + "\n")
        else:
            self.stream.write(message + "\n")
        self.stream.flush()
        self._width = 0
        self._last = ""
