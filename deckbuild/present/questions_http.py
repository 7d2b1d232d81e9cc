"""Share mode's question routes: a phone's sheet (look, ask, upvote), the moderation of a remote granted
the controls and of the presenter, and the Markdown export. room_http.add_routes registers them with
one line; every route checks its role here, on the server (the checked middleware in http.py has
already required the presenter's cookie, and for a POST its token and Origin, on /__present/...).

A phone's device id is the server's (its cookie, with its room token on a POST), never the page's.
The text is checked with the validator's own rules before it costs an update, and the workflow
checks it again: a question that reaches the board is plain text, shown as text everywhere.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from pathlib import Path
from typing import Any, Callable

from aiohttp import web

from deckbuild.present.questions import receipt_json

STATIC = Path(__file__).resolve().parent / "static"
# What the audience page and the presenter's pages load (one tag each, beside room.js).
TAGS = '<link rel="stylesheet" href="/__present/questions.css"><script src="/__present/questions.js" defer></script>'
ATTEMPT = re.compile(r"[A-Za-z0-9_-]{1,32}")
PHONE_WAIT_S = 3.0  # a phone is told "waiting" after this rather than hang
STATUS = {"accepted": 200, "waiting": 202, "rejected": 409}


def add_routes(app: web.Application, session: Any, device_for_post: Callable[[web.Request], tuple[str | None, web.Response | None]]) -> None:
    room = session.room
    questions = session.questions
    prefix = f"/r/{room.room_id}/questions"

    def unavailable() -> web.Response:
        state = session.temporal.state
        reason = f"Temporal is not reachable ({state.reason or state.state}): your phone keeps the question and sends it again"
        return web.json_response({"status": "waiting", "reason": reason}, status=503)

    def answered(receipt: Any) -> web.Response:
        if receipt.status == "accepted":
            questions.changed()  # every screen reads the board now
        return web.json_response(receipt_json(receipt), status=STATUS.get(receipt.status, 200))

    async def look(request: web.Request) -> web.Response:
        """A phone's first look (and its catch-up): the board, and its own questions and upvotes."""
        from demos.questions.client import read_mine

        device = room.device_of(dict(request.cookies))
        if device is None:
            return web.json_response({"error": "unknown device: open the audience URL again"}, status=403)
        if not room.allow(device):
            return web.json_response({"error": "too many requests from this device: slow down"}, status=429)
        client = questions.client
        mine = await read_mine(client, questions.workflow_id, device, wait_s=1.5) if client is not None else None
        return web.json_response({**questions.for_device(device), "mine": _mine_json(mine)})

    async def ask(request: web.Request) -> web.Response:
        from demos.questions.client import ask as ask_board
        from demos.questions.model import MAX_NAME, MAX_TEXT, text_problem

        device, refused = device_for_post(request)
        if refused:
            return refused
        body = await _json(request)
        text, name = (body.get("text"), body.get("name") or "") if isinstance(body, dict) else (None, None)
        problem = text_problem(text, what="question", limit=MAX_TEXT, required=True) or text_problem(name, what="name", limit=MAX_NAME, required=False)
        if problem:
            return web.json_response({"status": "rejected", "reason": problem}, status=422)
        client = questions.client
        if client is None:
            return unavailable()
        return answered(await ask_board(client, questions.workflow_id, device, text, name, wait_s=PHONE_WAIT_S))

    async def upvote(request: web.Request) -> web.Response:
        from demos.questions.client import upvote as upvote_board

        device, refused = device_for_post(request)
        if refused:
            return refused
        question_id = _question_id(request)
        if question_id is None:
            return web.json_response({"status": "rejected", "reason": "no such question"}, status=404)
        body = await _json(request)
        sent = body.get("attempt") if isinstance(body, dict) else None
        # The phone names its press: the same name again while it was told "waiting", a new one for a new press.
        attempt = sent if isinstance(sent, str) and ATTEMPT.fullmatch(sent) else secrets.token_urlsafe(9)
        client = questions.client
        if client is None:
            return unavailable()
        return answered(await upvote_board(client, questions.workflow_id, device, question_id, attempt=attempt, wait_s=PHONE_WAIT_S))

    async def moderate(request: web.Request, by: str) -> web.Response:
        from demos.questions.client import moderate as moderate_board
        from demos.questions.model import ACTIONS

        question_id, action = _question_id(request), request.match_info["action"]
        if question_id is None or action not in ACTIONS:
            return web.json_response({"status": "rejected", "reason": f"no such question or action (actions: {', '.join(ACTIONS)})"}, status=404)
        client = questions.client
        if client is None:
            return unavailable()
        return answered(await moderate_board(client, questions.workflow_id, action, question_id, by=by, wait_s=PHONE_WAIT_S))

    async def remote_moderate(request: web.Request) -> web.Response:
        device, refused = device_for_post(request)
        if refused:
            return refused
        remote = room.remote_with_controls(device)
        if remote is None:
            return web.json_response({"status": "rejected", "reason": "only the presenter, or a remote granted the controls, moderates"}, status=403)
        return await moderate(request, f"remote {remote.code}")

    async def presenter_board(request: web.Request) -> web.Response:
        if not _has_token(session, request):
            return web.Response(status=403, text="forbidden: missing or wrong session token\n")
        return web.json_response({"all": questions.everything, **questions.status()})

    async def presenter_moderation(request: web.Request) -> web.Response:
        from demos.questions.client import configure

        body = await _json(request)
        if not isinstance(body, dict) or not isinstance(body.get("on"), bool):
            return web.json_response({"status": "rejected", "reason": "on must be true or false"}, status=400)
        client = questions.client
        if client is None:
            return unavailable()
        return answered(await configure(client, questions.workflow_id, moderation=body["on"], wait_s=PHONE_WAIT_S))

    async def export(request: web.Request) -> web.Response:
        """The board as Markdown, for the follow-up post (the same as `build.py questions`)."""
        from demos.questions.client import final_board
        from demos.questions.markdown import to_markdown

        if not _has_token(session, request):
            return web.Response(status=403, text="forbidden: missing or wrong session token\n")
        from demos.questions.client import BoardUnreadable

        client = questions.client
        try:
            board = await final_board(client, questions.workflow_id) if client is not None else None
        except BoardUnreadable:
            board = None
        if board is None:
            return web.Response(status=503, text="the board cannot be read now (Temporal or its worker is not answering)\n")
        filename = f"{session.deck_name}-questions.md"
        return web.Response(text=to_markdown(board, title=session.deck_name), content_type="text/markdown", charset="utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    app.router.add_get(prefix, look)
    app.router.add_post(prefix + "/ask", ask)
    app.router.add_post(prefix + "/{id}/upvote", upvote)
    app.router.add_post(prefix + "/{id}/moderate/{action}", remote_moderate)
    app.router.add_get("/__present/questions", presenter_board)
    app.router.add_post("/__present/questions/moderation", presenter_moderation)
    app.router.add_post("/__present/questions/{id}/{action}", lambda r: moderate(r, "presenter"))
    app.router.add_get("/__present/questions.md", export)
    app.router.add_get("/__present/questions.js", lambda r: web.FileResponse(STATIC / "questions.js"))
    app.router.add_get("/__present/questions.css", lambda r: web.FileResponse(STATIC / "questions.css"))


def _question_id(request: web.Request) -> int | None:
    raw = request.match_info.get("id", "")
    return int(raw) if raw.isdigit() and len(raw) <= 6 else None


def _mine_json(mine: Any) -> dict | None:
    if mine is None:
        return None  # no worker answered: the phone keeps what it knew
    from deckbuild.present.questions import public_json

    return {"asked": [public_json(q) for q in mine.asked], "voted": list(mine.voted)}


def _has_token(session: Any, request: web.Request) -> bool:
    from deckbuild.present.http import TOKEN_HEADER

    sent = request.headers.get(TOKEN_HEADER) or request.query.get("token", "")
    return hmac.compare_digest(sent.encode(), session.token.encode())


async def _json(request: web.Request) -> Any:
    try:
        return await request.json() if request.can_read_body else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
