"""Validation of an app configuration document (http-api.md, Admin): pure, no I/O.

:func:`validate_app_config` turns the JSON body of an admin PUT into an
:class:`~attrib.config.model.AppConfig` with every default filled, or raises
:class:`~attrib.config.errors.ConfigError` naming the first offending field
as a dotted path. Unknown fields are refused at every level: a misspelt key
(``click_lookbak``) silently falling back to its default would change
attribution without anyone noticing.

``null`` counts as absent for optional keys, so a client may send the
document it read back with a key cleared.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from attrib.config.errors import ConfigError
from attrib.config.limits import (
    ATTRIBUTION_DEFAULTS,
    MAX_POSTBACKS,
    MAX_PUSH_ENDPOINTS,
    PER_MEDIA_SOURCE_SETTINGS,
    POSTBACK_MACROS,
    WINDOW_RANGES_MS,
)
from attrib.config.model import (
    LIFETIME,
    AppConfig,
    AttributionSettings,
    FraudSettings,
    MediaSourceWindows,
    Postback,
    PushEndpoint,
)
from attrib.durations import DurationError, format_duration, parse_duration

APP_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,100}")
PLATFORMS = ("android", "ios")
MAX_NAME_LENGTH = 200
MAX_URL_LENGTH = 4096

_TOP_LEVEL = (
    "app_id",
    "platform",
    "store_url",
    "sdk_key",
    "attribution",
    "fraud",
    "postbacks",
    "push_endpoints",
)
_ATTRIBUTION_KEYS = (*ATTRIBUTION_DEFAULTS, "per_media_source")
_FRAUD_KEYS = ("min_ctit", "max_touches_per_device_per_hour", "ip_blocklist", "blocked_devices")
_POSTBACK_KEYS = (
    "media_source",
    "install_url",
    "event_url",
    "events",
    "event_window",
    "send_all_installs",
)
_PUSH_KEYS = ("url", "secret")
_MACRO = re.compile(r"\{([^{}]*)\}")

T = TypeVar("T")


def validate_app_id(app_id: object) -> str:
    """Return ``app_id`` if it is 1–100 of ``A-Z a-z 0-9 . _ -``, else raise naming ``app_id``."""
    if not isinstance(app_id, str) or APP_ID_PATTERN.fullmatch(app_id) is None:
        raise ConfigError("app_id", "must be 1 to 100 characters of A-Z, a-z, 0-9, '.', '_', '-'")
    return app_id


def validate_app_config(
    app_id: str, body: object, *, existing_sdk_key: str | None = None
) -> AppConfig:
    """The stored configuration of ``app_id`` described by ``body``, defaults filled.

    ``sdk_key`` absent: ``existing_sdk_key`` when given (the app's current key,
    so that replacing a configuration does not lock out installed SDKs), else
    a new random key.
    """
    validate_app_id(app_id)
    doc = _object(body, "body")
    _refuse_unknown(doc, _TOP_LEVEL, "")
    body_app_id = doc.get("app_id")
    if body_app_id is not None and body_app_id != app_id:
        raise ConfigError("app_id", f"{body_app_id!r} differs from the app id {app_id!r} addressed")
    platform = _required(doc, "platform", "platform")
    if platform not in PLATFORMS:
        raise ConfigError("platform", f"must be one of {', '.join(PLATFORMS)}, got {platform!r}")
    store_url = _url(_required(doc, "store_url", "store_url"), "store_url")
    sdk_key = doc.get("sdk_key")
    if sdk_key is None:
        sdk_key = existing_sdk_key or secrets.token_urlsafe(24)
    else:
        sdk_key = _name(sdk_key, "sdk_key")
    return AppConfig(
        app_id=app_id,
        platform=platform,
        store_url=store_url,
        sdk_key=sdk_key,
        attribution=_attribution(doc.get("attribution"), "attribution"),
        fraud=_fraud(doc.get("fraud"), "fraud"),
        postbacks=_list_of(doc.get("postbacks"), "postbacks", MAX_POSTBACKS, _postback),
        push_endpoints=_list_of(
            doc.get("push_endpoints"), "push_endpoints", MAX_PUSH_ENDPOINTS, _push_endpoint
        ),
    )


# ---- sections ---------------------------------------------------------------


def _attribution(value: object, path: str) -> AttributionSettings:
    if value is None:
        return AttributionSettings()
    section = _object(value, path)
    _refuse_unknown(section, _ATTRIBUTION_KEYS, path)
    windows = {
        name: _window(section.get(name), f"{path}.{name}", name, default)
        for name, default in ATTRIBUTION_DEFAULTS.items()
    }
    per_source = _per_media_source(section.get("per_media_source"), f"{path}.per_media_source")
    return AttributionSettings(**windows, per_media_source=per_source)


def _per_media_source(value: object, path: str) -> dict[str, MediaSourceWindows]:
    if value is None:
        return {}
    sources = _object(value, path)
    out: dict[str, MediaSourceWindows] = {}
    for source, entry in sources.items():
        entry_path = f"{path}.{source}"
        if not source or len(source) > MAX_NAME_LENGTH:
            raise ConfigError(entry_path, f"a media source is 1 to {MAX_NAME_LENGTH} characters")
        overrides = _object(entry, entry_path)
        _refuse_unknown(overrides, PER_MEDIA_SOURCE_SETTINGS, entry_path)
        out[source] = MediaSourceWindows(
            **{
                name: _window(overrides.get(name), f"{entry_path}.{name}", name, None)
                for name in PER_MEDIA_SOURCE_SETTINGS
            }
        )
    return out


def _fraud(value: object, path: str) -> FraudSettings:
    if value is None:
        return FraudSettings()
    section = _object(value, path)
    _refuse_unknown(section, _FRAUD_KEYS, path)
    defaults = FraudSettings()
    min_ctit = _window(section.get("min_ctit"), f"{path}.min_ctit", "min_ctit", defaults.min_ctit)
    max_touches = section.get("max_touches_per_device_per_hour")
    if max_touches is None:
        max_touches = defaults.max_touches_per_device_per_hour
    elif isinstance(max_touches, bool) or not isinstance(max_touches, int) or max_touches < 1:
        raise ConfigError(
            f"{path}.max_touches_per_device_per_hour",
            f"must be a positive integer, got {max_touches!r}",
        )
    ip_blocklist = tuple(
        _ip_network(entry, f"{path}.ip_blocklist[{i}]")
        for i, entry in enumerate(_list(section.get("ip_blocklist"), f"{path}.ip_blocklist"))
    )
    blocked_devices = tuple(
        _name(entry, f"{path}.blocked_devices[{i}]")
        for i, entry in enumerate(_list(section.get("blocked_devices"), f"{path}.blocked_devices"))
    )
    return FraudSettings(
        min_ctit=min_ctit,
        max_touches_per_device_per_hour=max_touches,
        ip_blocklist=ip_blocklist,
        blocked_devices=blocked_devices,
    )


def _postback(value: object, path: str) -> Postback:
    entry = _object(value, path)
    _refuse_unknown(entry, _POSTBACK_KEYS, path)
    source_path = f"{path}.media_source"
    media_source = _name(_required(entry, "media_source", source_path), source_path)
    install_url = _postback_url(entry.get("install_url"), f"{path}.install_url")
    event_url = _postback_url(entry.get("event_url"), f"{path}.event_url")
    if install_url is None and event_url is None:
        raise ConfigError(f"{path}.install_url", "a postback needs install_url or event_url")
    events = tuple(
        _name(name, f"{path}.events[{i}]")
        for i, name in enumerate(_list(entry.get("events"), f"{path}.events"))
    )
    event_window = entry.get("event_window")
    if event_window is None:
        event_window = LIFETIME
    elif event_window != LIFETIME:
        event_window, _ = _duration(event_window, f"{path}.event_window")
    send_all = entry.get("send_all_installs")
    if send_all is None:
        send_all = False
    elif not isinstance(send_all, bool):
        raise ConfigError(f"{path}.send_all_installs", f"must be true or false, got {send_all!r}")
    return Postback(
        media_source=media_source,
        install_url=install_url,
        event_url=event_url,
        events=events,
        event_window=event_window,
        send_all_installs=send_all,
    )


def _push_endpoint(value: object, path: str) -> PushEndpoint:
    entry = _object(value, path)
    _refuse_unknown(entry, _PUSH_KEYS, path)
    url = _url(_required(entry, "url", f"{path}.url"), f"{path}.url")
    secret = _required(entry, "secret", f"{path}.secret")
    if not isinstance(secret, str) or not secret:
        raise ConfigError(f"{path}.secret", "must be a non-empty string")
    return PushEndpoint(url=url, secret=secret)


# ---- values -----------------------------------------------------------------


def _object(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(path, f"expected a JSON object, got {_json_type(value)}")
    return value


def _list(value: object, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(path, f"expected a JSON array, got {_json_type(value)}")
    return value


def _list_of(
    value: object, path: str, limit: int, item: Callable[[object, str], T]
) -> tuple[T, ...]:
    entries = _list(value, path)
    if len(entries) > limit:
        raise ConfigError(path, f"at most {limit} entries are allowed, got {len(entries)}")
    return tuple(item(entry, f"{path}[{i}]") for i, entry in enumerate(entries))


def _refuse_unknown(obj: dict[str, Any], allowed: tuple[str, ...], path: str) -> None:
    for key in obj:
        if key not in allowed:
            where = f"{path}.{key}" if path else key
            raise ConfigError(where, f"unknown field; allowed: {', '.join(allowed)}")


def _required(obj: dict[str, Any], key: str, path: str) -> Any:
    value = obj.get(key)
    if value is None:
        raise ConfigError(path, "is required")
    return value


def _name(value: object, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(path, f"must be a non-empty string, got {_json_type(value)}")
    if len(value) > MAX_NAME_LENGTH:
        raise ConfigError(path, f"must be at most {MAX_NAME_LENGTH} characters")
    return value


def _url(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(path, f"must be an http(s) URL string, got {_json_type(value)}")
    if len(value) > MAX_URL_LENGTH:
        raise ConfigError(path, f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise ConfigError(path, f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ConfigError(path, f"must be an http:// or https:// URL with a host, got {value!r}")
    return value


def _postback_url(value: object, path: str) -> str | None:
    if value is None:
        return None
    url = _url(value, path)
    for name in _MACRO.findall(url):
        if name not in POSTBACK_MACROS:
            raise ConfigError(
                path,
                f"unknown macro {{{name}}}; known: "
                + " ".join(f"{{{m}}}" for m in sorted(POSTBACK_MACROS)),
            )
    if "{" in _MACRO.sub("", url) or "}" in _MACRO.sub("", url):
        raise ConfigError(path, "unbalanced '{' or '}' (macros are written {name})")
    return url


def _duration(value: object, path: str) -> tuple[str, int]:
    """``(text, ms)`` of a duration string; the text is kept without spaces."""
    try:
        ms = parse_duration(value)  # type: ignore[arg-type]
    except DurationError as exc:
        raise ConfigError(path, str(exc)) from exc
    return "".join(str(value).split()), ms


def _window(value: object, path: str, setting: str, default: str | None) -> Any:
    """A window's text, checked against its range (R12); ``default`` when absent."""
    if value is None:
        return default
    text, ms = _duration(value, path)
    low, high = WINDOW_RANGES_MS[setting]
    if not low <= ms <= high:
        raise ConfigError(
            path,
            f"{text} is out of range: must be between {format_duration(low)} "
            f"and {format_duration(high)}",
        )
    return text


def _ip_network(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(path, f"must be an IP address or CIDR string, got {_json_type(value)}")
    try:
        ipaddress.ip_network(value.strip(), strict=False)
    except ValueError as exc:
        raise ConfigError(path, f"not an IP address or CIDR: {value!r}") from exc
    return value.strip()


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def config_from_json_dict(document: object) -> AppConfig:
    """Rebuild a stored configuration; it must carry ``app_id`` and ``sdk_key``.

    The document is validated like an admin PUT, so a stored record that no
    longer satisfies the rules raises :class:`~attrib.config.ConfigError`
    instead of producing an inconsistent object.
    """
    if not isinstance(document, dict):
        raise ConfigError("body", "expected a JSON object")
    app_id = document.get("app_id")
    if not isinstance(app_id, str):
        raise ConfigError("app_id", "a stored configuration must name its app_id")
    if "sdk_key" not in document:
        raise ConfigError("sdk_key", "a stored configuration must carry its sdk_key")
    return validate_app_config(app_id, document)


__all__ = [
    "APP_ID_PATTERN",
    "PLATFORMS",
    "config_from_json_dict",
    "validate_app_config",
    "validate_app_id",
]
