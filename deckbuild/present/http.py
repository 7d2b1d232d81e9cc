"""The present-mode web server: the deck, its live-update stream, and the demo controls.

Security is checked here, on the server, for every request (not in the page):
- the Host header must name this server (127.0.0.1:<port> or localhost:<port>): a DNS-rebinding name
  pointing at loopback gets nothing, not even the page that carries the token;
- every control (run, signal, kill, start), the event stream and the status (every pid, Temporal's
  address) need the per-session token, which only the served page carries, in the X-Present-Token
  header (the stream: ?token=), and a control an Origin (when the browser sends one, and it always does
  for a POST) that is this server's own. Anything else is 403 and nothing happens.
"""

from __future__ import annotations

import asyncio
import hmac
from html import escape as html_escape
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from deckbuild.present.session import PresentSession

STATIC = Path(__file__).resolve().parent / "static"
REPLAY_JS = Path(__file__).resolve().parent.parent / "static" / "replay.js"  # the exported deck's Replay, too
TOKEN_HEADER = "X-Present-Token"


def allowed_hosts(port: int) -> set[str]:
    return {f"127.0.0.1:{port}", f"localhost:{port}"}


def allowed_origins(port: int) -> set[str]:
    return {f"http://{host}" for host in allowed_hosts(port)}


def inject(html: str, token: str, deck: str, version: int) -> str:
    """The served page = marp-cli's HTML + the present-mode client (token and version in meta tags)."""
    tags = (
        f'<meta name="present-token" content="{token}"><meta name="present-deck" content="{deck}">'
        f'<meta name="present-version" content="{version}">'
        '<link rel="stylesheet" href="/__present/client.css">'
        '<script src="/__present/replay.js" defer></script><script src="/__present/client.js" defer></script>'
    )
    return html.replace("</head>", tags + "</head>", 1)


def make_app(session: PresentSession) -> web.Application:
    port = session.port

    @web.middleware
    async def same_host_only(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.headers.get("Host", "") not in allowed_hosts(port):
            return web.Response(status=403, text="forbidden: unknown Host\n")
        if request.method not in ("GET", "HEAD"):
            origin = request.headers.get("Origin")
            if origin is not None and origin not in allowed_origins(port):
                return web.Response(status=403, text="forbidden: foreign Origin\n")
            sent = request.headers.get(TOKEN_HEADER, "")
            if not hmac.compare_digest(sent.encode(), session.token.encode()):
                return web.Response(status=403, text="forbidden: missing or wrong session token\n")
        response = await handler(request)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    app = web.Application(middlewares=[same_host_only])
    app.router.add_get("/", lambda r: _deck_page(session))
    app.router.add_get("/__present/svg/{key}.svg", lambda r: _svg(session, r.match_info["key"]))
    app.router.add_get("/__present/client.js", lambda r: web.FileResponse(STATIC / "client.js"))
    app.router.add_get("/__present/client.css", lambda r: web.FileResponse(STATIC / "client.css"))
    app.router.add_get("/__present/replay.js", lambda r: web.FileResponse(REPLAY_JS))
    app.router.add_get("/__present/events", lambda r: _events(session, r))
    app.router.add_get("/__present/status", lambda r: _status(session, r))
    app.router.add_post("/__present/demo/{name}/run", lambda r: _control(session, r, "run"))
    app.router.add_post("/__present/demo/{name}/control/{action}", lambda r: _control(session, r, "control"))
    app.router.add_post("/__present/demo/{name}/worker/{op}", lambda r: _control(session, r, "worker"))
    return app


async def _deck_page(session: PresentSession) -> web.Response:
    built = session.deck.state.built
    if built is None:  # nothing good yet: a page that shows the error and reloads once the deck builds
        error = html_escape(session.deck.state.error or "the deck is being built")
        page = f"<!DOCTYPE html><html><head><title>{session.deck_name}</title></head><body><pre>{error}</pre></body></html>"
        return web.Response(status=503, text=inject(page, session.token, session.deck_name, 0), content_type="text/html")
    return web.Response(text=inject(built.html, session.token, session.deck_name, built.version), content_type="text/html")


def _has_token(session: PresentSession, request: web.Request) -> bool:
    sent = request.headers.get(TOKEN_HEADER) or request.query.get("token", "")
    return hmac.compare_digest(sent.encode(), session.token.encode())


async def _status(session: PresentSession, request: web.Request) -> web.Response:
    """Every pid, the Temporal address and namespace: the presenter's, like every control."""
    if not _has_token(session, request):
        return web.Response(status=403, text="forbidden: missing or wrong session token\n")
    return web.json_response(session.status())


async def _svg(session: PresentSession, key: str) -> web.Response:
    svg = session.deck.state.svgs.get(key)
    if svg is None:
        return web.Response(status=404)
    # Content-addressed: the name changes when the diagram does, so the browser may keep it.
    return web.Response(body=svg, content_type="image/svg+xml", headers={"Cache-Control": "max-age=86400, immutable"})


async def _events(session: PresentSession, request: web.Request) -> web.StreamResponse:
    if not _has_token(session, request):
        return web.Response(status=403, text="forbidden: missing or wrong session token\n")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    await response.prepare(request)
    queue = session.hub.subscribe()
    try:
        await response.write(b": connected\n\n")
        while True:
            try:
                event, data = await asyncio.wait_for(queue.get(), timeout=15)
                if not event:
                    break  # the session is shutting down
                await response.write(f"event: {event}\ndata: {data}\n\n".encode())
            except asyncio.TimeoutError:
                await response.write(b": keep-alive\n\n")  # lets a dead connection be noticed
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        session.hub.unsubscribe(queue)
    return response


async def _control(session: PresentSession, request: web.Request, kind: str) -> web.Response:
    from deckbuild.present.live_demos import LiveError

    name = request.match_info["name"]
    try:
        body = await request.json() if request.can_read_body else {}
    except json.JSONDecodeError:
        return web.json_response({"error": "the request body is not JSON"}, status=400)
    try:
        if kind == "run":
            result = await session.live.run(name)
        elif kind == "control":
            result = await session.live.control(name, request.match_info["action"], body if isinstance(body, dict) else {})
        else:
            result = await session.live.worker(name, request.match_info["op"])
    except LiveError as err:
        return web.json_response({"error": str(err)}, status=err.status)
    return web.json_response(result)
