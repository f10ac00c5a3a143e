"""The admin bearer token check (http-api.md, Admin).

The token is compared in constant time so its value cannot be guessed byte
by byte from response times. With no admin token configured every admin
request is refused: an empty setting must never mean "open".
"""

from __future__ import annotations

import hmac

from aiohttp import web

from attrib.web.errors import ApiError
from attrib.web.keys import SETTINGS

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="attrib-admin"'}


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, "unauthorized", detail, headers=_CHALLENGE)


def require_admin(request: web.Request) -> None:
    """Raise a 401 :class:`ApiError` unless the request carries the admin bearer token."""
    expected = request.app[SETTINGS].admin_token
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.strip().partition(" ")
    presented = presented.strip()
    if not header:
        raise _unauthorized("an Authorization: Bearer <admin token> header is required")
    if scheme.lower() != "bearer" or not presented:
        raise _unauthorized("the Authorization header must be 'Bearer <admin token>'")
    if not expected:
        raise _unauthorized("the admin API is disabled: no admin token is configured")
    if not hmac.compare_digest(presented.encode("utf-8"), expected.reveal().encode("utf-8")):
        raise _unauthorized("the admin token is wrong")


__all__ = ["require_admin"]
