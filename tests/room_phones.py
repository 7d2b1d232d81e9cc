"""Phones as scripts (no browser): each device opens the audience page (its own cookie and room
token), then asks and upvotes through share mode's HTTP routes, sending the same again while it is
told "waiting" (or the server does not answer: a restart), as questions.js does. Used by
tests/test_present_questions.py and bench/room_questions_bench.py."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable

import aiohttp

from demos.poll.devices import PhoneVote, vote_like_a_phone
from demos.questions.client import Receipt


@dataclass
class Device:
    id: str
    cookie: str
    token: str
    room_path: str  # the room its token is for (a restarted session is a new room, with new tokens)


class HttpRoom:
    """The audience side of one share session, over loopback. The room's path is read again through
    `room_path_now` before each request: a restarted session is a new room (the device cookies stay)."""

    def __init__(self, base_url: str, room_path_now: Callable[[], str], http: aiohttp.ClientSession):
        self.base = base_url.rstrip("/")
        self.room_path_now = room_path_now
        self.http = http
        self.room_path = room_path_now()

    async def device(self) -> Device:
        async with self.http.get(f"{self.base}{self.room_path}", headers={"Cookie": ""}) as r:
            assert r.status == 200, (r.status, await r.text())
            page = await r.text()
            device = r.cookies["present_device"].value
        return Device(device, f"present_device={device}", re.search(r'name="present-room-token" content="([^"]+)"', page).group(1), self.room_path)

    async def _rejoin(self, device: Device, room_path: str) -> None:
        """After a restart: the new audience URL, where the device (the same cookie) gets its new token."""
        async with self.http.get(f"{self.base}{room_path}", headers={"Cookie": device.cookie}) as r:
            page = await r.text()
        device.token = re.search(r'name="present-room-token" content="([^"]+)"', page).group(1)
        device.room_path = room_path

    async def post(self, device: Device, path: str, body: dict) -> tuple[int, dict]:
        try:
            now = self.room_path_now()
            if now and now != device.room_path:  # the session restarted: a new room
                await self._rejoin(device, now)
            headers = {"Cookie": device.cookie, "X-Room-Token": device.token, "Origin": self.base, "Content-Type": "application/json"}
            async with self.http.post(f"{self.base}{device.room_path}{path}", data=json.dumps(body), headers=headers) as r:
                try:
                    return r.status, await r.json()
                except (aiohttp.ContentTypeError, json.JSONDecodeError):
                    return r.status, {"status": "waiting", "reason": f"HTTP {r.status}"}
        except (aiohttp.ClientConnectionError, TimeoutError, AttributeError) as err:  # the session is restarting (no page, no token yet)
            return 0, {"status": "waiting", "reason": f"no answer ({type(err).__name__})"}

    async def ask(self, device: Device, text: str, name: str = "") -> Receipt:
        status, body = await self.post(device, "/questions/ask", {"text": text, "name": name})
        return _receipt(status, body)

    async def upvote(self, device: Device, question_id: int, attempt: str) -> Receipt:
        status, body = await self.post(device, f"/questions/{question_id}/upvote", {"attempt": attempt})
        return _receipt(status, body)

    async def ask_like_a_phone(self, device: Device, text: str, **kw) -> PhoneVote:
        return await vote_like_a_phone(lambda _d, t: self.ask(device, t), device.id, text, **kw)

    async def upvote_like_a_phone(self, device: Device, question_id: int, attempt: str, **kw) -> PhoneVote:
        return await vote_like_a_phone(lambda _d, q: self.upvote(device, q, attempt), device.id, question_id, **kw)


def _receipt(http_status: int, body: dict) -> Receipt:
    status = body.get("status")
    if status not in ("accepted", "rejected", "waiting") or http_status == 429:
        status = "waiting"  # a 429, a 503 while Temporal restarts: the phone tries again
    return Receipt(status, "", body.get("question_id"), state=body.get("state", ""), votes=body.get("votes"), again=bool(body.get("again")),
                   reason=body.get("reason", ""))
