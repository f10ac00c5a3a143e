"""Real aiohttp receivers on loopback that answer from a script and remember what came."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs

from aiohttp import web


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def delivery_id(self) -> str:
        return self.headers.get("X-Attrib-Delivery-Id", "")


class Receiver:
    """Answers each request to ``path`` with the next status of its script (then ``default``).

    ``delay`` seconds of silence before answering simulate a slow receiver;
    with ``secret`` set, a push whose ``X-Attrib-Signature`` does not verify
    is answered 401 (a signature failure therefore shows as ``failed``).
    """

    def __init__(
        self,
        scripts: dict[str, Sequence[int]] | None = None,
        *,
        default: int = 200,
        delay: float = 0.0,
        secret: str | None = None,
    ) -> None:
        self.scripts = {path: list(codes) for path, codes in (scripts or {}).items()}
        self.default = default
        self.delay = delay
        self.secret = secret
        self.seen: list[Seen] = []
        #: Each request with the status it was answered (after ``delay``).
        self.answered: list[tuple[Seen, int]] = []
        self.bad_signatures = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, port: int = 0) -> Receiver:
        """Listen on ``port`` (0: a free one; a restarted receiver passes its old one)."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        query = {k: v[0] for k, v in parse_qs(request.query_string, keep_blank_values=True).items()}
        seen = Seen(request.method, request.path, query, dict(request.headers), body, time.time())
        self.seen.append(seen)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.secret is not None and request.method == "POST":
            expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(request.headers.get("X-Attrib-Signature", ""), expected):
                self.bad_signatures += 1
                self.answered.append((seen, 401))
                return web.Response(status=401)
        script = self.scripts.get(request.path)
        status = script.pop(0) if script else self.default
        self.answered.append((seen, status))
        if 300 <= status < 400:
            return web.Response(status=status, headers={"Location": self.url("/elsewhere")})
        return web.Response(status=status, text="ok")


async def wait_for(predicate, within: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
