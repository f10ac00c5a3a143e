"""The credential the collector shows the workers when it forwards a request.

The workers answer ``conversion-data`` on their own port (Faust's web
server: the owner of a key is found through Faust's router), and that port
must answer only the collector, which has checked the SDK key. Both already
share one secret, the admin token (the chart gives it to every role; the
local stack keeps it in ``<data dir>/admin-token``), so the credential is
derived from it: an HMAC, so the token itself never travels on the
internal hop and one leaked header does not open the admin API.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from typing import Final

from attrib.settings import Settings

HEADER: Final = "X-Attrib-Internal"


@functools.lru_cache(maxsize=8)
def internal_credential(settings: Settings) -> str:
    """The value of :data:`HEADER` for this deployment."""
    token = settings.with_admin_token().admin_token.reveal().encode()
    return hmac.new(token, b"attrib-internal:conversion-data", hashlib.sha256).hexdigest()


def is_internal(settings: Settings, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(
        presented.encode(), internal_credential(settings).encode()
    )
