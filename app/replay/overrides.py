"""``--set PATH=VALUE``: a what-if change to an app's configuration, validated like an admin PUT.

The changed document goes through :func:`attrib.config.validate_app_config`,
the same validation the admin API applies, so a replay can never run with a
configuration the live platform would refuse (an unknown key such as
``attribution.click_lookbak`` or a window outside its range is an error that
names the path, never a silent default).

Only the sections that decide attributions may change: ``attribution`` and
``fraud``. ``media_sources.X.Y`` is shorthand for
``attribution.per_media_source.X.Y`` (R11). A value is read as JSON when it
parses (``50``, ``["10.0.0.0/8"]``, ``null``), else as a string (``1d``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from attrib.config import AppConfig, ConfigError, validate_app_config

#: The top-level sections whose settings change decisions.
DECIDING_SECTIONS = ("attribution", "fraud")
_ALIAS = "media_sources"


class OverrideError(ValueError):
    """A ``--set`` that cannot apply: ``text`` is the argument as given."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"--set {text}: {reason}")
        self.text = text
        self.reason = reason


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"attribution.click_lookback=1d"`` -> (``["attribution", "click_lookback"]``, ``"1d"``)."""
    path, sep, raw = text.partition("=")
    if not sep or not path.strip():
        raise OverrideError(text, "expected PATH=VALUE, e.g. attribution.click_lookback=1d")
    parts = [p.strip() for p in path.split(".")]
    if any(not p for p in parts):
        raise OverrideError(text, f"empty name in path {path!r}")
    if parts[0] == _ALIAS:
        if len(parts) != 3:
            raise OverrideError(text, "expected media_sources.SOURCE.click_lookback|view_lookback")
        parts = ["attribution", "per_media_source", *parts[1:]]
    if parts[0] not in DECIDING_SECTIONS:
        raise OverrideError(
            text,
            f"unknown section {parts[0]!r}; replay can change: "
            f"{', '.join(DECIDING_SECTIONS)}, {_ALIAS}.SOURCE",
        )
    if len(parts) < 2:
        raise OverrideError(
            text, "name a setting inside the section, e.g. attribution.click_lookback"
        )
    return parts, _value(raw.strip())


def _value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def apply_overrides(config: AppConfig, texts: Iterable[str]) -> AppConfig:
    """``config`` with every ``--set`` applied, validated as the admin API validates a PUT."""
    texts = list(texts)
    if not texts:
        return config
    doc = config.to_json_dict()
    for text in texts:
        parts, value = parse_override(text)
        node = doc
        for i, name in enumerate(parts[:-1]):
            child = node.get(name)
            if child is None:
                child = node[name] = {}
            if not isinstance(child, dict):
                where = ".".join(parts[: i + 1])
                raise OverrideError(text, f"{where} is a setting, not a section")
            node = child
        node[parts[-1]] = value
    try:
        return validate_app_config(config.app_id, doc, existing_sdk_key=config.sdk_key)
    except ConfigError as exc:
        raise OverrideError(" ".join(texts), f"{exc.field}: {exc.reason}") from None


__all__ = ["DECIDING_SECTIONS", "OverrideError", "apply_overrides", "parse_override"]
