"""The OpenAPI 3.0 document of the collector, served at ``GET /openapi.json``.

Maintained by hand, beside the routes it describes, rather than generated:
it is a contract for SDK and network integrators, so its wording is
deliberate. Two tests keep it honest: every aiohttp route is in the document
and every documented operation is a route (tests/collector/test_openapi.py),
and a schemathesis run against the live service finds no 5xx and no answer
that departs from the documented schemas.

``GET /v1/sdk/{app_id}/conversion-data`` is answered from the workers'
tables (the collector checks the key and forwards).
"""

from __future__ import annotations

import copy
from typing import Any, Final

from aiohttp import web

from attrib.collector.jsonbody import MAX_BATCH_BODY_BYTES
from attrib.collector.s2s import MAX_BATCH_ITEMS
from attrib.currencies import ISO_4217_CODES
from attrib.identifiers import DEVICE_ID_TYPES, IDENTIFIER_TYPES, TOUCH_ID_TYPES
from attrib.web.bodies import MAX_BODY_BYTES
from attrib.web.handlers import api_route

OPENAPI_PATH: Final = "/openapi.json"

_JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}, **extra}


def _error(description: str, *, retry_after: bool = False) -> dict[str, Any]:
    response = _json(_ref("Error"), description)
    if retry_after:
        response["headers"] = {
            "Retry-After": {
                "description": "seconds to wait before retrying",
                "schema": {"type": "integer"},
            }
        }
    return response


_NULLABLE_STRING = {"type": "string", "nullable": True}

_SCHEMAS: dict[str, Any] = {
    "ConversionData": {
        "type": "object",
        "required": ["status", "media_source", "is_first_launch", "conversion_type"],
        "properties": {
            "status": {"type": "string", "enum": ["non_organic", "organic", "blocked"]},
            "media_source": {"type": "string"},
            "campaign": {"type": "string"},
            "adset": {"type": "string"},
            "ad": {"type": "string"},
            "touch_type": {"type": "string", "enum": ["click", "impression"]},
            "touch_time": {"type": "string", "description": "yyyy-mm-dd hh:mm:ss.sss UTC"},
            "install_time": {"type": "string", "description": "yyyy-mm-dd hh:mm:ss.sss UTC"},
            "match_type": {"type": "string", "enum": ["referrer", "id", "probabilistic"]},
            "is_first_launch": {"type": "boolean"},
            "is_retargeting": {"type": "boolean"},
            "conversion_type": {"type": "string"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {
            "error": {"type": "string", "description": "machine code, e.g. missing_parameter"},
            "detail": {"type": "string", "description": "a sentence naming the field at fault"},
            "field": {"type": "string", "description": "the field, parameter or header at fault"},
        },
    },
    "TouchAccepted": {
        "type": "object",
        "required": ["touch_id"],
        "properties": {"touch_id": {"type": "string", "minLength": 26, "maxLength": 26}},
    },
    "Device": {
        "type": "object",
        "description": "Device identifiers; invalid values (empty, all zeros, malformed UUIDs) "
        "are ignored. At least one valid device id is required.",
        "properties": {kind: {"type": "string"} for kind in IDENTIFIER_TYPES},
    },
    "SdkBody": {
        "type": "object",
        "required": ["event_id", "device"],
        "properties": {
            "event_id": {"type": "string", "description": "idempotency key chosen by the SDK"},
            "timestamp": {
                "type": "integer",
                "format": "int64",
                "description": "event time, epoch ms; default now; at most 10m ahead and "
                "400d behind the receive time (R3)",
            },
            "device": _ref("Device"),
            "platform": {"type": "string"},
            "app_version": {"type": "string"},
            "os_version": {"type": "string"},
            "ip": {"type": "string", "description": "honoured from trusted S2S peers only"},
            "user_agent": {"type": "string", "description": "honoured from trusted S2S peers only"},
            "install_referrer": {"type": "string", "description": "install only"},
            "install_begin_ts": {
                "type": "integer",
                "format": "int64",
                "description": "install only",
            },
            "deep_link": {
                "type": "string",
                "maxLength": 2048,
                "description": "session only: the link that opened the app; its "
                "attrib_touch_id query parameter names the retargeting click (R23)",
            },
            "referrer_touch_id": {
                "type": "string",
                "maxLength": 200,
                "description": "session only: the retargeting click's touch_id, when the "
                "app read it itself; wins over deep_link",
            },
            "event_name": {"type": "string", "description": "event only, required there"},
            "revenue": {
                "description": "event only: a number or numeric string, kept as sent",
                "oneOf": [{"type": "number"}, {"type": "string"}],
            },
            "currency": {"type": "string", "enum": sorted(ISO_4217_CODES)},
            "values": {"type": "object", "additionalProperties": True},
        },
    },
    "BatchItem": {
        "allOf": [
            _ref("SdkBody"),
            {
                "type": "object",
                "required": ["type"],
                "properties": {"type": {"type": "string", "enum": ["install", "session", "event"]}},
            },
        ]
    },
    "Accepted": {
        "type": "object",
        "required": ["status", "event_id"],
        "properties": {
            "status": {"type": "string", "enum": ["accepted"]},
            "event_id": {"type": "string"},
        },
    },
    "BatchResults": {
        "type": "object",
        "required": ["results"],
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["index", "status", "event_id", "error", "detail"],
                    "properties": {
                        "index": {"type": "integer", "minimum": 0},
                        "status": {"type": "integer"},
                        "event_id": _NULLABLE_STRING,
                        "error": _NULLABLE_STRING,
                        "detail": _NULLABLE_STRING,
                        "field": _NULLABLE_STRING,
                    },
                },
            }
        },
    },
    "AppConfig": {
        "type": "object",
        "description": "An app configuration (http-api.md, Admin)",
        "additionalProperties": True,
    },
    "AppList": {
        "type": "object",
        "required": ["apps"],
        "properties": {"apps": {"type": "array", "items": _ref("AppConfig")}},
    },
    "Status": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string"}, "apps": {"type": "integer"}},
    },
}

_APP_ID = {
    "name": "app_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,100}$"},
}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


_TOUCH_PARAMS: list[dict[str, Any]] = [
    _APP_ID,
    {**_query("pid", "media source (required)"), "required": True},
    _query("c", "campaign name"),
    _query("af_c_id", "campaign id"),
    _query("af_adset", "ad set name"),
    _query("af_adset_id", "ad set id"),
    _query("af_ad", "ad name"),
    _query("af_ad_id", "ad id"),
    _query("af_siteid", "publisher site"),
    _query("af_sub_siteid", "publisher sub-site"),
    _query("clickid", "the network's click id, echoed in postbacks"),
    *(_query(kind, f"device id {kind}") for kind in TOUCH_ID_TYPES),
    _query("is_retargeting", "true for retargeting campaigns", {"type": "boolean"}),
    _query("af_click_lookback", "click window of this link, e.g. 12h, 7d (clamped, R12)"),
    _query("af_viewthrough_lookback", "impression window of this link (clamped, R12)"),
    _query("ts", "event time, epoch ms (default now)", {"type": "integer", "format": "int64"}),
    _query("ua", "user agent (trusted S2S peers only)"),
    _query("ip", "client IP (trusted S2S peers only)"),
    _query("redirect", "false: answer 200 JSON instead of redirecting", {"type": "boolean"}),
]

_TOUCH_ERRORS = {
    "400": _error("a parameter is missing or malformed (named in detail and field)"),
    "404": _error("unknown app"),
    "503": _error("Kafka did not acknowledge in time; retry", retry_after=True),
}

_SDK_ERRORS = {
    "400": _error("invalid JSON, no valid device id, bad field (named in detail and field)"),
    "401": _error("missing or wrong X-Attrib-Key"),
    "404": _error("unknown app"),
    "413": _error(f"body over {MAX_BODY_BYTES:,} bytes"),
    "503": _error("Kafka did not acknowledge in time; retry", retry_after=True),
}

_ADMIN_ERRORS = {
    "401": _error("no or wrong admin token"),
    "503": _error("configurations still loading or Kafka unavailable", retry_after=True),
}


def _sdk_operation(kind: str, summary: str) -> dict[str, Any]:
    return {
        "post": {
            "operationId": f"sdk_{kind}",
            "summary": summary,
            "tags": ["sdk"],
            "security": [{"sdkKey": []}],
            "parameters": [_APP_ID],
            "requestBody": {"required": True, "content": {_JSON: {"schema": _ref("SdkBody")}}},
            "responses": {
                "202": _json(_ref("Accepted"), "written and acknowledged"),
                **_SDK_ERRORS,
            },
        }
    }


def _paths() -> dict[str, Any]:
    return {
        "/v1/click/{app_id}": {
            "get": {
                "operationId": "click",
                "summary": "Record a click and redirect to the app's store page",
                "tags": ["tracking"],
                "parameters": _TOUCH_PARAMS,
                "responses": {
                    "302": {
                        "description": "to the store; Android URLs carry the Play install referrer",
                        "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
                    },
                    "200": _json(_ref("TouchAccepted"), "with redirect=false"),
                    **_TOUCH_ERRORS,
                },
            }
        },
        "/v1/impression/{app_id}": {
            "get": {
                "operationId": "impression",
                "summary": "Record an impression",
                "tags": ["tracking"],
                "parameters": _TOUCH_PARAMS,
                "responses": {
                    "204": {"description": "recorded"},
                    "200": _json(_ref("TouchAccepted"), "with redirect=false"),
                    **_TOUCH_ERRORS,
                },
            }
        },
        "/v1/sdk/{app_id}/conversion-data": {
            "get": {
                "operationId": "conversion_data",
                "summary": "The device's latest decision (who brought this user)",
                "tags": ["sdk"],
                "security": [{"sdkKey": []}],
                "parameters": [
                    _APP_ID,
                    {**_query("device_id", "any of the device's ids"), "required": True},
                ],
                "responses": {
                    "200": _json(_ref("ConversionData"), "the latest decision"),
                    "400": _error("device_id is missing"),
                    "401": _error("missing or wrong X-Attrib-Key"),
                    "404": _error("unknown app, or nothing decided for this device yet"),
                    "503": _error("no worker answered; retry", retry_after=True),
                },
            }
        },
        "/v1/sdk/{app_id}/install": _sdk_operation("install", "First launch after (re)install"),
        "/v1/sdk/{app_id}/session": _sdk_operation("session", "A later launch"),
        "/v1/sdk/{app_id}/event": _sdk_operation("event", "An in-app event"),
        "/v1/s2s/{app_id}/events": {
            "post": {
                "operationId": "s2s_events",
                "summary": f"A batch of up to {MAX_BATCH_ITEMS:,} SDK bodies from a server",
                "tags": ["s2s"],
                "security": [{"sdkKey": []}],
                "parameters": [_APP_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        _JSON: {
                            "schema": {
                                "type": "array",
                                "maxItems": MAX_BATCH_ITEMS,
                                "items": _ref("BatchItem"),
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(_ref("BatchResults"), "each item accepted (202) or refused (4xx)"),
                    "400": _error("the body is not a JSON array"),
                    "401": _error("missing or wrong X-Attrib-Key"),
                    "404": _error("unknown app"),
                    "413": _error(
                        f"more than {MAX_BATCH_ITEMS:,} items (batch_too_large) "
                        f"or a body over {MAX_BATCH_BODY_BYTES:,} bytes"
                    ),
                    "503": _error("Kafka did not acknowledge in time; retry", retry_after=True),
                },
            }
        },
        "/v1/apps/{app_id}": {
            "put": {
                "operationId": "put_app",
                "summary": "Create or replace an app's configuration",
                "tags": ["admin"],
                "security": [{"adminToken": []}],
                "parameters": [_APP_ID],
                "requestBody": {
                    "required": True,
                    "content": {_JSON: {"schema": _ref("AppConfig")}},
                },
                "responses": {
                    "200": _json(_ref("AppConfig"), "the stored configuration"),
                    "400": _error("invalid configuration or JSON"),
                    "413": _error(f"body over {MAX_BODY_BYTES:,} bytes"),
                    **_ADMIN_ERRORS,
                },
            },
            "get": {
                "operationId": "get_app",
                "summary": "Read an app's configuration",
                "tags": ["admin"],
                "security": [{"adminToken": []}],
                "parameters": [_APP_ID],
                "responses": {
                    "200": _json(_ref("AppConfig"), "the stored configuration"),
                    "404": _error("unknown app"),
                    **_ADMIN_ERRORS,
                },
            },
        },
        "/v1/apps": {
            "get": {
                "operationId": "list_apps",
                "summary": "Every app's configuration",
                "tags": ["admin"],
                "security": [{"adminToken": []}],
                "responses": {"200": _json(_ref("AppList"), "all apps"), **_ADMIN_ERRORS},
            }
        },
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "The process is alive",
                "tags": ["operations"],
                "responses": {"200": _json(_ref("Status"), "alive")},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readyz",
                "summary": "Configurations loaded, Kafka reachable, producer connected",
                "tags": ["operations"],
                "responses": {
                    "200": _json(_ref("Status"), "ready"),
                    "503": _error("not ready; detail says why"),
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics",
                "tags": ["operations"],
                "responses": {
                    "200": {
                        "description": "Prometheus text format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        OPENAPI_PATH: {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "tags": ["operations"],
                "responses": {"200": _json({"type": "object"}, "the OpenAPI document")},
            }
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy)."""
    return copy.deepcopy(_DOCUMENT)


_DOCUMENT: Final[dict[str, Any]] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Attrib collector",
        "version": "1",
        "description": "Tracking links, SDK and S2S endpoints, admin and operations routes "
        'of the Attrib collector. Errors are {"error": code, "detail": sentence}. '
        f"Device ids: {', '.join(DEVICE_ID_TYPES)} (streams.md).",
    },
    "paths": _paths(),
    "components": {
        "schemas": _SCHEMAS,
        "securitySchemes": {
            "sdkKey": {"type": "apiKey", "in": "header", "name": "X-Attrib-Key"},
            "adminToken": {"type": "http", "scheme": "bearer"},
        },
    },
}


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(_DOCUMENT)


def add_routes(app: web.Application) -> None:
    app.router.add_get(OPENAPI_PATH, api_route(openapi_json), allow_head=False)


__all__ = ["OPENAPI_PATH", "add_routes", "openapi_document"]
