"""The one error of app configuration validation.

It names the offending field as a dotted path (``attribution.click_lookback``,
``postbacks[0].install_url``) because the admin API returns that path to the
caller in the ``field`` of its 400 answer (http-api.md, Admin).
"""

from __future__ import annotations


class ConfigError(ValueError):
    """An app configuration that cannot be stored; ``field`` says where, ``reason`` why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


__all__ = ["ConfigError"]
