"""Where a click sends the browser: the app's store page (http-api.md, Tracking links).

For Android apps the Play Store URL gets a ``referrer`` parameter; Play hands
its value to the app after install (the Play Install Referrer API) and the
SDK sends it back as ``install_referrer``, which names the click exactly
(R5, ``referrer`` match). The value is ``attrib_touch_id=<id>&pid=<pid>``
URL-encoded once as a whole, with ``pid`` encoded inside it, so a media
source containing ``&`` cannot inject parameters. iOS has no referrer: the
App Store URL is used as is.

Every click computes a Location, so the parts that depend only on the app
(the store URL split around where the referrer goes) and on the media source
(its double encoding) are cached; touch ids are URL-safe and need no
encoding.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote, urlsplit, urlunsplit

from yarl import URL

from attrib.rules.matching import REFERRER_TOUCH_ID_PARAM

ANDROID = "android"
_ENCODED_PARAM = quote(f"{REFERRER_TOUCH_ID_PARAM}=", safe="")
_ENCODED_PID = quote("&pid=", safe="")


def install_referrer(touch_id: str, media_source: str) -> str:
    """The Play install referrer naming the click (what the SDK later reports)."""
    return f"{REFERRER_TOUCH_ID_PARAM}={touch_id}&pid={quote(media_source, safe='')}"


@lru_cache(maxsize=4096)
def _ascii_url(url: str) -> str:
    """``url`` with non-ASCII characters percent-encoded (a header must be ASCII)."""
    return str(URL(url, encoded=False))


@lru_cache(maxsize=4096)
def _referrer_slots(store_url: str) -> tuple[str, str]:
    """``(before, after)``: the store URL cut where ``referrer=<value>`` goes."""
    parts = urlsplit(_ascii_url(store_url))
    query = f"{parts.query}&referrer=" if parts.query else "referrer="
    before = urlunsplit(parts._replace(query=query, fragment=""))
    return before, f"#{parts.fragment}" if parts.fragment else ""


@lru_cache(maxsize=4096)
def _twice_encoded(media_source: str) -> str:
    return quote(quote(media_source, safe=""), safe="")


def store_redirect_url(platform: str, store_url: str, touch_id: str, media_source: str) -> str:
    """The ``Location`` of a click's redirect, ASCII-only."""
    if platform != ANDROID:
        return _ascii_url(store_url)
    before, after = _referrer_slots(store_url)
    if not (touch_id.isascii() and touch_id.isalnum()):  # ours always are
        touch_id = quote(touch_id, safe="")
    return f"{before}{_ENCODED_PARAM}{touch_id}{_ENCODED_PID}{_twice_encoded(media_source)}{after}"


__all__ = ["install_referrer", "store_redirect_url"]
