"""Share mode: the room follows the deck, and the presenter's phone drives it. The roles live here,
and every request and stream is checked against them on the server (never in the page):

- presenter: the laptop. Its capability is a secret in the deck URL printed in the terminal
  (`/?key=...`, as Jupyter's token URL): opening it sets an HttpOnly cookie, so the secret leaves
  the address bar at once. No audience page, stream or QR code carries it.
- remote: a phone that asked to pair, showed a short code, and was approved on the laptop; it may
  turn the slides, read the notes, and (if the presenter granted it) use the current slide's demo
  controls. The presenter can revoke it; every pairing ends with the session.
- viewer: any device with the audience URL (`/r/<room>`): it follows the slide and sees the live
  pictures, nothing else.

Bounded: a per-device rate limit on everything a device sends, small request bodies, at most
`max_devices` connected devices ("room full" past that), and no state kept for a device that left
(a remote's pairing, which the presenter granted, lasts until revoked).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import socket
import time
from dataclasses import dataclass, field
from typing import Any

PRESENTER_COOKIE = "present_key"
DEVICE_COOKIE = "present_device"
ROOM_TOKEN_HEADER = "X-Room-Token"
CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B: read aloud and typed without doubt
CODE_LENGTH = 4
PAIR_REQUEST_TTL_S = 120.0
RATE_PER_S = 5.0  # a device's sustained requests per second (a thumb on Next is about 3)
RATE_BURST = 10.0
QUEUE_LIMIT = 200  # messages waiting for one slow device: past that it is dropped and reconnects to the latest state
DEFAULT_MAX_DEVICES = 1000


END = b""  # the message that ends a stream


def encode(event: str, data: str) -> bytes:
    """One server-sent event, as the stream writes it."""
    return f"event: {event}\ndata: {data}\n\n".encode()


@dataclass
class Bucket:
    """A token bucket: `allow()` is False once a device sends faster than RATE_PER_S (burst RATE_BURST)."""

    tokens: float = RATE_BURST
    at: float = field(default_factory=time.monotonic)

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(RATE_BURST, self.tokens + (now - self.at) * RATE_PER_S)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class Pairing:
    code: str
    device: str
    asked_at: float
    state: str = "asked"  # asked | approved | denied
    demo_controls: bool = False


@dataclass
class Remote:
    device: str
    code: str
    demo_controls: bool
    since: float = field(default_factory=time.time)


class Room:
    def __init__(self, *, max_devices: int = DEFAULT_MAX_DEVICES) -> None:
        self.room_id = secrets.token_urlsafe(6)  # the audience URL: anyone in the room may follow
        self.presenter_key = secrets.token_urlsafe(24)  # the laptop's, printed in its terminal only
        self._device_secret = secrets.token_bytes(32)  # signs each device's room token (its CSRF token)
        self.max_devices = max_devices
        self.streams: dict[str, int] = {}  # device -> open streams (a device that left has no entry)
        self.buckets: dict[str, Bucket] = {}  # only for connected devices
        self.pairings: dict[str, Pairing] = {}  # code -> a request not yet decided
        self.remotes: dict[str, Remote] = {}  # device -> granted pairing (until revoked or the session ends)
        self.follow: dict[str, Any] = {"slide": 1, "fragment": 0}
        self._pages: set[asyncio.Queue] = set()
        self.on_change: Any = None  # the session's hook: the presenter view shows pairing requests

    # --- who is asking --------------------------------------------------------------------------------
    def is_presenter(self, cookies: dict[str, str]) -> bool:
        return hmac.compare_digest(cookies.get(PRESENTER_COOKIE, "").encode(), self.presenter_key.encode())

    def room_token(self, device: str) -> str:
        return hmac.new(self._device_secret, device.encode(), hashlib.sha256).hexdigest()[:32]

    def device_of(self, cookies: dict[str, str], headers: dict[str, str] | None = None) -> str | None:
        """The device id from its cookie, when the request also carries that device's room token
        (when `headers` are given: a POST); None for anything forged."""
        device = cookies.get(DEVICE_COOKIE, "")
        if len(device) < 20:
            return None
        if headers is not None and not hmac.compare_digest(headers.get(ROOM_TOKEN_HEADER, "").encode(), self.room_token(device).encode()):
            return None
        return device

    @staticmethod
    def new_device() -> str:
        return secrets.token_urlsafe(18)

    def role(self, device: str | None) -> str:
        return "remote" if device and device in self.remotes else "viewer"

    def allow(self, device: str) -> bool:
        bucket = self.buckets.get(device)
        if bucket is None:  # a device with no open stream: still limited while it sends
            bucket = self.buckets[device] = Bucket()
        return bucket.allow()

    @property
    def connected(self) -> int:
        return len(self.streams)

    def full(self, device: str | None) -> bool:
        return (device is None or device not in self.streams) and self.connected >= self.max_devices

    # --- streams ----------------------------------------------------------------------------------------
    def join(self, device: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self.streams[device] = self.streams.get(device, 0) + 1
        self.buckets.setdefault(device, Bucket())
        self._pages.add(queue)
        queue.device = device  # type: ignore[attr-defined]
        self._changed()
        return queue

    def leave(self, queue: asyncio.Queue) -> None:
        self._pages.discard(queue)
        device = getattr(queue, "device", "")
        left = self.streams.get(device, 1) - 1
        if left > 0:
            self.streams[device] = left
            return
        self.streams.pop(device, None)
        self.buckets.pop(device, None)  # no per-device state once it left (a remote's grant aside)
        for code in [c for c, p in self.pairings.items() if p.device == device]:
            del self.pairings[code]
        self._changed()

    def broadcast(self, event: str, data: str, *, remotes_only: bool = False) -> None:
        message = encode(event, data)  # once, for every device
        for queue in list(self._pages):
            if remotes_only and getattr(queue, "device", "") not in self.remotes:
                continue
            if queue.qsize() >= QUEUE_LIMIT:  # a device that does not read: drop it, it reconnects
                queue.put_nowait(END)
                self._pages.discard(queue)
                continue
            queue.put_nowait(message)

    def remote_with_controls(self, device: str | None) -> Remote | None:
        """The remote paired on `device` if the presenter granted it the controls (demos, moderation)."""
        remote = self.remotes.get(device or "")
        return remote if remote is not None and remote.demo_controls else None

    def tell(self, device: str, event: str, data: str) -> None:
        message = encode(event, data)
        for queue in list(self._pages):
            if getattr(queue, "device", "") == device:
                queue.put_nowait(message)

    def close(self) -> None:
        for queue in list(self._pages):
            queue.put_nowait(END)
        self._pages.clear()
        self.remotes.clear()
        self.pairings.clear()

    # --- pairing ---------------------------------------------------------------------------------------
    def ask_to_pair(self, device: str) -> Pairing:
        """A device asks; it gets a short code to show, which the presenter approves or denies."""
        self._expire()
        for pairing in self.pairings.values():
            if pairing.device == device:
                return pairing
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        while code in self.pairings or any(r.code == code for r in self.remotes.values()):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        pairing = self.pairings[code] = Pairing(code, device, time.monotonic())
        self._changed()
        return pairing

    def decide(self, code: str, approve: bool, *, demo_controls: bool = False) -> Pairing | None:
        """The presenter's answer. A code is used once: deciding it again, or a code nobody asked
        for, changes nothing (None)."""
        self._expire()
        pairing = self.pairings.pop(code.upper(), None)
        if pairing is None:
            return None
        pairing.state = "approved" if approve else "denied"
        pairing.demo_controls = approve and demo_controls
        if approve:
            self.remotes[pairing.device] = Remote(pairing.device, pairing.code, pairing.demo_controls)
        self._changed()
        return pairing

    def revoke(self, code: str) -> bool:
        device = next((d for d, r in self.remotes.items() if r.code == code.upper()), None)
        if device is None:
            return False
        del self.remotes[device]
        self._changed()
        return True

    def listing(self) -> dict:
        """What the presenter view shows: who asks, who is paired, how many follow."""
        self._expire()
        return {"asking": [p.code for p in self.pairings.values()],
                "remotes": [{"code": r.code, "demo_controls": r.demo_controls} for r in self.remotes.values()],
                "devices": self.connected}

    def _expire(self) -> None:
        now = time.monotonic()
        for code in [c for c, p in self.pairings.items() if now - p.asked_at > PAIR_REQUEST_TTL_S]:
            del self.pairings[code]

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()


def lan_address() -> str:
    """This machine's address on its network, for the audience URL: the source address the kernel
    would use for an outside destination (a UDP socket's connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    return address


def qr_text(url: str) -> str:
    """The URL as a QR code in the terminal (made here, with segno: nothing leaves the machine)."""
    import io

    import segno

    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()


def qr_svg(url: str) -> str:
    import io

    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=10, border=2, dark="#001f3f", light="#ffffff", xmldecl=False)
    return out.getvalue().decode()
