"""The room reads the deck on its phones (part of `make bench`): share mode's audience page in real
Chromium phones beside a real Chromium laptop, each figure beside a baseline measured in the same run.

- Key press -> the phone's reflowed slide, with 300 simulated devices connected (SSE clients of the room,
  each its own device): from the laptop's keydown (ArrowRight) to the first frame on a 390x844 phone
  that shows the new slide's card in view (both pages stamp performance.timeOrigin + now: the same
  clock). p50 and p95 over 20 presses. Target p95 <= 250 ms. Beside it: the same with 1 device, and
  the phone held sideways (844x390: the slide as projected) with 300 devices.
- Bytes a phone downloads to join: every response it received (CDP's encoded bytes: headers, the
  compressed page, its CSS and scripts, the diagrams, the stream's first messages) until its first
  slide was painted; beside what the audience page alone weighed before this page (the presenter's
  page without its notes, uncompressed: issue 21's 258 KB), measured now on the same deck; and a
  phone joining a second time (its scripts and the theme kept by content hash). Also the time from
  opening the URL to the live slide painted, for a late joiner at the deck's last slide.
- A live run's event -> the phone's timeline: median and p95 (the phone stamps Date.now() - the event's
  server time when it puts a newer timeline in), beside the presenter's picture in the same run (the
  inbox with 50 items signalled in, ~250 events, as bench/live_bench.py). Target median <= 100 ms.

Bounded: every client is closed at the end, each session is stopped; nothing outlives the run.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from live_bench import EXTRA_ITEMS, _signal_items  # noqa: E402  (bench/ is on sys.path when a bench runs)
from share_bench import Devices  # noqa: E402
from tests.present_session import PresentProcess  # noqa: E402

PRESSES = 20
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}
SIDEWAYS = {"viewport": {"width": 844, "height": 390}, "has_touch": True, "device_scale_factor": 3}
NOTE_RE = re.compile(r'<div class="bespoke-marp-note"[^>]*>.*?</div>', re.S)
KEYS_JS = "() => { window.__keys = []; addEventListener('keydown', () => window.__keys.push(performance.timeOrigin + performance.now()), true); }"


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Room(threading.Thread):
    """`count` simulated devices connected for as long as the `with` block runs (their own event loop)."""

    def __init__(self, present: PresentProcess, count: int):
        super().__init__(daemon=True)
        self.present, self.count = present, count
        self.ready = threading.Event()
        self._done: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self) -> None:
        async def hold() -> None:
            self._loop, self._done = asyncio.get_running_loop(), asyncio.Event()
            async with Devices(self.present, self.count):
                self.ready.set()
                await self._done.wait()

        asyncio.run(hold())

    def __enter__(self) -> Room:
        self.start()
        if not self.ready.wait(90):
            raise SystemExit(f"{self.count} devices did not connect")
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._done.set)
        self.join(30)


def _open(browser, present: PresentProcess, options: dict):
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(f"{present.url.rstrip('/')}{present.room_path}")
    page.wait_for_function("() => window.__phone && window.__phone.ready && window.__present.follow")
    return context, page


def _presses(laptop, phone, first: int) -> list[float]:
    """ArrowRight on the laptop -> the phone's first frame with that slide: ms per press."""
    laptop.evaluate(f"location.hash = '#{first}'")
    phone.wait_for_function(f"() => window.__phone.paintedAt[{first}]", timeout=10000)
    laptop.evaluate(KEYS_JS)
    out = []
    for n in range(first + 1, first + 1 + PRESSES):
        phone.evaluate(f"() => {{ delete window.__phone.paintedAt[{n}]; }}")
        phone.wait_for_timeout(150)
        laptop.keyboard.press("ArrowRight")
        phone.wait_for_function(f"() => window.__phone.paintedAt[{n}]", timeout=10000)
        pressed = laptop.evaluate("() => window.__keys[window.__keys.length - 1]")
        out.append(phone.evaluate(f"() => window.__phone.paintedAt[{n}]") - pressed)
    return out


def _join_bytes(browser, present: PresentProcess, context=None) -> tuple[int, float]:
    """(bytes received until the live slide is painted, ms from opening to that frame), one phone."""
    own = context is None
    context = context or browser.new_context(**PHONE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    finished: dict[str, int] = {}
    streamed: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: finished.__setitem__(e["requestId"], e["encodedDataLength"]))
    cdp.on("Network.dataReceived", lambda e: streamed.__setitem__(e["requestId"], streamed.get(e["requestId"], 0) + e["encodedDataLength"]))
    page.goto(f"{present.url.rstrip('/')}{present.room_path}")
    page.wait_for_function("() => window.__present && window.__present.follow && window.__phone.paintedAt[window.__present.follow.slide]"
                           " && [...document.querySelectorAll('.phone-card.phone-is-live img')].every((i) => i.complete)", timeout=20000)
    page.wait_for_timeout(300)
    took = page.evaluate("() => window.__phone.paintedAt[window.__present.follow.slide] - performance.timeOrigin")
    network = {k for k, url in urls.items() if not url.startswith("data:")}  # a data: URI is in the bytes of what carried it
    total = sum(v for k, v in finished.items() if k in network) + sum(v for k, v in streamed.items() if k in network and k not in finished)
    page.close()
    if own:
        context.close()
    return total, took


def bench_keys_and_join(base: Path, browser) -> dict:
    present = PresentProcess.on_copy(base / "phone-room", temporal=False, share=True, extra_args=("--bind", "127.0.0.1")).start()
    try:
        present.wait_for(lambda: "present: audience" in present.output(), 30, "the audience URL")
        laptop_context = browser.new_context(viewport={"width": 1280, "height": 720})
        laptop = laptop_context.new_page()
        laptop.goto(f"{present.url}?key={present.presenter_key}")
        laptop.wait_for_function("() => window.__present && window.__present.position")
        request = urllib.request.Request(present.url, headers={"Cookie": f"present_key={present.presenter_key}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            before = len(NOTE_RE.sub("", response.read().decode()).encode())  # the audience page this one replaces
        first_join, first_ms = _join_bytes(browser, present)
        again_context = browser.new_context(**PHONE)
        _join_bytes(browser, present, again_context)
        second_join, _ = _join_bytes(browser, present, again_context)
        again_context.close()
        count = laptop.evaluate("() => document.querySelectorAll('svg[data-marpit-svg]').length")
        laptop.evaluate(f"location.hash = '#{count}'")
        time.sleep(0.3)
        _, late_ms = _join_bytes(browser, present)
        phone_context, phone = _open(browser, present, PHONE)
        one = _presses(laptop, phone, 1)
        with Room(present, 300):
            many = _presses(laptop, phone, 1)
            side_context, side = _open(browser, present, SIDEWAYS)
            sideways = _presses(laptop, side, 1)
            side_context.close()
        phone_context.close()
        laptop_context.close()
    finally:
        present.stop()
    return {"one": one, "many": many, "sideways": sideways, "join": first_join, "join_again": second_join, "before": before,
            "join_ms": first_ms, "late_ms": late_ms, "slides": count}


def bench_live_timeline(base: Path, browser) -> dict:
    present = PresentProcess.on_copy(base / "phone-live", share=True, extra_args=("--bind", "127.0.0.1")).start()
    try:
        status = present.wait_until_ready()
        laptop_context = browser.new_context(viewport={"width": 1280, "height": 720})
        laptop = laptop_context.new_page()
        laptop.goto(f"{present.url}?key={present.presenter_key}")
        laptop.wait_for_function("() => window.__present && window.__present.position")
        number = laptop.evaluate("() => [...document.querySelectorAll('svg[data-marpit-svg]')].findIndex(s => s.querySelector('[data-demo=inbox]')) + 1")
        laptop.evaluate(f"location.hash = '#{number}'")
        phone_context, phone = _open(browser, present, PHONE)
        phone.wait_for_function(f"() => window.__phone.paintedAt[{number}]", timeout=10000)
        laptop.locator("svg.bespoke-marp-active .present-btn", has_text="Run live").click()
        laptop.wait_for_function("() => (window.__present.demos.inbox.run || {}).status === 'running'", timeout=30000)
        phone.wait_for_function("() => document.querySelector('.phone-card.phone-is-live .phone-timeline.present-live')", timeout=30000)
        workflow_id = laptop.evaluate("() => window.__present.demos.inbox.run.workflow_id")
        signaller = threading.Thread(target=lambda: asyncio.run(_signal_items(status["temporal"]["address"], workflow_id, EXTRA_ITEMS)))
        signaller.start()  # its own thread: Playwright's sync API holds this one's event loop
        signaller.join()
        laptop.wait_for_timeout(1500)
        timeline = phone.evaluate("() => window.__phone.latencies")
        picture = laptop.evaluate("() => window.__present.pictureLatencies")
        events = laptop.evaluate("() => window.__present.demos.inbox.run.picture.events")
        phone_context.close()
        laptop_context.close()
    finally:
        present.stop()
    return {"timeline": timeline, "picture": picture, "events": events}


def rows(keys: dict, live: dict) -> list[tuple[str, str, str, float | None, str]]:
    many95, one95 = _p(keys["many"], 0.95), _p(keys["one"], 0.95)
    tl, pic = live["timeline"] or [float("inf")], live["picture"] or [float("inf")]
    return [
        ("key -> phone's reflowed slide, 300 devices, p50 (vs 1)", f"{statistics.median(keys['many']):.0f} ms", f"{statistics.median(keys['one']):.0f} ms", None, ""),
        ("key -> phone's reflowed slide, 300 devices, p95 (vs 1)", f"{many95:.0f} ms", f"{one95:.0f} ms", None, "<=250 ms" if many95 <= 250 else "NO: >250 ms"),
        ("  the same held sideways (the projected slide), p95", f"{_p(keys['sideways'], 0.95):.0f} ms", "", None, ""),
        ("bytes to join (all it fetched, compressed; vs old page)", f"{keys['join'] / 1024:.0f} KB", f"{keys['before'] / 1024:.0f} KB", None, ""),
        ("  a phone joining again (scripts and theme kept)", f"{keys['join_again'] / 1024:.0f} KB", "", None, ""),
        (f"open the URL -> slide painted: first phone (vs late, at {keys['slides']})", f"{keys['join_ms']:.0f} ms", f"{keys['late_ms']:.0f} ms", None, ""),
        (f"event -> phone timeline, median ({len(tl)} timelines, {live['events']} events)", f"{statistics.median(tl):.0f} ms",
         f"{statistics.median(pic):.0f} ms", None, "<=100 ms" if statistics.median(tl) <= 100 else "NO: >100 ms"),
        ("event -> phone timeline, p95 (vs the slide's picture)", f"{_p(tl, 0.95):.0f} ms", f"{_p(pic, 0.95):.0f} ms", None, ""),
    ]


def run(base: Path, browser) -> list[tuple[str, str, str, float | None, str]]:
    return rows(bench_keys_and_join(base, browser), bench_live_timeline(base, browser))


if __name__ == "__main__":
    import tempfile

    from playwright.sync_api import sync_playwright

    from tests.deckcheck import launch_options

    with tempfile.TemporaryDirectory(prefix="phone-bench-") as tmp, sync_playwright() as p:
        chromium = p.chromium.launch(**launch_options())
        try:
            measured = run(Path(tmp), chromium)
        finally:
            chromium.close()
    for row in measured:
        print(f"{row[0]:62} {row[1]:>9} {row[2]:>9} {row[4]}")
