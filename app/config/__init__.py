"""App configuration: the model, its limits and its validation (pure, no I/O).

``validate_app_config(app_id, body)`` is the only way in; the result is an
immutable :class:`AppConfig` that the registry stores and the engine reads.
"""

from attrib.config.errors import ConfigError
from attrib.config.limits import POSTBACK_MACROS, WINDOW_RANGES_MS, clamp_window
from attrib.config.model import (
    LIFETIME,
    AppConfig,
    AttributionSettings,
    FraudSettings,
    MediaSourceWindows,
    Postback,
    PushEndpoint,
)
from attrib.config.validation import config_from_json_dict, validate_app_config, validate_app_id

__all__ = [
    "LIFETIME",
    "POSTBACK_MACROS",
    "WINDOW_RANGES_MS",
    "AppConfig",
    "AttributionSettings",
    "ConfigError",
    "FraudSettings",
    "MediaSourceWindows",
    "Postback",
    "PushEndpoint",
    "clamp_window",
    "config_from_json_dict",
    "validate_app_config",
    "validate_app_id",
]
