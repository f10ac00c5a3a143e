"""clickhouse-connect clients from :class:`~attrib.settings.Settings`, and what a failure means.

The sink must tell two kinds of failure apart, because they call for
opposite reactions:

- the server cannot take the insert now (unreachable, overloaded, a table
  missing while an operator repairs it): retry the same rows, forever, with
  backoff, and commit nothing meanwhile;
- the server refused the *data* (a value it cannot parse): retrying cannot
  help, so the sink isolates the offending values and dead-letters them.

Only errors that name a parse or data problem count as the second kind;
anything unrecognised is treated as the first, because wrongly retrying
costs time while wrongly rejecting would lose good rows.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from attrib.settings import Settings

# ClickHouse error codes that mean "this data cannot be read into these columns".
DATA_ERROR_CODES = frozenset(
    {
        6,  # CANNOT_PARSE_TEXT
        26,  # CANNOT_PARSE_QUOTED_STRING
        27,  # CANNOT_PARSE_INPUT_ASSERTION_FAILED
        32,  # ATTEMPT_TO_READ_AFTER_EOF
        33,  # CANNOT_READ_ALL_DATA
        38,  # CANNOT_PARSE_DATE
        41,  # CANNOT_PARSE_DATETIME
        53,  # TYPE_MISMATCH
        69,  # ARGUMENT_OUT_OF_BOUND
        70,  # CANNOT_CONVERT_TYPE
        72,  # CANNOT_PARSE_NUMBER
        117,  # INCORRECT_DATA (a real server's wrapping of Avro decoder errors)
        321,  # VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
    }
)
STD_EXCEPTION = 1001  # chdb reports the Avro decoder's own exceptions under this code
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_identifier(name: str, what: str = "identifier") -> str:
    """``name`` if it is a plain SQL identifier (no quoting needed, nothing injected)."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{what} must match [A-Za-z_][A-Za-z0-9_]*, got {name!r}")
    return name


def connect(settings: Settings, *, database: str | None = None, **overrides: Any) -> Client:
    """A client for ``settings.clickhouse_url``; ``database=""`` connects to the server default.

    Raises (``OperationalError``) when the server cannot be reached: callers
    that must survive an outage create clients inside their retry loop.
    """
    url = urlparse(settings.clickhouse_url)
    secure = url.scheme == "https"
    kwargs: dict[str, Any] = {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or (8443 if secure else 8123),
        "username": settings.clickhouse_user,
        "password": settings.clickhouse_password.reveal(),
        "secure": secure,
        "database": settings.clickhouse_database if database is None else database,
        # One request at a time per client; sessions would only serialise them server-side.
        "autogenerate_session_id": False,
        "connect_timeout": 5,
        "send_receive_timeout": 120,
    }
    kwargs.update(overrides)
    return clickhouse_connect.get_client(**kwargs)


def error_code(exc: BaseException) -> int | None:
    code = getattr(exc, "code", None)
    return code if isinstance(code, int) else None


def is_data_error(exc: BaseException) -> bool:
    """True when the server refused the rows themselves (retrying cannot help)."""
    if not isinstance(exc, DatabaseError) or isinstance(exc, OperationalError):
        return False
    code = error_code(exc)
    if code in DATA_ERROR_CODES:
        return True
    return code == STD_EXCEPTION and "avro::Exception" in str(exc)


def is_unreachable(exc: BaseException) -> bool:
    """True when no server answered (connection refused, reset, timed out)."""
    return isinstance(exc, OperationalError | OSError) or (
        isinstance(exc, DatabaseError) and error_code(exc) is None
    )


def failure_reason(exc: BaseException) -> str:
    """A metric label for a failed request: ``unreachable``, ``rejected`` or ``server_error``."""
    if is_unreachable(exc):
        return "unreachable"
    if is_data_error(exc):
        return "rejected"
    return "server_error"
