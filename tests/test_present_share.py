"""Share mode, as a room uses it: a real `build.py present --share` session, the presenter's laptop and
audience phones as separate Chromium contexts (phone viewports), every request over loopback. The
roles are checked on the server: what a viewer or a remote may not do is refused, and nothing happens."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.present_session import PresentProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MAX_DEVICES = 6


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, built_project: Path) -> PresentProcess:
    present = PresentProcess.on_built(built_project, tmp_path_factory.mktemp("share") / "project", share=True,
                                      extra_args=("--max-devices", str(MAX_DEVICES)))
    slide = present.root / "slides/talk/04-building-blocks.md"
    slide.write_text(slide.read_text() + "\n* first, shown by a fragment\n* second, shown by a fragment\n")  # a fragmented list
    present.start()
    try:
        present.wait_until_ready()
        yield present
    finally:
        assert present.stop() == 0
        assert present.leftovers() == []


@pytest.fixture(scope="module")
def laptop(browser: Browser, session: PresentProcess) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(f"{session.url}?key={session.presenter_key}")
    page.wait_for_function("() => window.__present && window.__present.version > 0 && window.__present.position")
    yield page
    context.close()


def phone(browser: Browser, session: PresentProcess) -> tuple[BrowserContext, Page]:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{session.url.rstrip('/')}{session.room_path}")
    page.wait_for_function("() => window.__present && window.__present.follow")
    return context, page


def go(laptop: Page, number: int) -> None:
    laptop.evaluate("n => { location.hash = '#' + n }", number)
    laptop.wait_for_function("n => window.__present.position && window.__present.position.slide === n", arg=number)


def raw(session: PresentProcess, method: str, path: str, *, cookie: str = "", headers: dict | None = None, body: dict | None = None) -> tuple[int, dict, str]:
    """One request as a script would send it (no browser): status, headers, body."""
    conn = http.client.HTTPConnection("127.0.0.1", session.port, timeout=10)
    sent = {"Host": f"127.0.0.1:{session.port}", **({"Cookie": cookie} if cookie else {}), **(headers or {})}
    data = json.dumps(body or {}).encode() if method == "POST" else None
    if data is not None:
        sent["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=sent)
    response = conn.getresponse()
    text = response.read(5_000_000).decode(errors="replace")
    out = (response.status, {k.lower(): v for k, v in response.getheaders()}, text)
    conn.close()
    return out


def device_of(page: Page) -> tuple[str, str]:
    """A phone's device cookie and room token (what its own page holds)."""
    cookie = next(c for c in page.context.cookies() if c["name"] == "present_device")
    token = page.evaluate("() => document.querySelector('meta[name=present-room-token]').content")
    return f"present_device={cookie['value']}", token


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a LISTEN socket on `port`, read from /proc (no connection made)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


def test_without_share_there_is_no_room_and_loopback_only(present_session: PresentProcess):
    present = present_session  # the suite's shared session, started without --share
    assert listening_addresses(present.port) == {"127.0.0.1"}
    assert "present: audience" not in present.output()
    assert raw(present, "GET", "/r/anything")[0] == 404
    assert raw(present, "GET", "/")[0] == 200  # the presenter's page, as before


def test_share_mode_listens_on_all_addresses_and_prints_the_audience_url_and_qr(session: PresentProcess):
    assert listening_addresses(session.port) == {"0.0.0.0"}
    out = session.output()
    assert re.search(r"present: audience  http://[\d.]+:\d+/r/[\w-]+", out)
    assert "█" in out  # the QR code, drawn in the terminal
    assert "Temporal, its Web UI, the workers and the renderers stay on 127.0.0.1" in out
    temporal = session.status()["temporal"]["address"]
    assert temporal.startswith("127.0.0.1:") and listening_addresses(int(temporal.rsplit(":", 1)[1])) == {"127.0.0.1"}


def test_the_presenters_page_is_never_served_to_a_viewer(session: PresentProcess):
    for path in ("/", "/?view=presenter", "/?view=next"):
        code, headers, _ = raw(session, "GET", path)
        assert code == 302 and headers["location"] == session.room_path, (path, code, headers)
    assert raw(session, "GET", "/?key=not-the-key")[0] == 403
    code, headers, _ = raw(session, "GET", f"/?key={session.presenter_key}")
    assert code == 302 and headers["location"] == "/" and "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]
    code, _, page = raw(session, "GET", "/", cookie=f"present_key={session.presenter_key}")
    assert code == 200 and 'name="present-token"' in page
    code, headers, audience = raw(session, "GET", session.room_path)
    assert code == 200 and "present_device=" in headers["set-cookie"]
    assert 'name="present-token"' not in audience and session.token not in audience and session.presenter_key not in audience
    assert 'class="bespoke-marp-note"' in page and 'class="bespoke-marp-note"' not in audience  # the speaker notes stay the presenter's
    note = "The workflow decides what happens next"  # from slide 4's speaker notes
    assert note in page and note not in audience


def test_phones_follow_the_slide_and_its_fragments_and_a_late_joiner_lands_on_it(browser: Browser, session: PresentProcess, laptop: Page):
    first, a = phone(browser, session)
    second, b = phone(browser, session)
    try:
        go(laptop, 3)
        for p in (a, b):
            p.wait_for_function("() => location.hash === '#3'", timeout=5000)
        go(laptop, 4)
        laptop.keyboard.press("ArrowRight")  # the first fragment of slide 4's list
        shown = "() => document.querySelectorAll('svg.bespoke-marp-active [data-bespoke-marp-fragment=\"active\"]').length"
        laptop.wait_for_function(f"() => ({shown})() === 1")
        # On a phone held upright, the reflowed slide shows what the presenter revealed, no more.
        revealed = "() => [...document.querySelectorAll('.phone-card.phone-is-live [data-marpit-fragment]')].filter(e => e.checkVisibility()).length"
        for p in (a, b):
            p.wait_for_function("() => location.hash === '#4'", timeout=5000)
            p.wait_for_function(f"() => ({revealed})() === 1", timeout=5000)
        # A viewer's own keys do not turn its slides.
        a.keyboard.press("ArrowRight")
        a.wait_for_timeout(300)
        assert a.evaluate("() => location.hash") == "#4"
        late_context, late = phone(browser, session)
        late.wait_for_function("() => location.hash === '#4'", timeout=5000)
        late_context.close()
    finally:
        first.close()
        second.close()


def _connections(port: int) -> list[dict]:
    out = subprocess.run(["ss", "-Htn", "state", "established", "dst", "127.0.0.1", "dport", "=", f":{port}"], capture_output=True, text=True, check=True)
    return [{"local": line.split()[2]} for line in out.stdout.splitlines() if line.strip()]


def test_a_dropped_connection_resumes_on_the_current_slide(browser: Browser, session: PresentProcess, laptop: Page):
    context, p = phone(browser, session)
    try:
        go(laptop, 2)
        p.wait_for_function("() => location.hash === '#2'", timeout=5000)
        context.set_offline(True)  # Wi-Fi gone, or the phone slept: new connections fail...
        # ...and the open ones break (the kernel resets the phone's established streams to the deck's port).
        phone_ports = [c["local"] for c in _connections(session.port)]
        subprocess.run(["ss", "-K", "dst", "127.0.0.1", "dport", "=", f":{session.port}"], check=True, capture_output=True)
        p.wait_for_function("() => window.__present.connected === false", timeout=10000)
        go(laptop, 5)
        p.wait_for_timeout(1500)
        assert p.evaluate("() => location.hash") == "#2"  # it could not know
        context.set_offline(False)
        p.wait_for_function("() => location.hash === '#5'", timeout=20000)  # back on the current slide, no reload by hand
        assert phone_ports
    finally:
        context.close()


def presenter_view(browser: Browser, session: PresentProcess) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_cookies([{"name": "present_key", "value": session.presenter_key, "url": session.url}])
    page = context.new_page()
    page.goto(f"{session.url}?view=presenter")
    page.wait_for_function("() => window.__present && window.__present.version > 0")
    return context, page


def test_pairing_approve_deny_revoke_and_a_remote_turns_the_slides(browser: Browser, session: PresentProcess, laptop: Page):
    view_context, view = presenter_view(browser, session)
    context, p = phone(browser, session)
    try:
        go(laptop, 2)
        # Deny: the phone stays a viewer.
        p.locator("button", has_text="Pair as remote").click()
        code = p.locator(".room-code").inner_text()
        assert re.fullmatch(r"[A-Z0-9]{4}", code)
        row = view.locator(".room-row", has_text=f"Pair {code}?")
        row.locator("button", has_text="Deny").click()
        expect(p.locator("button", has_text="Pair as remote")).to_be_visible(timeout=5000)
        assert p.locator(".phone-sheet[data-sheet=remote] .room-nav").count() == 0
        # Ask again, approve (no demo controls): the phone is a remote and turns the slides.
        p.locator("button", has_text="Pair as remote").click()
        code = p.locator(".room-code").inner_text()
        view.locator(".room-row", has_text=f"Pair {code}?").locator("button", has_text="Allow").first.click()
        expect(p.locator(".phone-sheet[data-sheet=remote] .room-nav")).to_be_visible(timeout=5000)
        expect(p.locator(".room-notes")).not_to_be_empty()  # the current slide's notes
        p.locator("button.room-next").click()
        laptop.wait_for_function("() => window.__present.position.slide === 3", timeout=5000)
        p.wait_for_function("() => location.hash === '#3'", timeout=5000)
        p.locator("button.room-prev").click()
        laptop.wait_for_function("() => window.__present.position.slide === 2", timeout=5000)
        expect(p.locator(".room-info")).to_contain_text("Next: What Temporal Is")
        # Revoke from the laptop: the phone is a viewer again, and its Next is refused on the server.
        view.locator(".room-row", has_text=f"Remote {code}").locator("button", has_text="Revoke").click()
        expect(p.locator(".phone-sheet[data-sheet=remote] .room-nav")).to_have_count(0, timeout=5000)
        cookie, token = device_of(p)
        assert raw(session, "POST", f"{session.room_path}/nav", cookie=cookie, headers={"X-Room-Token": token}, body={"dir": "next"})[0] == 403
        assert laptop.evaluate("() => window.__present.position.slide") == 2
    finally:
        context.close()
        view_context.close()


def test_viewers_and_remotes_without_demo_rights_are_refused_every_control(browser: Browser, session: PresentProcess, laptop: Page):
    workers_before = session.status()["workers"]
    context, p = phone(browser, session)
    try:
        number = laptop.evaluate("() => [...document.querySelectorAll('svg[data-marpit-svg]')].findIndex(s => s.querySelector('[data-demo=durability]')) + 1")
        go(laptop, number)
        cookie, token = device_of(p)
        room = {"cookie": cookie, "headers": {"X-Room-Token": token, "Origin": session.url.rstrip("/")}}
        for path in ("/demo/durability/run", "/demo/durability/worker/kill", "/demo/inbox/control/approve", "/nav"):
            code, _, body = raw(session, "POST", session.room_path + path, body={"dir": "next"}, **room)
            assert code == 403, (path, code, body)
        # The presenter's own endpoints: with a phone's cookie, even with the page token (which it never had).
        for path in ("/__present/demo/durability/worker/kill", "/__present/demo/retries/run", "/__present/room/decide", "/__present/follow"):
            code, _, body = raw(session, "POST", path, cookie=cookie, headers={"X-Present-Token": session.token}, body={"code": "AAAA", "slide": 1})
            assert code == 403, (path, code, body)
        for path in ("/__present/status", f"/__present/events?token={session.token}", "/__present/room/qr"):
            assert raw(session, "GET", path, cookie=cookie)[0] == 403, path
        assert session.status()["workers"]["durability"] == workers_before["durability"]  # nothing killed
        assert laptop.evaluate("() => window.__present.position.slide") == number  # nothing moved
        # The presenter's page: the same demo controls work.
        laptop.locator("svg.bespoke-marp-active .present-btn", has_text="Run live").click()
        expect(laptop.locator("svg.bespoke-marp-active .present-badge").first).to_have_text("LIVE", timeout=15000)
        # A viewer's page shows the live run (as its timeline, held upright), without the controls.
        expect(p.locator(".phone-card.phone-is-live .phone-timeline.present-live .story-timeline")).to_be_visible(timeout=10000)
        assert p.locator(".phone-card.phone-is-live .present-bar button, #phone-projected .present-bar button").count() == 0
    finally:
        context.close()


def test_a_remote_with_demo_rights_runs_the_current_slides_demo_only(browser: Browser, session: PresentProcess, laptop: Page):
    view_context, view = presenter_view(browser, session)
    context, p = phone(browser, session)
    try:
        number = laptop.evaluate("() => [...document.querySelectorAll('svg[data-marpit-svg]')].findIndex(s => s.querySelector('[data-demo=retries]')) + 1")
        go(laptop, number)
        p.locator("button", has_text="Pair as remote").click()
        code = p.locator(".room-code").inner_text()
        view.locator(".room-row", has_text=f"Pair {code}?").locator("button", has_text="Allow + demos").click()
        run = p.locator(".room-demo button", has_text="Run live")
        expect(run).to_be_visible(timeout=5000)
        # The remote's panel sits beside the slide, not over it, and every button in it takes a thumb.
        sizes = p.locator(".phone-sheet:not([hidden]) button").evaluate_all("bs => bs.filter(b => b.checkVisibility()).map(b => "
                                                                           "[b.textContent, b.getBoundingClientRect().width, b.getBoundingClientRect().height])")
        assert sizes and all(w >= 44 and h >= 44 for _, w, h in sizes), sizes
        run.click()
        expect(laptop.locator("svg.bespoke-marp-active .present-badge").first).to_have_text("LIVE", timeout=15000)
        cookie, token = device_of(p)
        code_, _, body = raw(session, "POST", f"{session.room_path}/demo/durability/run", cookie=cookie, headers={"X-Room-Token": token})
        assert code_ == 403 and "not on the current slide" in body
        view.locator(".room-row", has_text=f"Remote {code}").locator("button", has_text="Revoke").click()
    finally:
        context.close()
        view_context.close()


def test_forged_and_replayed_pairings_are_refused(browser: Browser, session: PresentProcess):
    context, p = phone(browser, session)
    other_context, other = phone(browser, session)
    try:
        cookie, token = device_of(p)
        _, other_token = device_of(other)
        code, _, body = raw(session, "POST", f"{session.room_path}/pair", cookie=cookie, headers={"X-Room-Token": token})
        asked = json.loads(body)["code"]
        # The phone approving itself, or anyone without the laptop's key: refused.
        assert raw(session, "POST", "/__present/room/decide", cookie=cookie, body={"code": asked, "approve": True})[0] == 403
        # A device cookie with another device's room token, or a made-up device: refused.
        assert raw(session, "POST", f"{session.room_path}/pair", cookie=cookie, headers={"X-Room-Token": other_token})[0] == 403
        assert raw(session, "POST", f"{session.room_path}/pair", cookie="present_device=" + "x" * 24, headers={"X-Room-Token": "0" * 32})[0] == 403
        presenter = {"cookie": f"present_key={session.presenter_key}", "headers": {"X-Present-Token": session.token, "Origin": session.url.rstrip("/")}}
        assert raw(session, "POST", "/__present/room/decide", body={"code": asked, "approve": False}, **presenter)[0] == 200
        # The same code again (a replay): nothing to decide.
        assert raw(session, "POST", "/__present/room/decide", body={"code": asked, "approve": True}, **presenter)[0] == 404
        assert raw(session, "POST", f"{session.room_path}/nav", cookie=cookie, headers={"X-Room-Token": token}, body={"dir": "next"})[0] == 403
    finally:
        context.close()
        other_context.close()


def test_a_device_that_sends_too_fast_gets_429_and_a_full_room_says_so(browser: Browser, session: PresentProcess):
    context, p = phone(browser, session)
    try:
        cookie, token = device_of(p)
        codes = [raw(session, "POST", f"{session.room_path}/nav", cookie=cookie, headers={"X-Room-Token": token}, body={"dir": "next"})[0] for _ in range(30)]
        assert 429 in codes and codes.count(403) >= 5, codes  # refused as a viewer until it sends too fast
        # Fill the room with streams of new devices, then one more device is told the room is full.
        streams = []
        try:
            while True:
                code, headers, _ = raw(session, "GET", session.room_path)
                if code == 503:
                    break
                device = headers["set-cookie"].split(";")[0]
                conn = http.client.HTTPConnection("127.0.0.1", session.port, timeout=10)
                conn.request("GET", f"{session.room_path}/events", headers={"Host": f"127.0.0.1:{session.port}", "Cookie": device})
                assert conn.getresponse().status == 200
                streams.append(conn)
                assert len(streams) <= MAX_DEVICES
            code, _, page = raw(session, "GET", session.room_path)
            assert code == 503 and "The room is full" in page and str(MAX_DEVICES) in page
        finally:
            for conn in streams:
                conn.close()
        # The devices that left keep nothing: a new one gets in again.
        deadline = time.monotonic() + 10
        while raw(session, "GET", session.room_path)[0] == 503:
            assert time.monotonic() < deadline, "the room stayed full after its devices left"
            time.sleep(0.2)
    finally:
        context.close()


def test_oversized_bodies_are_refused(session: PresentProcess):
    big = {"dir": "x" * 40_000}
    code, _, _ = raw(session, "POST", f"{session.room_path}/pair", body=big)
    assert code == 413
    request = urllib.request.Request(f"{session.url}__present/demo/retries/run", data=json.dumps(big).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Cookie": f"present_key={session.presenter_key}",
                                              "X-Present-Token": session.token, "Origin": session.url.rstrip("/")})
    try:
        urllib.request.urlopen(request, timeout=10)
        status = 200
    except urllib.error.HTTPError as err:
        status = err.code
    assert status == 413


def test_the_room_votes_from_its_phones_and_every_vote_counts_once(browser: Browser, session: PresentProcess, laptop: Page):
    """The poll: every phone gets the answers; each vote is an Update the workflow validates (a
    second vote, a vote for no answer, a closed poll: refused with the reason, never in the history);
    the slide's bars count as the tally query says; with the poll's worker killed, a phone's vote
    waits and is counted once when a worker is back."""
    number = laptop.evaluate("() => [...document.querySelectorAll('svg[data-marpit-svg]')].findIndex(s => s.querySelector('[data-demo=poll]')) + 1")
    go(laptop, number)
    laptop.locator("svg.bespoke-marp-active .present-btn", has_text="Run live").click()
    expect(laptop.locator("svg.bespoke-marp-active .present-badge").first).to_have_text("LIVE", timeout=15000)
    contexts, phones = zip(*(phone(browser, session) for _ in range(3)))
    try:
        for p in phones:
            expect(p.locator(".room-answer")).to_have_count(4, timeout=15000)
        phones[0].locator(".room-answer").nth(2).click()
        phones[1].locator(".room-answer").nth(2).click()
        expect(phones[0].locator(".room-receipt.accepted")).to_contain_text("Counted", timeout=15000)
        expect(phones[1].locator(".room-receipt.accepted")).to_contain_text("Counted", timeout=15000)
        counts = "() => [...document.querySelectorAll('svg.bespoke-marp-active .poll-count')].map(e => e.textContent)"
        laptop.wait_for_function(f"() => ({counts})()[2] === '2'", timeout=10000)
        # The same phone again: the validator refuses it, and says why.
        cookie, token = device_of(phones[0])
        code, _, body = raw(session, "POST", f"{session.room_path}/vote/poll", cookie=cookie, headers={"X-Room-Token": token}, body={"answer": "A"})
        assert code == 409 and "already voted" in json.loads(body)["reason"], (code, body)
        code, _, body = raw(session, "POST", f"{session.room_path}/vote/poll", cookie=cookie, headers={"X-Room-Token": token}, body={"answer": "Z"})
        assert code == 422 and "no answer" in json.loads(body)["reason"]
        assert raw(session, "POST", f"{session.room_path}/vote/poll", cookie="present_device=" + "y" * 24, headers={"X-Room-Token": "0" * 32},
                   body={"answer": "A"})[0] == 403
        # The poll's worker dies: the third phone's vote waits, then counts once when a worker is back.
        laptop.locator("svg.bespoke-marp-active .present-btn", has_text="Kill worker").click()
        expect(laptop.locator("svg.bespoke-marp-active .present-why")).to_contain_text("SIGKILL", timeout=10000)
        phones[2].locator(".room-answer").nth(0).click()
        expect(phones[2].locator(".room-receipt.waiting")).to_contain_text("Waiting", timeout=15000)
        laptop.locator("svg.bespoke-marp-active .present-btn", has_text="Start worker").click()
        expect(phones[2].locator(".room-receipt.accepted")).to_contain_text("Counted", timeout=30000)
        laptop.wait_for_function(f"() => ({counts})()[0] === '1' && ({counts})()[2] === '2'", timeout=15000)
        expect(laptop.locator("svg.bespoke-marp-active .poll-facts")).to_contain_text("Live: 3 votes")
        # Closed: the buttons go, and a late vote is refused by the workflow.
        laptop.locator("svg.bespoke-marp-active .present-bar .present-btn", has_text="Close").click()
        expect(laptop.locator("svg.bespoke-marp-active .poll-facts")).to_contain_text("closed", timeout=15000)
        late_context, late = phone(browser, session)
        cookie, token = device_of(late)
        code, _, body = raw(session, "POST", f"{session.room_path}/vote/poll", cookie=cookie, headers={"X-Room-Token": token}, body={"answer": "B"})
        assert code == 409, (code, body)
        late_context.close()
    finally:
        for c in contexts:
            c.close()


# --- the room reads it on a phone held upright (the talk; tests/test_phone.py has the other decks) ---------
def test_every_slide_of_the_talk_reads_on_phones_upright_and_sideways(browser: Browser, session: PresentProcess, laptop: Page):
    """Each slide on 390x844 and 360x740 held upright (reflowed: text >= 16 px, diagram and timeline
    labels >= 14 px, nothing scrolls the page sideways) and 844x390 held sideways (the slide as
    projected, the controls beside it, not over it); every control >= 44 px; pinch-zoom left on."""
    import os

    from tests.phone_check import LANDSCAPE, PORTRAIT, open_phone, sweep

    url = f"{session.url.rstrip('/')}{session.room_path}"
    phones = [open_phone(browser, url, viewport) for viewport in [*PORTRAIT, LANDSCAPE]]
    svg_page = laptop.context.new_page()
    shots = Path(os.environ["PHONE_SHOTS"]) / "talk" if os.environ.get("PHONE_SHOTS") else None
    try:
        shown = sweep(laptop, [p for _, p in phones], svg_page, shots=shots)
        problems = [p for s in shown for p in s.problems]
        assert not problems, "\n".join(problems)
        count = laptop.evaluate("() => document.querySelectorAll('svg[data-marpit-svg]').length")
        assert len(shown) == 3 * count
        upright = [s for s in shown if s.viewport != f"{LANDSCAPE['width']}x{LANDSCAPE['height']}"]
        assert sum(s.diagram_labels for s in upright) > 20  # the architecture and the chart, in their phone layouts
        timelines = phones[0][1].evaluate("() => [...document.querySelectorAll('.phone-card')].filter((c) => c.querySelector('.phone-timeline .story-timeline')).length")
        assert timelines == 5  # every demo slide's run (captured, or live if an earlier test ran it) (ingestion, inbox, retries, durability, versioning), as a timeline
    finally:
        svg_page.close()
        for context, _ in phones:
            context.close()


WORDS_JS = """(phone) => {
  const root = phone ? document.querySelector('.phone-card.phone-is-live section') : document.querySelector('svg.bespoke-marp-active section');
  const texts = (sel) => [...root.querySelectorAll(sel)].filter((e) => e.checkVisibility()).map((e) => e.textContent.trim());
  const live = phone ? root.querySelector('.phone-timeline.present-live .story-timeline') : root.querySelector('.present-live svg.story');
  return {
    badges: texts('.present-bar .present-badge'),
    why: texts('.present-why'),
    lines: texts('.present-lines li'),
    rows: texts('.present-row-label'),
    caption: texts('.demo-caption'),
    story: live ? (phone ? live.dataset.words : live.getAttribute('aria-label')) : null,
  };
}"""


def said(page: Page, *, phone: bool) -> dict:
    return page.evaluate(WORDS_JS, phone)


def assert_the_phone_says_what_the_slide_says(laptop: Page, phone: Page, timeout_s: float = 8.0) -> dict:
    """The presenter's slide and the phone, read at once, until they agree (both follow the same stream)."""
    deadline = time.monotonic() + timeout_s
    while True:
        slide, shown = said(laptop, phone=False), said(phone, phone=True)
        if slide == shown or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert shown == slide, f"the phone says {shown}\nthe slide says {slide}"
    return slide


def test_a_live_run_on_the_phone_is_the_slides_story_kill_gap_pids_and_words(browser: Browser, session: PresentProcess, laptop: Page):
    """Durability, run live and its worker killed mid-step, then a new one started: the phone's timeline
    has the same steps, the same worker pids, the same band as the presenter's picture; and while the
    run is live the phone says what the slide says (the badge, the slide's line, the workers' side-effect
    log, no captured caption beside the live run)."""
    from tests.phone_check import PORTRAIT, SHOWN_JS, open_phone

    number = laptop.evaluate("() => [...document.querySelectorAll('svg[data-marpit-svg]')].findIndex(s => s.querySelector('[data-demo=durability]')) + 1")
    go(laptop, number)
    context, p = open_phone(browser, f"{session.url.rstrip('/')}{session.room_path}", PORTRAIT[0])
    act = lambda selector: laptop.locator(f"svg.bespoke-marp-active {selector}")  # noqa: E731
    on_phone = p.locator(".phone-card.phone-is-live .phone-timeline.present-live")
    try:
        p.wait_for_function(SHOWN_JS, arg=number)
        assert_the_phone_says_what_the_slide_says(laptop, p)  # before the run (an earlier test's run, or the captured one)
        act(".present-btn").filter(has_text="Run live").click()
        expect(act(".present-badge").first).to_have_text("LIVE", timeout=15000)
        running = act(".present-live g.story-row[data-live='running']")
        expect(running.filter(has_text=re.compile("create-account|allocate-storage|configure-dns"))).to_be_visible(timeout=30000)
        laptop.wait_for_timeout(300)
        killed = [w["pid"] for w in session.status()["workers"]["durability"]["worker"]]
        act(".present-btn").filter(has_text="Kill worker").click()
        expect(act(".present-live g.story-row[data-live='countup']")).to_contain_text("no worker running · nothing lost", timeout=10000)
        expect(on_phone.locator(".tl-row.tl-gap[data-live='countup']")).to_contain_text("no worker running · nothing lost", timeout=5000)
        expect(on_phone.locator(".tl-chip.tl-ended").first).to_have_text(f"worker {killed[0]}")
        gap = assert_the_phone_says_what_the_slide_says(laptop, p)
        assert gap["badges"][:1] == ["LIVE"] and any("SIGKILL worker pid" in w for w in gap["why"])
        assert gap["caption"] == [] and gap["lines"] and gap["lines"][0].startswith("side-effect log:")  # no captured caption beside the live run
        expect(act(".present-btn").filter(has_text="Start worker")).to_be_enabled(timeout=10000)
        laptop.wait_for_timeout(1000)
        act(".present-btn").filter(has_text="Start worker").click()
        # The new process picks the killed step up: the band closes ("no worker for N s"), the step is done
        # on its second attempt, on the new process's lane; the rest of the run (test_present.py has it
        # to the end, on the presenter's page) would only add the same again.
        redone = re.compile(r"(create-account|allocate-storage|configure-dns) ✓ \(attempt 2\)")
        expect(act(".present-live g.story-row").filter(has_text=redone)).to_be_visible(timeout=60000)
        expect(on_phone.locator(".tl-row .tl-label").filter(has_text=redone)).to_be_visible(timeout=10000)
        done = assert_the_phone_says_what_the_slide_says(laptop, p)
        started = [w["pid"] for w in session.status()["workers"]["durability"]["worker"]]
        # The same steps, pids and band: the picture's lanes and rows, the timeline's chips and rows.
        lanes = act(".present-live svg.story rect + text").evaluate_all("ts => ts.map(t => t.textContent)")
        chips = on_phone.locator(".tl-lanes .tl-chip").all_inner_texts()
        names = [c.replace(" ✕", "").strip() for c in chips]
        assert set(names) <= set(lanes) and len(names) == 4, (chips, lanes)  # Client, Workflow, the killed worker, the new one
        assert f"worker {killed[0]}" in names and f"worker {started[0]}" in names, (names, killed, started)
        rows = on_phone.locator(".tl-row .tl-label").all_inner_texts()
        band = [r for r in rows if r.startswith("no worker for")]
        assert len(band) == 1 and re.fullmatch(r"no worker for \d+\.\d s · nothing lost", band[0])
        assert band[0] in act(".present-live svg.story").evaluate("s => s.textContent")
        step = redone.search(" ".join(rows)).group(1)
        assert sum("worker killed" in r for r in rows) == 1 and sum(r.startswith(f"{step} ✓") for r in rows) == 1, rows  # the kill once, the step done once
        assert done["story"].count("killed") == 1 and f"orker {killed[0]}" in done["story"] and f"orker {started[0]}" in done["story"]
        assert p.evaluate("() => window.__phone.latencies.length") >= 2  # it grew live, event by event
    finally:
        context.close()


def test_a_save_reaches_the_phones_reflowed_slide_without_a_reload(browser: Browser, session: PresentProcess, laptop: Page):
    from tests.phone_check import PORTRAIT, SHOWN_JS, open_phone

    go(laptop, 3)
    context, p = open_phone(browser, f"{session.url.rstrip('/')}{session.room_path}", PORTRAIT[0])
    try:
        p.wait_for_function(SHOWN_JS, arg=3)
        p.evaluate("() => { window.__sameLoad = true; }")
        slide = session.root / "slides/talk/03-what-temporal-is.md"
        slide.write_text(slide.read_text().replace("An **open source orchestration platform**", "An **open source orchestration platform**, saved a moment ago"))
        expect(p.locator(".phone-card.phone-is-live")).to_contain_text("saved a moment ago", timeout=20000)
        assert p.evaluate("() => window.__sameLoad") is True  # patched in place, as the presenter's page is
    finally:
        context.close()
