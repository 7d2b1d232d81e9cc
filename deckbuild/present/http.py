"""The present-mode web server: the deck, its live-update stream, and the demo controls (and, in
share mode, the room's pages: room_http.py).

Security is checked here, on the server, for every request (not in the page):
- the Host header must name this server (127.0.0.1:<port>, localhost:<port>, and in share mode the
  machine's LAN address): a DNS-rebinding name pointing at it gets nothing, not even the page that
  carries the token;
- every control (run, signal, kill, start), the event stream and the status (every pid, Temporal's
  address) need the per-session token, which only the presenter's page carries, in the
  X-Present-Token header (the stream: ?token=), and a control an Origin (a browser always sends one
  for a POST) that is this server's own. In share mode they also need the presenter's cookie, which
  only the deck URL printed in the terminal gives (room.py). Anything else is 403 and nothing happens.
"""

from __future__ import annotations

import hmac
from html import escape as html_escape
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from deckbuild.present import questions_http, room_http
from deckbuild.present.handlers import run_control, stream
from deckbuild.present.room import PRESENTER_COOKIE, Room

STATIC = Path(__file__).resolve().parent / "static"
REPLAY_JS = Path(__file__).resolve().parent.parent / "static" / "replay.js"  # the exported deck's Replay, too
TOKEN_HEADER = "X-Present-Token"
MAX_BODY = 16 * 1024  # every request body a page sends is a few hundred bytes


class Served(Protocol):
    """What the server needs of a session (PresentSession is one)."""

    token: str
    port: int
    deck_name: str
    deck: Any  # LiveDeck: .state.built / .state.svgs / .state.error
    hub: Any
    live: Any  # LiveDemos: run / control / worker
    room: Room | None  # share mode only
    hosts: set[str]  # Host headers that name this server

    def status(self) -> dict: ...


def allowed_hosts(port: int, extra: set[str] = frozenset()) -> set[str]:
    return {f"127.0.0.1:{port}", f"localhost:{port}", *extra}


def origins(hosts: set[str]) -> set[str]:
    return {f"http://{host}" for host in hosts}


def inject(html: str, tags: str) -> str:
    return html.replace("</head>", tags + "</head>", 1)


def presenter_tags(token: str, deck: str, version: int, *, share: bool) -> str:
    """The presenter's page = marp-cli's HTML + the present-mode client (token and version in meta tags)."""
    return (
        f'<meta name="present-token" content="{token}"><meta name="present-deck" content="{deck}">'
        f'<meta name="present-version" content="{version}"><meta name="present-role" content="presenter">'
        + ('<meta name="present-share" content="1">' if share else "")
        + '<link rel="stylesheet" href="/__present/client.css">'
        '<script src="/__present/client.js" defer></script>'  # the page carries Replay (html_post)
        + ('<script src="/__present/room.js" defer></script>' + questions_http.TAGS if share else "")
    )


def make_app(session: Served) -> web.Application:
    hosts = session.hosts
    allowed = origins(hosts)

    def presenter(request: web.Request) -> bool:
        """Share mode: only the laptop, holder of the key the terminal printed."""
        return session.room is None or session.room.is_presenter(dict(request.cookies))

    @web.middleware
    async def checked(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.headers.get("Host", "") not in hosts:
            return web.Response(status=403, text="forbidden: unknown Host\n")
        if (request.content_length or 0) > MAX_BODY:  # refused before anyone reads it
            return web.Response(status=413, text=f"request body over {MAX_BODY} bytes\n")
        path = request.path
        if path.startswith("/r/"):  # the room's own checks (room_http)
            response = await handler(request)
        elif (path.startswith("/__present/") and not path.endswith((".js", ".css", ".svg")) and not path.startswith("/__present/asset/")
              or request.method not in ("GET", "HEAD")):
            if not presenter(request):
                return web.Response(status=403, text="forbidden: the presenter's\n")
            if request.method not in ("GET", "HEAD"):
                origin = request.headers.get("Origin")
                if origin is not None and origin not in allowed:
                    return web.Response(status=403, text="forbidden: foreign Origin\n")
                if not hmac.compare_digest(request.headers.get(TOKEN_HEADER, "").encode(), session.token.encode()):
                    return web.Response(status=403, text="forbidden: missing or wrong session token\n")
            response = await handler(request)
        else:
            response = await handler(request)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    app = web.Application(middlewares=[checked], client_max_size=MAX_BODY)
    app.router.add_get("/", lambda r: _deck_page(session, r, presenter(r)))
    app.router.add_get("/__present/svg/{key}.svg", lambda r: _svg(session, r.match_info["key"]))
    app.router.add_get("/__present/asset/{key}", lambda r: _asset(session, r.match_info["key"]))
    app.router.add_get("/__present/client.js", lambda r: web.FileResponse(STATIC / "client.js"))
    app.router.add_get("/__present/client.css", lambda r: web.FileResponse(STATIC / "client.css"))
    app.router.add_get("/__present/room.js", lambda r: web.FileResponse(STATIC / "room.js"))
    app.router.add_get("/__present/replay.js", lambda r: web.FileResponse(REPLAY_JS))
    app.router.add_get("/__present/events", lambda r: _events(session, r))
    app.router.add_get("/__present/status", lambda r: _status(session, r))
    app.router.add_get("/__present/deck", lambda r: _deck_snapshot(session, r))
    app.router.add_post("/__present/demo/{name}/run", lambda r: _control(session, r, "run"))
    app.router.add_post("/__present/demo/{name}/control/{action}", lambda r: _control(session, r, "control"))
    app.router.add_post("/__present/demo/{name}/worker/{op}", lambda r: _control(session, r, "worker"))
    if session.room is not None:
        room_http.add_routes(app, session, allowed)
    return app


async def _deck_page(session: Served, request: web.Request, is_presenter: bool) -> web.Response:
    room = session.room
    if room is not None:
        key = request.query.get("key")
        if key is not None:  # the terminal's URL: the key becomes a cookie and leaves the address bar
            if not hmac.compare_digest(key.encode(), room.presenter_key.encode()):
                return web.Response(status=403, text="forbidden: wrong presenter key\n")
            target = "/?" + "&".join(f"{k}={v}" for k, v in request.query.items() if k != "key") if len(request.query) > 1 else "/"
            response = web.HTTPFound(target.rstrip("?"))
            response.set_cookie(PRESENTER_COOKIE, key, httponly=True, samesite="Strict", path="/")
            raise response
        if not is_presenter:  # anyone else is the audience
            raise web.HTTPFound(f"/r/{room.room_id}")
    built = session.deck.state.built
    tags = presenter_tags(session.token, session.deck_name, built.version if built else 0, share=room is not None)
    if built is None:  # nothing good yet: a page that shows the error and reloads once the deck builds
        error = html_escape(session.deck.state.error or "the deck is being built")
        page = f"<!DOCTYPE html><html><head><title>{session.deck_name}</title></head><body><pre>{error}</pre></body></html>"
        return web.Response(status=503, text=inject(page, tags), content_type="text/html")
    return web.Response(text=inject(built.html, tags), content_type="text/html")


def _has_token(session: Served, request: web.Request) -> bool:
    sent = request.headers.get(TOKEN_HEADER) or request.query.get("token", "")
    return hmac.compare_digest(sent.encode(), session.token.encode())


async def _status(session: Served, request: web.Request) -> web.Response:
    """Every pid, the Temporal address and namespace: the presenter's, like every control."""
    if not _has_token(session, request):
        return web.Response(status=403, text="forbidden: missing or wrong session token\n")
    return web.json_response(session.status())


async def _deck_snapshot(session: Served, request: web.Request) -> web.Response:
    if not _has_token(session, request):
        return web.Response(status=403, text="forbidden: missing or wrong session token\n")
    return web.json_response(session.deck.snapshot())


async def _svg(session: Served, key: str) -> web.Response:
    svg = session.deck.state.svgs.get(key)
    if svg is None:
        return web.Response(status=404)
    # Content-addressed: the name changes when the diagram does, so the browser may keep it.
    return web.Response(body=svg, content_type="image/svg+xml", headers={"Cache-Control": "max-age=86400, immutable"})


async def _asset(session: Served, key: str) -> web.StreamResponse:
    """A local image the deck shows (only those: the key is its content hash, listed when rendered)."""
    from deckbuild.assets import IMAGE_TYPES

    path = session.deck.state.assets.get(key)
    if path is None or not path.is_file():
        return web.Response(status=404)
    return web.Response(body=path.read_bytes(), content_type=IMAGE_TYPES.get(path.suffix.lower(), "application/octet-stream"),
                        headers={"Cache-Control": "max-age=86400, immutable"})


async def _events(session: Served, request: web.Request) -> web.StreamResponse:
    if not _has_token(session, request):
        return web.Response(status=403, text="forbidden: missing or wrong session token\n")
    return await stream(request, session.hub.subscribe(), session.hub.unsubscribe)


async def _control(session: Served, request: web.Request, kind: str) -> web.Response:
    return await run_control(session, request, kind, request.match_info["name"])
