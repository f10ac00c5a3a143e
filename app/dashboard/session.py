"""The dashboard's session cookie: proof the admin token was typed, without storing it.

The cookie holds an expiry and an HMAC of it keyed by the admin token, so it
is worthless once the token changes and cannot be forged without the token.
It is ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's
page can send it: no cross-site request forgery) and scoped to
``/dashboard``; the token itself never appears in a URL or a cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import time

COOKIE = "attrib_dashboard"
LIFETIME_S = 12 * 3600


def _mac(token: str, expires: int) -> str:
    return hmac.new(
        token.encode("utf-8"), f"dashboard:{expires}".encode(), hashlib.sha256
    ).hexdigest()


def token_matches(presented: str, token: str) -> bool:
    """Constant-time comparison; an empty configured token never matches."""
    return bool(token) and hmac.compare_digest(presented.encode("utf-8"), token.encode("utf-8"))


def new_session(token: str, now: float | None = None) -> str:
    """A cookie value valid for :data:`LIFETIME_S`."""
    expires = int((time.time() if now is None else now) + LIFETIME_S)
    return f"{expires}.{_mac(token, expires)}"


def session_valid(value: str, token: str, now: float | None = None) -> bool:
    """True when ``value`` was made by :func:`new_session` with ``token`` and has not expired."""
    if not token:
        return False
    expires_text, _, mac = value.partition(".")
    if not expires_text.isdigit():
        return False
    expires = int(expires_text)
    if expires < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(mac, _mac(token, expires))


__all__ = ["COOKIE", "LIFETIME_S", "new_session", "session_valid", "token_matches"]
