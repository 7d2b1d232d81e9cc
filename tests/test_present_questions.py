"""Questions from the room, as a room uses them: a real `build.py present --share` session, phones as
Chromium contexts (390x844, touch), the presenter view and the projected deck as laptop pages, every
request over loopback. Phones ask and upvote; a second upvote is refused with its reason; moderation
hides a question from every phone; "answered" reaches the asker; hostile text is refused or shown
inert everywhere; the board's worker SIGKILLed in the middle of a storm and `make present` restarted
mid-talk: nothing lost, nothing counted twice (checked against the workflow's own audit)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid

import aiohttp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from demos.questions.markdown import inert
from tests.conftest import REPO
from tests.present_session import PresentProcess
from tests.room_phones import HttpRoom
from tests.test_present_share import device_of, go, presenter_view, raw
from tests.test_present_share import phone as share_phone

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


QA_DECK = {  # a deck with no demo slide: share mode alone needs Temporal and the board's worker
    "deck.toml": 'title = "Questions"\ntheme = "midnight-blue"\npaginate = true\n',
    "01-title.md": "# Questions from the room, tested\n\nA deck without a single demo slide.\n",
    "02-ask.md": "## Questions from the room\n\n{{ m.questions_live(limit=4) }}\n",
}


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> PresentProcess:
    present = PresentProcess.on_copy(tmp_path_factory.mktemp("questions") / "project", share=True, extra_args=("--deck", "qa"))
    deck = present.root / "slides" / "qa"
    deck.mkdir()
    for name, text in QA_DECK.items():
        (deck / name).write_text(text)
    present.start()
    try:
        present.wait_until_ready()
        _wait_for_board(present)
        yield present
    finally:
        assert present.stop() == 0
        assert present.leftovers() == []


def _wait_for_board(present: PresentProcess) -> dict:
    present.wait_for(lambda: (present.status()["questions"] or {}).get("state") == "open", 60, "the questions board to open")
    return present.status()["questions"]


@pytest.fixture(scope="module")
def laptop(browser: Browser, session: PresentProcess) -> Page:
    """The projected deck (the presenter's page without ?view)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(f"{session.url}?key={session.presenter_key}")
    page.wait_for_function("() => window.__present && window.__present.version > 0 && window.__present.position")
    yield page
    context.close()


@pytest.fixture(scope="module")
def view(browser: Browser, session: PresentProcess) -> Page:
    context, page = presenter_view(browser, session)
    page.wait_for_selector(".q-panel")
    yield page
    context.close()


def phone(browser: Browser, session: PresentProcess) -> tuple[BrowserContext, Page]:
    """A phone on the audience URL (test_present_share's), once questions.js runs on it."""
    context, page = share_phone(browser, session)
    page.wait_for_function("() => window.__present.questions")
    return context, page


def ask_from(page: Page, text: str, name: str = "") -> None:
    if page.locator("#q-sheet").is_hidden():
        page.locator("#q-open").click()
    page.fill("#q-text", text)
    page.fill("#q-name", name)
    page.locator(".q-ask").click()


def item(page: Page, text: str):
    return page.locator(".q-item", has=page.locator(".q-qtext", has_text=text))


def row(view: Page, text: str):
    return view.locator(".q-row", has=view.locator(".q-row-text", has_text=text))


def unique(text: str) -> str:
    return f"{text} ({uuid.uuid4().hex[:6]})"


NOTES_CLEAR_JS = """() => {
  const notes = document.querySelector('.bespoke-marp-presenter-note-wrapper').getBoundingClientRect();
  const panels = [...document.querySelectorAll('.room-panel, .q-panel')].map(p => p.getBoundingClientRect()).filter(r => r.height > 0);
  return {notes: notes.bottom, panels: Math.min(...panels.map(r => r.top)), count: panels.length};
}"""


def test_the_presenter_views_notes_end_above_its_panels(view: Page):
    """The questions panel and the room panel stand at the foot of the notes column: no line of the
    notes is under them, folded or unfolded."""
    view.wait_for_function(f"() => {{ const m = ({NOTES_CLEAR_JS})(); return m.count >= 2 && m.notes <= m.panels; }}", timeout=10000)
    view.locator(".q-panel .q-fold").click()  # folded to its head: the notes take the room back
    view.wait_for_function(f"() => {{ const m = ({NOTES_CLEAR_JS})(); return m.notes <= m.panels && m.panels - m.notes < 40; }}", timeout=10000)
    view.locator(".q-panel .q-fold").click()
    view.wait_for_function(f"() => {{ const m = ({NOTES_CLEAR_JS})(); return m.notes <= m.panels; }}", timeout=10000)


def test_the_questions_sheet_keeps_the_keyboard_inside_until_escape(browser: Browser, session: PresentProcess):
    """A modal sheet: Tab and Shift+Tab cycle inside it; Escape closes it and gives focus back to the
    button that opened it."""
    context, page = phone(browser, session)
    try:
        page.locator("#q-open").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#q-sheet")).to_be_visible()
        for key in ["Tab"] * 12 + ["Shift+Tab"] * 12:
            page.keyboard.press(key)
            assert page.evaluate("() => !!document.activeElement.closest('#q-sheet')"), (key, page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)"))
        page.keyboard.press("Escape")
        expect(page.locator("#q-sheet")).to_be_hidden()
        assert page.evaluate("() => document.activeElement.id") == "q-open"
    finally:
        context.close()


def test_phones_ask_and_upvote_and_a_second_upvote_is_refused_with_its_reason(browser: Browser, session: PresentProcess, laptop: Page, view: Page):
    (ca, a), (cb, b) = phone(browser, session), phone(browser, session)
    try:
        text = unique("What happens to a running workflow when I deploy new code?")
        a.locator("#q-open").click()
        expect(a.locator("#q-sheet")).to_be_visible()
        ask_from(a, text, "Priya")
        expect(a.locator(".q-receipt.accepted")).to_contain_text("Asked (#", timeout=15000)
        mine = item(a, text)
        expect(mine.locator(".q-badge.yours")).to_have_text("Yours")
        expect(mine.locator(".q-up")).to_be_disabled()  # your own: no upvote
        b.locator("#q-open").click()
        theirs = item(b, text)
        expect(theirs).to_be_visible(timeout=10000)
        expect(theirs.locator(".q-who")).to_have_text("— Priya")
        theirs.locator(".q-up").click()
        expect(theirs.locator(".q-up")).to_have_attribute("aria-pressed", "true", timeout=15000)
        expect(mine.locator(".q-up")).to_have_text("▲ 1", timeout=10000)  # the asker's phone counts it too
        expect(row(view, text).locator(".q-row-votes")).to_have_text("▲ 1", timeout=10000)
        # The same phone again (a new press, as a script would send it): refused, with the reason.
        question_id = int(theirs.get_attribute("data-id"))
        cookie, token = device_of(b)
        code, _, body = raw(session, "POST", f"{session.room_path}/questions/{question_id}/upvote", cookie=cookie, headers={"X-Room-Token": token},
                            body={"attempt": "a-second-press"})
        assert code == 409 and json.loads(body)["reason"] == "you already upvoted this question", (code, body)
        expect(mine.locator(".q-up")).to_have_text("▲ 1")
        # The live slide (m.questions_live) on the projected deck shows it with its upvote.
        slide = laptop.evaluate("() => [...document.querySelectorAll('svg[data-marpit-svg]')].findIndex(s => s.querySelector('.questions-live')) + 1")
        assert slide > 0
        go(laptop, slide)
        expect(laptop.locator("svg.bespoke-marp-active .questions-live-item", has_text=text).locator(".questions-live-votes")).to_have_text("▲ 1",
                                                                                                                                    timeout=10000)
        size = laptop.evaluate("() => parseFloat(getComputedStyle(document.querySelector('svg.bespoke-marp-active .questions-live-text')).fontSize)")
        assert size >= 18  # slide pixels
        # Phone-first: >= 16 px text, targets >= 44 px.
        small = b.evaluate("""() => [...document.querySelectorAll('#q-sheet *')]
            .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
            .map(e => parseFloat(getComputedStyle(e).fontSize)).filter(s => s < 16)""")
        assert small == []
        tiny = b.evaluate("""() => [...document.querySelectorAll('#q-sheet button, #q-sheet textarea, #q-sheet input, #q-open')]
                                 .map(e => e.getBoundingClientRect()).filter(r => r.width < 44 || r.height < 44).length""")
        assert tiny == 0
    finally:
        ca.close()
        cb.close()


def test_moderation_hides_from_every_phone_and_answered_reaches_the_asker(browser: Browser, session: PresentProcess, laptop: Page, view: Page):
    (ca, a), (cb, b), (cc, c) = phone(browser, session), phone(browser, session), phone(browser, session)
    try:
        text = unique("How do you test workflows that sleep for days?")
        ask_from(a, text)
        expect(a.locator(".q-receipt.accepted")).to_be_visible(timeout=15000)
        for p in (b, c):
            p.locator("#q-open").click()
            expect(item(p, text)).to_be_visible(timeout=10000)
        # Hide: gone from every phone; approve: back.
        row(view, text).locator("button", has_text="Hide").click()
        for p in (b, c):
            expect(item(p, text)).to_have_count(0, timeout=10000)
        expect(row(view, text)).to_have_class(re.compile(r"\bhidden\b"))
        row(view, text).locator("button", has_text="Approve").click()
        for p in (b, c):
            expect(item(p, text)).to_be_visible(timeout=10000)
        # Pin: full screen on the projected deck; answered: off the screen, and the asker is told.
        row(view, text).locator("button", has_text="Pin").click()
        expect(laptop.locator(".q-pinned .q-pinned-text")).to_have_text(text, timeout=10000)
        expect(item(b, text).locator(".q-badge.now")).to_have_text("Now answering", timeout=10000)
        row(view, text).locator("button", has_text="Answered").click()
        expect(laptop.locator(".q-pinned")).to_be_hidden(timeout=10000)
        expect(a.locator("#q-toast")).to_contain_text(f"Your question was answered: “{text}”", timeout=10000)
        expect(item(a, text).locator(".q-badge.answered")).to_have_text("Answered")
        expect(item(c, text).locator(".q-up")).to_be_disabled()
        cookie, token = device_of(c)
        question_id = int(item(c, text).get_attribute("data-id"))
        code, _, body = raw(session, "POST", f"{session.room_path}/questions/{question_id}/upvote", cookie=cookie, headers={"X-Room-Token": token}, body={})
        assert code == 409 and json.loads(body)["reason"] == "this question was already answered"
        # Moderation on: a new question waits for approval, seen by its asker and the presenter only.
        view.locator(".q-moderation").click()
        expect(view.locator(".q-moderation")).to_have_text("Moderation: on", timeout=10000)
        waiting = unique("Is this one moderated?")
        ask_from(b, waiting)
        expect(b.locator(".q-receipt.accepted")).to_contain_text("it shows once the presenter approves it", timeout=15000)
        expect(item(b, waiting).locator(".q-badge.pending")).to_have_text("Waiting for approval")
        expect(row(view, waiting)).to_have_class(re.compile(r"\bpending\b"), timeout=10000)
        c.wait_for_timeout(1500)
        expect(item(c, waiting)).to_have_count(0)
        row(view, waiting).locator("button", has_text="Approve").click()
        expect(item(c, waiting)).to_be_visible(timeout=10000)
        view.locator(".q-moderation").click()
        expect(view.locator(".q-moderation")).to_have_text("Moderation: off", timeout=10000)
    finally:
        for context in (ca, cb, cc):
            context.close()


def test_a_remote_with_rights_moderates_from_its_phone_and_a_viewer_cannot(browser: Browser, session: PresentProcess, view: Page):
    (cr, remote), (cv, viewer) = phone(browser, session), phone(browser, session)
    try:
        text = unique("Can a remote hide me?")
        ask_from(viewer, text)
        expect(viewer.locator(".q-receipt.accepted")).to_be_visible(timeout=15000)
        question_id = int(item(viewer, text).get_attribute("data-id"))
        cookie, token = device_of(viewer)
        code, _, body = raw(session, "POST", f"{session.room_path}/questions/{question_id}/moderate/hide", cookie=cookie, headers={"X-Room-Token": token})
        assert code == 403, (code, body)
        for path in (f"/__present/questions/{question_id}/hide", "/__present/questions/moderation"):
            assert raw(session, "POST", path, cookie=cookie, headers={"X-Present-Token": session.token}, body={"on": True})[0] == 403
        assert raw(session, "GET", "/__present/questions", cookie=cookie)[0] == 403
        assert raw(session, "GET", f"/__present/questions.md?token={session.token}", cookie=cookie)[0] == 403
        # Paired with the controls: the remote's sheet moderates.
        remote.locator("button", has_text="Pair as remote").click()
        code = remote.locator(".room-code").inner_text()
        view.locator(".room-row", has_text=f"Pair {code}?").locator("button", has_text="Allow + demos").click()
        expect(remote.locator(".phone-sheet[data-sheet=remote] .room-nav")).to_be_visible(timeout=5000)  # the remote's panel (phone page)
        remote.locator("#q-open").click()
        item(remote, text).locator(".q-mod button", has_text="Hide").click()
        expect(item(viewer, text)).to_have_count(0, timeout=10000)
        expect(item(remote, text).locator(".q-badge.hidden")).to_be_visible(timeout=10000)  # the remote still sees it, to undo
        item(remote, text).locator(".q-mod button", has_text="Approve").click()
        expect(item(viewer, text)).to_be_visible(timeout=10000)
        view.locator(".room-row", has_text=f"Remote {code}").locator("button", has_text="Revoke").click()
    finally:
        cr.close()
        cv.close()


HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> see https://example.com'


def test_hostile_text_is_refused_or_inert_everywhere_and_no_key_reaches_a_phone(browser: Browser, session: PresentProcess, laptop: Page, view: Page):
    (ca, a), (cb, b) = phone(browser, session), phone(browser, session)
    try:
        text = unique(HOSTILE)
        ask_from(a, text, '<b onclick="__pwned=3">Mal</b>')
        expect(a.locator(".q-receipt.accepted")).to_be_visible(timeout=15000)
        b.locator("#q-open").click()
        expect(item(b, text)).to_be_visible(timeout=10000)
        row(view, text).locator("button", has_text="Pin").click()
        expect(laptop.locator(".q-pinned .q-pinned-text")).to_have_text(text, timeout=10000)
        inert = """() => ({pwned: window.__pwned,
            markup: document.querySelectorAll('.q-qtext *, .q-who *, .q-row-text *, .q-pinned *:not(div):not(p), .questions-live-text *').length,
            links: document.querySelectorAll('.q-ui a:not(.q-export), .questions-live a').length})"""
        for page in (a, b, view, laptop):
            assert page.evaluate(inert) == {"pwned": None, "markup": 0, "links": 0}, page.url
        expect(item(b, text).locator(".q-who")).to_have_text('— <b onclick="__pwned=3">Mal</b>')
        row(view, text).locator("button", has_text="Unpin").click()
        expect(laptop.locator(".q-pinned")).to_be_hidden(timeout=10000)
        # Refused, with the reason, before they cost an update: control characters, too long; a
        # device flooding (a second question within 20 s); a body over the size limit.
        cookie, token = device_of(b)
        post = lambda body: raw(session, "POST", f"{session.room_path}/questions/ask", cookie=cookie, headers={"X-Room-Token": token}, body=body)  # noqa: E731
        for body, reason in (({"text": "ring \x07 bell"}, "control character (U+0007)"), ({"text": "\u202eevil"}, "control character (U+202E)"),
                             ({"text": "x" * 281}, "too long (281 characters; at most 280)"), ({"text": "fine", "name": "n" * 41}, "name is too long")):
            code, _, answer = post(body)
            assert code == 422 and reason in json.loads(answer)["reason"], (body, code, answer)
        assert post({"text": "x" * 20_000})[0] == 413
        assert post({"text": unique("My first question")})[0] == 200
        code, _, answer = post({"text": unique("And my second, straight away")})
        assert code == 409 and "one question per 20 s from each device: ask again in" in json.loads(answer)["reason"]
        # The presenter's key and the session token never reach a phone: its page, its look at the board, its stream.
        page_html = raw(session, "GET", session.room_path, cookie=cookie)[2]
        look = raw(session, "GET", f"{session.room_path}/questions", cookie=cookie)[2]
        stream = _stream(session, cookie, seconds=2.0, during=lambda: row(view, text).locator("button", has_text="Hide").click())
        assert "event: questions" in stream and '"removed":[' in stream
        for seen in (page_html, look, stream):
            assert session.presenter_key not in seen and session.token not in seen
        device_id = cookie.split("=", 1)[1]
        assert device_id not in look and device_id not in stream  # no device id, not even its own, travels to a phone
    finally:
        ca.close()
        cb.close()


def _stream(session: PresentProcess, cookie: str, *, seconds: float, during) -> str:
    """What a phone's stream carries for `seconds` while `during()` happens on the laptop."""
    import http.client
    import threading
    import time

    conn = http.client.HTTPConnection("127.0.0.1", session.port, timeout=seconds + 5)
    conn.request("GET", f"{session.room_path}/events", headers={"Host": f"127.0.0.1:{session.port}", "Cookie": cookie})
    response = conn.getresponse()
    chunks: list[bytes] = []

    def read() -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                chunks.append(response.fp.read1(65536))
            except (OSError, ValueError):
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    during()
    reader.join(seconds + 5)
    conn.close()
    return b"".join(chunks).decode(errors="replace")


def _storm_room(session: PresentProcess, http: aiohttp.ClientSession) -> HttpRoom:
    def room_path() -> str:
        try:
            return session.room_path
        except AttributeError:  # the restarted session has not printed its URL yet
            return ""
    return HttpRoom(session.url, room_path, http)


async def _storm(session: PresentProcess, phones: int, *, during) -> tuple[list, list, dict]:
    """`phones` scripted devices ask one question each, then upvote three others, while `during`
    does its damage; returns (asks, upvotes, the workflow's audit)."""
    from demos.questions.client import read_audit

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http:
        room = _storm_room(session, http)
        devices = [await room.device() for _ in range(phones)]
        tag = uuid.uuid4().hex[:6]

        async def asks(n, device):
            await asyncio.sleep(n * 0.1)
            return await room.ask_like_a_phone(device, f"Storm {tag} question {n}?", retry_every_s=0.5, give_up_after_s=120)

        damage = asyncio.create_task(during())
        asked = await asyncio.gather(*(asks(n, d) for n, d in enumerate(devices)))
        ids = [a.final.question_id for a in asked if a.accepted]

        async def upvotes(n, device):
            return [await room.upvote_like_a_phone(device, ids[(n + k) % len(ids)], f"{tag}-{n}-{k}", retry_every_s=0.5, give_up_after_s=120)
                    for k in (1, 2, 3)]

        upvoted = [u for done in await asyncio.gather(*(upvotes(n, d) for n, d in enumerate(devices))) for u in done]
        await damage
    from temporalio.client import Client

    client = await Client.connect(session.status()["temporal"]["address"])
    audit = await read_audit(client, session.status()["questions"]["workflow_id"])
    return asked, upvoted, audit


def _in_a_thread(coroutine):
    """asyncio.run beside Playwright's own loop (this thread has one while the browser is open)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _exactly_once(asked: list, upvoted: list, audit) -> None:
    assert all(a.settled_at is not None for a in asked + upvoted), [(a.device_id, a.answer, a.receipts[-1:]) for a in asked + upvoted if a.settled_at is None]
    assert all(a.accepted for a in asked + upvoted), [(a.device_id, a.answer, a.final) for a in asked + upvoted if not a.accepted]
    for a in asked:  # each question on the board once, from the phone that asked it
        assert audit.askers[str(a.final.question_id)] == a.device_id
    assert len({a.final.question_id for a in asked}) == len(asked)
    for u in upvoted:  # each upvote counted once: its device among the question's voters exactly once
        assert audit.voters[str(u.answer)].count(u.device_id) == 1, (u.device_id, u.answer)


def test_the_boards_worker_sigkilled_mid_storm_loses_nothing_and_counts_nothing_twice(session: PresentProcess):
    before = session.status()["questions"]["workers"]["worker"][0]["pid"]

    async def kill_mid_storm() -> None:
        await asyncio.sleep(1.5)
        os.kill(before, 9)  # SIGKILL: the session's keeper starts another

    asked, upvoted, audit = _in_a_thread(_storm(session, 24, during=kill_mid_storm))
    _exactly_once(asked, upvoted, audit)
    after = [w["pid"] for w in session.status()["questions"]["workers"]["worker"]]
    assert after and before not in after and "exited; restarting it" in session.output()
    # The storm crossed the kill: the board's workflow tasks were completed by the killed worker and
    # by the one the session started in its place (the updates it held waited, then counted once).
    assert {str(before), str(after[0])} <= _task_workers(session)


def _task_workers(session: PresentProcess) -> set[str]:
    """The pids of the workers that took the board's workflow tasks, over all its runs."""
    from temporalio.client import Client

    async def read() -> set[str]:
        client = await Client.connect(session.status()["temporal"]["address"])
        workflow_id = session.status()["questions"]["workflow_id"]
        pids = set()
        async for run in client.list_workflows(f'WorkflowId = "{workflow_id}"'):
            history = await client.get_workflow_handle(workflow_id, run_id=run.run_id).fetch_history()
            pids |= {e.workflow_task_started_event_attributes.identity.split("@")[0] for e in history.events
                     if e.HasField("workflow_task_started_event_attributes")}
        return pids - {""}

    return _in_a_thread(read())


def test_present_restarted_mid_talk_loses_nothing_and_the_export_has_it_all(browser: Browser, session: PresentProcess):
    """Ctrl-C in the middle of a storm and `make present` again: the phones keep sending what waits
    (to the new audience URL), the board is the same workflow, and a phone still sees its own question."""
    context, a = phone(browser, session)
    try:
        mine = unique("Will my question survive a restart?")
        ask_from(a, mine)
        expect(a.locator(".q-receipt.accepted")).to_be_visible(timeout=15000)
        board_before = _wait_for_board(session)

        async def restart() -> None:
            await asyncio.sleep(1.0)
            loop = asyncio.get_running_loop()
            assert await loop.run_in_executor(None, session.stop) == 0
            await loop.run_in_executor(None, session.start)

        asked, upvoted, audit = _in_a_thread(_storm(session, 16, during=restart))
        session.wait_until_ready()
        board_after = _wait_for_board(session)
        assert board_after["workflow_id"] == board_before["workflow_id"]
        _exactly_once(asked, upvoted, audit)
        # The phone opens the new audience URL: its question is there, marked as its own.
        a.goto(f"{session.url.rstrip('/')}{session.room_path}")
        a.wait_for_function("() => window.__present && window.__present.questions")
        a.locator("#q-open").click()
        expect(item(a, mine).locator(".q-badge.yours")).to_have_text("Yours", timeout=15000)
        # After the talk: the Markdown, from the running session's Temporal (a second server on its database would be wrong).
        out = subprocess.run([sys.executable, str(REPO / "build.py"), "questions", "--deck", "qa", "--root", str(session.root), "--out", "-"],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert inert(mine) in out.stdout and all(inert(a.answer) in out.stdout for a in asked)  # as typed, escaped
        assert "<" not in out.stdout.replace("<!--", "")  # the room's text is escaped
    finally:
        context.close()
