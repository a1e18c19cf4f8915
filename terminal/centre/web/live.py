"""A live page: a stream of server-sent events that carries the page's changing part, rendered on
the server, whenever the store changes (and now and then regardless, so times open stay true).
The page swaps it in as it comes: the browser never builds markup from a gate's values."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from terminal.centre.web.context import VERSION_POLL_S, Visitor, Web

POLL_S = VERSION_POLL_S  # as often as the store's version is read
REFRESH_S = 10.0  # durations on the page move on even when nothing changes
SESSION_CHECK_S = 30.0  # an ended session ends its streams too

Render = Callable[[Visitor], Awaitable[str]]


def event(name: str, html: str) -> str:
    lines = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return f"event: {name}\n{lines}\n"


def stream_route(web: Web, render: Render) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        visitor = await web.visitor(request)
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        if visitor is None:  # the page asks for a sign-in (a redirect would only break the stream)
            return Response(event("expired", ""), media_type="text/event-stream", headers=headers)

        async def stream() -> AsyncIterator[str]:
            yield "retry: 1000\n\n"
            shown_version = -1
            shown_at = checked_at = time.monotonic()
            while not web.stopping.is_set():
                version = await web.version()
                now = time.monotonic()
                if web.gone(visitor):
                    yield event("expired", "")
                    return
                if now - checked_at >= SESSION_CHECK_S:
                    checked_at = now
                    if await web.visitor(request) is None:
                        yield event("expired", "")
                        return
                if version != shown_version or now - shown_at >= REFRESH_S:
                    shown_version, shown_at = version, now
                    yield event("page", await render(visitor))
                await asyncio.sleep(POLL_S)

        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    return handler
