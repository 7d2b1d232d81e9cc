"""Share mode's HTTP side: the audience page and stream, pairing a phone as a remote, the remote's
controls, and the presenter's own room endpoints. Every route checks its role here (room.py has
the roles): a viewer gets the follow-only page and stream; a remote also turns slides and, when
granted, runs the current slide's demo; the rest is the presenter's (the checked middleware in
http.py already required the presenter's cookie and token for /__present/...).

The audience page is built from the deck (audience.py): the slides' own HTML, reflowed on a phone
held upright, its diagrams laid out again for the phone (phone_diagrams.py), its demo runs as
timelines; its CSS and scripts are served compressed, by content hash."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
from typing import Any

from aiohttp import web

from deckbuild.phone_diagrams import PhoneDiagrams
from deckbuild.present import questions_http
from deckbuild.present.audience import AudiencePages, static_file
from deckbuild.present.children import RendererChild
from deckbuild.present.handlers import run_control, stream
from deckbuild.present.room import DEVICE_COOKIE, encode, qr_svg
from deckbuild.aio import within

KEY_RE = re.compile(r"^[0-9a-f]{32}$")
DIAGRAMS_WAIT_S = 0.4  # a page waits at most this long for its phone diagrams' sizes (else the phone asks for them)
KEPT = "public, max-age=31536000, immutable"  # named by content: a phone keeps it until it changes


def audience_url(session: Any, host: str) -> str:
    return f"http://{host}/r/{session.room.room_id}"


def add_routes(app: web.Application, session: Any, allowed_origins: set[str]) -> None:
    room = session.room
    prefix = f"/r/{room.room_id}"
    pages = AudiencePages(session, room.room_id)
    phone = PhoneDiagrams(session.cfg, lambda: session.deck.state.svgs,
                          (lambda: RendererChild(session.renderer)) if getattr(session, "renderer", None) is not None else None)

    async def diagram_sizes(keys: list[str], wait: float | None = None) -> dict[str, dict]:
        """The phone variants' sizes (rendered first when new: one renderer call for all of them)."""
        keys = [k for k in keys if KEY_RE.match(k)][:64]
        loop = asyncio.get_running_loop()
        job = asyncio.ensure_future(loop.run_in_executor(None, phone.ensure, keys))
        try:
            return await within(asyncio.shield(job), wait) if wait else await job
        except asyncio.TimeoutError:  # the page goes now; the phone asks for the rest when it needs them
            return {k: found[1] for k in keys if (found := phone.get(k)) is not None}

    def device_for_post(request: web.Request) -> tuple[str | None, web.Response | None]:
        """The device sending, if its cookie and room token agree, the Origin is ours and it is
        within its rate; otherwise the refusal to send."""
        origin = request.headers.get("Origin")
        if origin is not None and origin not in allowed_origins:
            return None, web.Response(status=403, text="forbidden: foreign Origin\n")
        device = room.device_of(dict(request.cookies), dict(request.headers))
        if device is None:
            return None, web.json_response({"error": "unknown device: open the audience URL again"}, status=403)
        if not room.allow(device):
            return None, web.json_response({"error": "too many requests from this device: slow down"}, status=429)
        return device, None

    async def page(request: web.Request) -> web.StreamResponse:
        device = room.device_of(dict(request.cookies))
        if room.full(device):
            return web.Response(status=503, text=_room_full_page(room.max_devices), content_type="text/html")
        fresh = device is None
        device = device or room.new_device()
        deck = pages.deck()
        if deck is None:
            return web.Response(status=503, text="<!DOCTYPE html><p>The deck is being built; try again in a moment.</p>", content_type="text/html")
        sizes = await diagram_sizes(deck.diagram_keys, DIAGRAMS_WAIT_S)
        text = pages.page(deck, room=room.room_id, token=room.room_token(device), diagrams=sizes)
        response = web.Response(text=text, content_type="text/html")
        response.enable_compression()
        if fresh:
            response.set_cookie(DEVICE_COOKIE, device, httponly=True, samesite="Strict", path="/r/")
        return response

    def compressed(request: web.Request, body: bytes, content_type: str) -> web.Response:
        """A body kept gzip-compressed, sent as it is to a browser that takes gzip (every one does)."""
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            return web.Response(body=body, content_type=content_type, headers={"Content-Encoding": "gzip", "Cache-Control": KEPT, "Vary": "Accept-Encoding"})
        return web.Response(body=gzip.decompress(body), content_type=content_type, headers={"Cache-Control": KEPT, "Vary": "Accept-Encoding"})

    async def deck_css(request: web.Request) -> web.Response:
        deck = pages.deck()
        if deck is None:
            return web.Response(status=503, text="the deck is being built\n")
        return compressed(request, pages.css_gz(deck), "text/css")

    async def font(request: web.Request) -> web.Response:
        pages.deck()
        found = pages.fonts.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        return web.Response(body=found[0], content_type=found[1], headers={"Cache-Control": KEPT})

    async def static(request: web.Request) -> web.Response:
        found = static_file(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        return compressed(request, *found)

    async def phone_diagram(request: web.Request) -> web.Response:
        """A diagram laid out for a phone held upright (its key is the slide's SVG's)."""
        key = request.match_info["key"]
        if room.device_of(dict(request.cookies)) is None or not KEY_RE.match(key):
            return web.Response(status=403, text="forbidden: unknown device\n")
        if not phone.known(key):
            await diagram_sizes([key])
        found = phone.get(key)
        if found is None:
            raise web.HTTPNotFound()
        return web.Response(body=found[0], content_type="image/svg+xml", headers={"Cache-Control": KEPT})

    async def diagram_info(request: web.Request) -> web.Response:
        if room.device_of(dict(request.cookies)) is None:
            return web.Response(status=403, text="forbidden: unknown device\n")
        return web.json_response(await diagram_sizes(request.query.get("keys", "").split(",")))

    async def timelines(request: web.Request) -> web.Response:
        """The demo slides' captured runs as timelines, for a page that patched a newer deck."""
        if room.device_of(dict(request.cookies)) is None:
            return web.Response(status=403, text="forbidden: unknown device\n")
        deck = pages.deck()
        response = web.json_response({"version": deck.version if deck else 0, "timelines": pages.timelines(deck) if deck else {}})
        response.enable_compression()
        return response

    async def events(request: web.Request) -> web.StreamResponse:
        device = room.device_of(dict(request.cookies))
        if device is None:
            return web.Response(status=403, text="forbidden: unknown device (open the audience URL)\n")
        if room.full(device):
            return web.Response(status=503, text="the room is full\n")
        if not room.allow(device):
            return web.Response(status=429, text="too many requests from this device\n")
        queue = room.join(device)
        for event, data in session.audience_state(device):  # a late joiner lands on the current slide, the live pictures as they are
            queue.put_nowait(encode(event, data))
        return await stream(request, queue, room.leave)

    async def deck(request: web.Request) -> web.Response:  # a page that is behind catches up (no notes: the presenter's)
        if room.device_of(dict(request.cookies)) is None:
            return web.Response(status=403, text="forbidden: unknown device\n")
        return web.json_response(session.deck.snapshot(notes=False))

    async def pair(request: web.Request) -> web.Response:
        device, refused = device_for_post(request)
        if refused:
            return refused
        if room.role(device) == "remote":
            return web.json_response({"role": "remote"})
        pairing = room.ask_to_pair(device)
        return web.json_response({"code": pairing.code, "role": "viewer"})

    async def nav(request: web.Request) -> web.Response:
        device, refused = device_for_post(request)
        if refused:
            return refused
        if room.role(device) != "remote":
            return web.json_response({"error": "only a paired remote turns the slides"}, status=403)
        body = await _json(request)
        direction = body.get("dir") if isinstance(body, dict) else None
        if direction not in ("next", "prev"):
            return web.json_response({"error": "dir must be next or prev"}, status=400)
        target = _step(room.follow, direction)  # absolute: every presenter window goes to the same place
        session.hub.publish("navigate", target)
        return web.json_response({"ok": True, **target})

    async def vote(request: web.Request) -> web.Response:
        """Any device in the room votes on the current slide's open ballot (share mode's audience
        in the loop). One vote per device is the workflow's rule (its validator, or its dedupe by
        device id); the device id is this server's, from the device's cookie."""
        device, refused = device_for_post(request)
        if refused:
            return refused
        name = request.match_info["name"]
        if name not in session.demos_on_slide(room.follow.get("slide", 0)):
            return web.json_response({"status": "rejected", "reason": "this vote is not on the current slide"}, status=409)
        body = await _json(request)
        answer = body.get("answer") if isinstance(body, dict) else None
        if not isinstance(answer, str) or not answer or len(answer) > 40:
            return web.json_response({"status": "rejected", "reason": "answer is missing"}, status=400)
        status, receipt = await session.live.audience_vote(name, device, answer)
        return web.json_response(receipt, status=status)

    async def demo(request: web.Request) -> web.Response:
        device, refused = device_for_post(request)
        if refused:
            return refused
        if room.remote_with_controls(device) is None:
            return web.json_response({"error": "this device may not use the demo controls"}, status=403)
        name = request.match_info["name"]
        if name not in session.demos_on_slide(room.follow.get("slide", 0)):
            return web.json_response({"error": f"demo {name!r} is not on the current slide"}, status=403)
        kind = request.match_info["kind"]
        if kind not in ("run", "control", "worker"):
            raise web.HTTPNotFound()
        return await run_control(session, request, kind, name)

    async def follow(request: web.Request) -> web.Response:  # the presenter's page: where the deck is
        body = await _json(request)
        numbers = ("slide", "fragment", "fragments", "count")
        if not isinstance(body, dict) or not all(isinstance(body.get(k, 0), int) for k in numbers) or not isinstance(body.get("slide"), int):
            return web.json_response({"error": "slide, fragment, fragments and count must be numbers"}, status=400)
        demos = [str(d)[:40] for d in body.get("demos") or [] if isinstance(d, str)][:4]
        session.set_follow(body["slide"], body.get("fragment", 0), fragments=body.get("fragments", 0), count=body.get("count", 0), demos=demos)
        return web.json_response({"ok": True})

    async def decide(request: web.Request) -> web.Response:
        body = await _json(request)
        if not isinstance(body, dict) or not isinstance(body.get("code"), str):
            return web.json_response({"error": "code is missing"}, status=400)
        pairing = room.decide(body["code"], bool(body.get("approve")), demo_controls=bool(body.get("demo_controls")))
        if pairing is None:
            return web.json_response({"error": "no device is asking with that code"}, status=404)
        session.tell_device(pairing.device)
        return web.json_response({"state": pairing.state, "demo_controls": pairing.demo_controls})

    async def revoke(request: web.Request) -> web.Response:
        body = await _json(request)
        code = body.get("code") if isinstance(body, dict) else None
        device = next((d for d, r in room.remotes.items() if r.code == str(code).upper()), None)
        if not isinstance(code, str) or not room.revoke(code):
            return web.json_response({"error": "no remote is paired with that code"}, status=404)
        session.tell_device(device)
        return web.json_response({"revoked": code})

    async def qr(request: web.Request) -> web.Response:
        return web.Response(text=qr_svg(session.audience_url), content_type="image/svg+xml")

    warming: list[asyncio.Task] = []

    async def warm(app: web.Application) -> None:
        """The phone layouts of the deck's diagrams, made behind the first slide (once the deck is built
        and the Mermaid renderer is up), so the room's first phones do not wait for them."""
        async def make() -> None:
            for _ in range(240):
                renderer = getattr(session, "renderer", None)
                if session.deck.state.built is not None and (renderer is None or renderer.state == "up"):
                    deck = pages.deck()
                    if deck is not None:
                        await diagram_sizes(deck.diagram_keys)
                    return
                await asyncio.sleep(0.5)

        warming.append(asyncio.create_task(make()))

    async def stop_warm(app: web.Application) -> None:
        for task in warming:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    app.on_startup.append(warm)
    app.on_cleanup.append(stop_warm)
    app.router.add_get(prefix, page)
    app.router.add_get(prefix + "/deck.css", deck_css)
    app.router.add_get(prefix + "/s/{name}", static)
    app.router.add_get(prefix + "/font/{name}", font)
    app.router.add_get(prefix + "/diagram/{key}.svg", phone_diagram)
    app.router.add_get(prefix + "/diagrams", diagram_info)
    app.router.add_get(prefix + "/timelines", timelines)
    app.router.add_get(prefix + "/events", events)
    app.router.add_get(prefix + "/deck", deck)
    app.router.add_post(prefix + "/pair", pair)
    app.router.add_post(prefix + "/nav", nav)
    app.router.add_post(prefix + "/vote/{name}", vote)
    app.router.add_post(prefix + "/demo/{name}/{kind}", demo)
    app.router.add_post(prefix + "/demo/{name}/{kind}/{action}", demo)
    app.router.add_post("/__present/follow", follow)
    app.router.add_post("/__present/room/decide", decide)
    app.router.add_post("/__present/room/revoke", revoke)
    app.router.add_get("/__present/room/qr", qr)
    questions_http.add_routes(app, session, device_for_post)  # questions from the room (issue 22)


def _step(follow: dict, direction: str) -> dict:
    """The position one step on (a fragment first, then the slide) or back, within the deck."""
    slide, fragment = follow.get("slide", 1), follow.get("fragment", 0)
    fragments, count = follow.get("fragments", 0), follow.get("count", 0) or 10**6
    if direction == "next":
        if fragment < fragments:
            return {"slide": slide, "fragment": fragment + 1}
        return {"slide": min(count, slide + 1), "fragment": 0}
    if fragment > 0:
        return {"slide": slide, "fragment": fragment - 1}
    return {"slide": max(1, slide - 1), "fragment": 0}


async def _json(request: web.Request) -> Any:
    try:
        return await request.json() if request.can_read_body else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _room_full_page(limit: int) -> str:
    return ("<!DOCTYPE html><html lang='en'><head><meta name='viewport' content='width=device-width'><title>Room full</title></head>"
            "<body style='background:#001f3f;color:#C0C0C0;font:24px/1.4 sans-serif;padding:2em'>"
            f"<h1 style='color:#ccc'>The room is full</h1><p>{limit} devices already follow this talk. Try again in a minute, "
            "or look at the big screen.</p></body></html>")
