"""A small postback and push receiver on loopback, for ``attrib demo``.

Plays the ad networks and the advertiser: answers every request ``200``,
counts postbacks by path and pushes by ``event_name``, and checks each push's
``X-Attrib-Signature`` against the demo's secret (a bad one is answered 401
and counted). It runs its own event loop in a background thread so that the
demo's blocking code can carry on.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from collections import Counter

from aiohttp import web

from attrib.demo.scenario import DEMO_PUSH_SECRET


class DemoReceiver:
    """``start()`` returns its base URL; ``stop()`` closes it."""

    def __init__(self, secret: str = DEMO_PUSH_SECRET) -> None:
        self.secret = secret.encode()
        self.postbacks: Counter[str] = Counter()
        self.pushes: Counter[str] = Counter()
        self.bad_signatures = 0
        self.delivery_ids: set[str] = set()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    @property
    def requests(self) -> int:
        with self._lock:
            return sum(self.postbacks.values()) + sum(self.pushes.values())

    def start(self) -> str:
        self._thread.start()
        port = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _serve(self) -> int:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        ident = request.headers.get("X-Attrib-Delivery-Id", "")
        if request.method == "POST":
            signature = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(request.headers.get("X-Attrib-Signature", ""), signature):
                with self._lock:
                    self.bad_signatures += 1
                return web.Response(status=401)
            try:
                name = str(json.loads(body).get("event_name", "?"))
            except ValueError:
                name = "?"
            with self._lock:
                self.pushes[name] += 1
                self.delivery_ids.add(ident)
        else:
            with self._lock:
                self.postbacks[request.path] += 1
                self.delivery_ids.add(ident)
        return web.Response(text="ok")

    def summary(self) -> str:
        with self._lock:
            postbacks = ", ".join(f"{path} {n}" for path, n in sorted(self.postbacks.items()))
            pushes = ", ".join(f"{name} {n}" for name, n in sorted(self.pushes.items()))
            return (
                f"demo receiver {self.url}: postbacks {postbacks or 'none'}; "
                f"pushes {pushes or 'none'}; bad signatures {self.bad_signatures}"
            )


__all__ = ["DEMO_PUSH_SECRET", "DemoReceiver"]
