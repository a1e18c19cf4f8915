"""The worker's display on localhost: one page and a stream of server-sent events, served by
Starlette under uvicorn in a thread of its own. The gate never waits on it: the server only reads
the display state, and a server that fails is logged once and leaves the gate running."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import json
import logging
import os
import re
import socket
import threading
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from terminal.common.times import zone_label
from terminal.common.web_headers import SecurityHeaders
from terminal.display.catalogue import CHROME, screen
from terminal.display.page import PAGE
from terminal.display.state import DisplayState

log = logging.getLogger(__name__)
# how often the stream looks at the display state: a change reaches the page within this (and
# the page's own drawing), far inside the 100 ms the worker would notice
POLL_S = 0.02
# a comment line this often keeps the stream open through anything that drops idle connections
KEEPALIVE_S = 15.0


def _page(state: DisplayState) -> str:
    language = state.language
    template = PAGE
    gone, todo = screen("out_of_service", language)
    texts = {
        "gone": {"kind": "out_of_service", "tone": "fault", "headline": gone, "todo": todo},
    }
    title = CHROME["title"][language]
    if state.timezone is not None:  # named once: a rest's "from 07:45" is the gate's time
        title += f" · {CHROME['times'][language]}{zone_label(ZoneInfo(state.timezone))}"
    return (
        template.replace("{{lang}}", "zh-CN" if language == "zh" else "en")
        .replace("{{title}}", html.escape(title))
        .replace("{{connecting}}", CHROME["connecting"][language])
        .replace("{{texts}}", json.dumps(texts, ensure_ascii=False))
    )


def _inline_hashes(page: str, tag: str) -> str:
    """The CSP sources that allow exactly the page's own inline ``tag`` blocks."""
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.DOTALL)
    digests = (hashlib.sha256(block.encode("utf-8")).digest() for block in blocks)
    return " ".join(f"'sha256-{base64.b64encode(digest).decode('ascii')}'" for digest in digests)


def security_headers(page: str) -> dict[str, str]:
    """For every answer: the page's own inline style and script and nothing else, no framing by
    another page, no sniffing, no referrer."""
    policy = (
        f"default-src 'self'; script-src {_inline_hashes(page, 'script')}; "
        f"style-src {_inline_hashes(page, 'style')}; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


class _DisplayApp(Starlette):
    def __init__(self, headers: dict[str, str], routes: list[Route]) -> None:
        self.security_headers = headers
        super().__init__(routes=routes)

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), self.security_headers)


def build_app(state: DisplayState, stopping: threading.Event) -> Starlette:
    page = _page(state)

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    async def current(request: Request) -> JSONResponse:
        return JSONResponse(state.screen().as_json(), headers={"Cache-Control": "no-store"})

    async def events(request: Request) -> StreamingResponse:
        async def stream() -> AsyncIterator[str]:
            last: dict[str, str] | None = None
            quiet_s = 0.0
            yield "retry: 1000\n\n"  # the page reconnects quickly once the gate is back
            while not stopping.is_set():
                now = state.screen().as_json()
                if now != last:
                    last, quiet_s = now, 0.0
                    yield f"data: {json.dumps(now, ensure_ascii=False)}\n\n"
                elif quiet_s >= KEEPALIVE_S:
                    quiet_s = 0.0
                    yield ": still here\n\n"
                await asyncio.sleep(POLL_S)
                quiet_s += POLL_S

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    routes = [Route("/", index), Route("/screen", current), Route("/events", events)]
    return _DisplayApp(security_headers(page), routes)


class DisplayServer:
    """Runs the page's server in a daemon thread; ``stop`` ends it (and its open streams)."""

    def __init__(self, state: DisplayState, host: str, port: int) -> None:
        self._stopping = threading.Event()
        config = uvicorn.Config(
            build_app(state, self._stopping),
            host=host,
            port=port,
            log_config=None,  # the service's logging, not uvicorn's own
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="display", daemon=True)
        self._host_port = (host, port)
        self._socket: socket.socket | None = None
        self.address = f"http://{host}:{port}/"

    def start(self) -> bool:
        """Listen, then serve in the thread; False (said once in the log) when the port cannot be
        had. Binding here, not in uvicorn, keeps that failure to one line that names its cause."""
        host, port = self._host_port
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            self._socket = socket.create_server((host, port), family=family)
        except OSError as exc:
            log.error(
                "the worker's display cannot listen on %s: %s; the gate runs on",
                self.address,
                os.strerror(exc.errno) if exc.errno else type(exc).__name__,
            )
            return False
        self._thread.start()
        return True

    @property
    def started(self) -> bool:
        return bool(self._server.started)

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self._socket] if self._socket else None)
        except BaseException as exc:  # whatever it is, it ends here: the gate runs on
            log.error("the worker's display stopped: %s; the gate runs on", type(exc).__name__)
            return
        if not self._stopping.is_set():
            log.error("the worker's display stopped by itself; the gate runs on")

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        if self._socket is not None:
            self._socket.close()
