"""Request handlers the presenter's routes (http.py) and the room's (room_http.py) share: a stream of
server-sent events, and a demo control run on behalf of whoever the route let through."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from deckbuild.present.live_demos import LiveError


async def stream(request: web.Request, queue: asyncio.Queue, on_close: Any) -> web.StreamResponse:
    """Server-sent events from `queue` until the page goes or the session ends ("", "")."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    await response.prepare(request)
    try:
        await response.write(b"retry: 1000\n: connected\n\n")  # a dropped page (Wi-Fi, a phone asleep) tries again after 1 s
        while True:
            try:
                async with asyncio.timeout(15):  # (not wait_for: no task per message; a room's fan-out wakes hundreds of these)
                    items = [await queue.get()]
            except TimeoutError:
                await response.write(b": keep-alive\n\n")  # lets a dead connection be noticed
                continue
            while not queue.empty():  # what queued meanwhile goes out in the same write
                items.append(queue.get_nowait())
            messages = [item if isinstance(item, bytes) else f"event: {item[0]}\ndata: {item[1]}\n\n".encode() if item[0] else b"" for item in items]
            ended = b"" in messages  # the session is shutting down, or this page was too slow to keep up
            data = b"".join(messages[: messages.index(b"")] if ended else messages)
            if data:
                await response.write(data)
            if ended:
                break
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        on_close(queue)
    return response


async def run_control(session: Any, request: web.Request, kind: str, name: str) -> web.Response:
    try:
        body = await request.json() if request.can_read_body else {}
    except json.JSONDecodeError:
        return web.json_response({"error": "the request body is not JSON"}, status=400)
    try:
        if kind == "run":
            result = await session.live.run(name)
        elif kind == "control":
            result = await session.live.control(name, request.match_info.get("action", ""), body if isinstance(body, dict) else {})
        else:
            result = await session.live.worker(name, request.match_info.get("op") or request.match_info.get("action", ""))
    except LiveError as err:
        return web.json_response({"error": str(err)}, status=err.status)
    return web.json_response(result)
