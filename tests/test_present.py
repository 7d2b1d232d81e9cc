"""`build.py present`, used the way a presenter uses it: a real session (Temporal dev server, worker
processes, the served deck) on a copy of the project, driven from real Chromium with Playwright, and
stopped with Ctrl-C. Tests run in file order and share the one session (starting it costs ~10 s)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import REPO, copy_project
from tests.deckcheck import goto_slide
from tests.present_session import PresentProcess, port_is_free

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def session(present_session: PresentProcess) -> PresentProcess:
    return present_session  # one session for test_present, test_present_faults, test_stage_versioning_web_ui (conftest)


@pytest.fixture
def page(browser: Browser, session: PresentProcess) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(session.url)
    page.wait_for_function("() => window.__present && window.__present.version > 0")
    yield page
    context.close()


def slide_of(page: Page, selector: str) -> int:
    """1-based number of the first slide containing `selector`."""
    number = page.evaluate(
        """sel => { const svgs = [...document.querySelectorAll('svg[data-marpit-svg]')];
                    return svgs.findIndex(s => s.querySelector(sel)) + 1; }""",
        selector,
    )
    assert number > 0, f"no slide contains {selector}"
    return number


def active(page: Page, selector: str):
    return page.locator(f"svg.bespoke-marp-active {selector}")


def go_to_demo(page: Page, demo: str) -> None:
    goto_slide(page, slide_of(page, f'[data-demo="{demo}"]'))
    expect(active(page, ".present-bar")).to_be_visible()


def post(session: PresentProcess, path: str, headers: dict[str, str] | None = None, timeout_s: float = 10) -> tuple[int, str]:
    request = urllib.request.Request(f"{session.url}{path.lstrip('/')}", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


# --- the deck, rebuilt on save -----------------------------------------------------------------------


def test_prints_the_deck_presenter_and_web_ui_urls(session: PresentProcess):
    out = session.output()
    assert f"present: deck            http://127.0.0.1:{session.port}/" in out
    assert f"present: presenter view  http://127.0.0.1:{session.port}/?view=presenter" in out
    assert re.search(r"Web UI http://127\.0\.0\.1:\d+", out)
    assert re.search(r"preflight:\n(  \S+ +(ok|warn) .*\n)+", out), out


def test_a_slide_edit_shows_on_the_same_slide_without_a_reload(session: PresentProcess, page: Page):
    slide = session.root / "slides" / "talk" / "03-what-temporal-is.md"
    goto_slide(page, 3)
    page.evaluate("() => { window.__sameDocument = true }")
    text = slide.read_text()
    assert "## What Temporal Is" in text
    slide.write_text(text.replace("## What Temporal Is", "## What Temporal Is, edited live", 1))
    expect(active(page, "h2")).to_have_text("What Temporal Is, edited live", timeout=15000)
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    assert page.evaluate("() => location.hash") == "#3"
    slide.write_text(text)
    expect(active(page, "h2")).to_have_text("What Temporal Is", timeout=15000)


def test_the_presenter_view_follows_an_edit_too(session: PresentProcess, browser: Browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    presenter = context.new_page()
    presenter.goto(f"{session.url}?view=presenter#3")
    presenter.wait_for_function("() => window.__present && window.__present.version > 0")
    expect(presenter.locator(".bespoke-marp-presenter-container")).to_be_visible()
    slide = session.root / "slides" / "talk" / "03-what-temporal-is.md"
    text = slide.read_text()
    try:
        slide.write_text(text.replace("## What Temporal Is", "## What Temporal Is, for the presenter", 1))
        expect(presenter.locator("svg.bespoke-marp-active h2").first).to_have_text("What Temporal Is, for the presenter", timeout=15000)
    finally:
        slide.write_text(text)
        context.close()


def test_an_edit_that_cannot_be_patched_reloads_into_the_new_page(session: PresentProcess, page: Page):
    """A slide with a <style scoped> gets its scope name from marp-cli in the full page: the pages
    reload (on the same slide) once the new page is written, and show the edit."""
    slide = session.root / "slides" / "talk" / "11-performance.md"
    number = page.evaluate("""() => [...document.querySelectorAll('svg[data-marpit-svg]')]
                               .findIndex(s => (s.querySelector('h2') || {}).textContent === 'Performance in My System') + 1""")
    assert number > 0
    goto_slide(page, number)
    text = slide.read_text()
    try:
        slide.write_text(text.replace("## Performance in My System", "## Performance in My System, revised", 1))
        expect(active(page, "h2")).to_have_text("Performance in My System, revised", timeout=20000)
        assert page.evaluate("() => location.hash") == f"#{number}"
    finally:
        slide.write_text(text)
    expect(active(page, "h2")).to_have_text("Performance in My System", timeout=20000)


def test_a_broken_template_shows_an_overlay_and_the_fix_removes_it(session: PresentProcess, page: Page):
    slide = session.root / "slides" / "talk" / "02-core-problem.md"
    goto_slide(page, 2)
    text = slide.read_text()
    heading = active(page, "h2").inner_text()
    slide.write_text(text + "\n{{ not_a_variable }}\n")
    overlay = page.locator("#present-error")
    expect(overlay).to_contain_text("slides/talk/02-core-problem.md:", timeout=15000)
    expect(overlay).to_contain_text("not_a_variable")
    expect(active(page, "h2")).to_have_text(heading)  # the last good deck stays up
    # The overlay informs and never blocks: the demo controls under it still work.
    go_to_demo(page, "versioning")
    active(page, ".present-btn").filter(has_text="Run live").click(timeout=5000)
    expect(active(page, ".present-badge").first).to_have_text("LIVE", timeout=15000)
    expect(overlay).to_be_visible()
    slide.write_text(text)
    expect(overlay).to_have_count(0, timeout=15000)


def test_a_slide_edit_never_reruns_a_demo(session: PresentProcess):
    before = {p.name: p.stat().st_mtime_ns for p in (session.root / "demos" / "captures").glob("*.json")}
    slide = session.root / "slides" / "talk" / "02-core-problem.md"
    text = slide.read_text()
    rebuilds = session.output().count("rebuilt in")  # earlier tests rebuilt too: wait for one more
    slide.write_text(text.replace("The Core Problem", "The Core Problem (typo fixed)", 1))
    session.wait_for(lambda: session.output().count("rebuilt in") > rebuilds, 15, "a rebuild")
    slide.write_text(text)
    time.sleep(1)
    after = {p.name: p.stat().st_mtime_ns for p in (session.root / "demos" / "captures").glob("*.json")}
    assert after == before
    assert "re-captur" not in session.output()


def test_a_demo_source_edit_recaptures_that_demo_in_the_background(session: PresentProcess, page: Page):
    """Its slide keeps the previous capture marked STALE meanwhile; then the new capture is on it.
    (The inbox: one of the quicker demos to capture, ~6 s, so the edit and its restore cost little.)"""
    captures = session.root / "demos" / "captures"
    before = {p.name: p.read_bytes() for p in captures.glob("*.json")}
    source = session.root / "demos" / "inbox" / "starter.py"
    text = source.read_text()
    go_to_demo(page, "inbox")
    source.write_text(text + "\n# edited on stage\n")
    try:
        expect(active(page, ".present-badge.stale")).to_be_visible(timeout=15000)
        expect(active(page, ".present-badge.stale")).to_have_count(0, timeout=90000)
        session.wait_for(lambda: "demo inbox re-captured" in session.output(), 30, "the re-capture")
        after = {p.name: p.read_bytes() for p in captures.glob("*.json")}
        recaptured = session.output().count("re-captured")  # before the restore below, which is an edit too
    finally:
        source.write_text(text)
    assert after["inbox.json"] != before["inbox.json"]
    assert {n: b for n, b in after.items() if n != "inbox.json"} == {n: b for n, b in before.items() if n != "inbox.json"}
    assert recaptured == 1  # only the edited demo
    # Restoring the file is another edit: let that re-capture finish before the next test.
    session.wait_for(lambda: session.output().count("re-captured") >= 2, 90, "the second re-capture")
    session.wait_until_ready()


# --- security: the server checks, not the page -----------------------------------------------------------


def test_controls_without_the_token_or_from_a_foreign_origin_are_refused(session: PresentProcess, page: Page):
    token = page.evaluate("() => document.querySelector('meta[name=present-token]').content")
    runs_before = session.status()
    for headers in ({}, {"X-Present-Token": "wrong"}, {"X-Present-Token": token, "Origin": "http://evil.example"},
                    {"X-Present-Token": token, "Origin": f"http://127.0.0.1:{session.port + 1}"}):
        for path in ("__present/demo/retries/run", "__present/demo/durability/worker/kill", "__present/demo/inbox/control/approve"):
            code, body = post(session, path, headers)
            assert code == 403, (headers, path, body)
    # The status names every pid and the Temporal address: the token's, like every control.
    for headers in ({}, {"X-Present-Token": "wrong"}):
        request = urllib.request.Request(f"{session.url}__present/status", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 403
    # A DNS-rebinding name pointing at 127.0.0.1 gets neither the page (which carries the token) nor a control.
    request = urllib.request.Request(session.url, headers={"Host": f"rebind.example:{session.port}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 403
    after = session.status()
    assert after["workers"] == runs_before["workers"]  # nothing killed, nothing started
    assert "durability" in after["workers"] and after["workers"]["durability"]


# --- live demos ------------------------------------------------------------------------------------------


def live_picture(page: Page):
    return active(page, ".present-live svg.story")


def live_row(page: Page, text: str):
    return active(page, ".present-live g.story-row").filter(has_text=text)


# Each text of the live picture on the active slide: its size as drawn (font size x the picture's
# scale, in slide px at 1280x720), its colour and what is painted behind its middle.
LIVE_TEXT_JS = """
() => {
  const svg = document.querySelector('svg.bespoke-marp-active .present-live svg.story');
  const section = svg.closest('section');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width / (section.getBoundingClientRect().width / 1280);
  const out = [];
  for (const text of svg.querySelectorAll('text')) {
    const r = text.getBoundingClientRect();
    const under = document.elementsFromPoint(r.left + r.width / 2, r.top + r.height / 2)
      .find(e => e !== text && !text.contains(e) && e.tagName === 'rect' && svg.contains(e));
    out.push({text: text.textContent, px: parseFloat(text.getAttribute('font-size')) * scale, fill: text.getAttribute('fill'),
              behind: under ? under.getAttribute('fill') : '#001f3f',
              inside: r.left >= section.getBoundingClientRect().left - 1 && r.right <= section.getBoundingClientRect().right + 1
                      && r.bottom <= section.getBoundingClientRect().bottom + 1});
  }
  return out;
}
"""


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    x, y = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (x + 0.05) / (y + 0.05)


def assert_live_picture_is_legible(page: Page) -> None:
    """No text under 18 px, contrast >= 4.5:1 against what is behind it, all inside the slide."""
    texts = page.evaluate(LIVE_TEXT_JS)
    assert texts
    problems = [t for t in texts if t["px"] < 18 or contrast(t["fill"], t["behind"]) < 4.5 or not t["inside"]]
    assert problems == [], problems


def test_run_live_draws_the_run_as_it_happens_with_the_retry_countdown(session: PresentProcess, page: Page):
    go_to_demo(page, "retries")
    expect(active(page, ".present-badge").first).to_have_text("CACHED")
    expect(active(page, ".demo-diagram > svg.story")).to_be_visible()  # the captured picture
    started = time.monotonic()
    active(page, ".present-btn").filter(has_text="Run live").click()
    expect(live_row(page, "start PaymentWorkflow")).to_be_visible(timeout=5000)
    first_event_s = time.monotonic() - started
    expect(active(page, ".present-badge").first).to_have_text("LIVE")
    expect(active(page, ".demo-diagram > svg.story:not(.story-live)")).to_be_hidden()
    link = active(page, "a.present-link").get_attribute("href")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/namespaces/default/workflows/payment-order-\w+/[\w-]+/history", link), link
    # While the server waits to retry (no event says so yet): the attempt and a countdown that ticks.
    countdown = active(page, ".present-live g.story-row[data-live='countdown']")
    expect(countdown).to_contain_text("charge_card failed", timeout=20000)
    expect(countdown).to_contain_text(re.compile(r"attempt [234] in \d+\.\d s"))
    ticks = "() => [...document.querySelectorAll('svg.bespoke-marp-active .present-live tspan.story-tick')].map(t => t.textContent)"
    first = page.evaluate(ticks)
    page.wait_for_timeout(450)
    later = page.evaluate(ticks)
    assert first and (later != first or not later), (first, later)  # it ticks (unless the attempt began meanwhile)
    expect(live_row(page, "charge_card ✓ (attempt 4)")).to_be_visible(timeout=30000)
    expect(live_row(page, "completed")).to_be_visible(timeout=10000)
    assert_live_picture_is_legible(page)
    # Generous bound for a loaded CI machine; the benchmark measures the real figure (goal: 500 ms).
    assert first_event_s < 5


def test_inbox_buttons_draw_the_human_arrows_and_a_rejection(session: PresentProcess, page: Page):
    go_to_demo(page, "inbox")
    active(page, ".present-btn").filter(has_text="Run live").click()
    rows = active(page, ".present-snapshot .present-row")
    expect(rows).to_have_count(4, timeout=15000)
    expect(rows.first).to_contain_text("Sign off Q3 budget")  # the query's priority order
    expect(live_row(page, "waiting for approve / refine / escalate")).to_be_visible(timeout=5000)
    # A refine without a note: the update's validator rejects it: a rejection in the picture, not an arrow.
    rows.first.locator(".present-btn", has_text="refine").click()
    rejected = active(page, ".present-live g.story-rejected")
    expect(rejected).to_contain_text("refine needs a note", timeout=10000)
    expect(active(page, ".present-why")).to_contain_text("refine needs a note")
    # Approve the top item: the human's arrow appears, the trail (a query) shows the decision.
    rows.first.locator(".present-btn", has_text="approve").click()
    expect(active(page, ".present-live g.story-human").filter(has_text="signal submit_decision")).to_be_visible(timeout=10000)
    expect(active(page, ".present-lines")).to_contain_text("approve · Sign off Q3 budget · by CEO", timeout=10000)
    expect(rows).to_have_count(3)
    assert_live_picture_is_legible(page)


def test_kill_and_start_the_durability_worker_the_picture_shows_the_gap_and_each_step_once(session: PresentProcess, page: Page):
    go_to_demo(page, "durability")
    active(page, ".present-btn").filter(has_text="Run live").click()
    # Kill in the middle of a step: once one is running on the worker's lane.
    running = active(page, ".present-live g.story-row[data-live='running']")
    expect(running.filter(has_text=re.compile("configure-dns|allocate-storage"))).to_be_visible(timeout=30000)
    page.wait_for_timeout(500)
    killed_pids = [w["pid"] for w in session.status()["workers"]["durability"]["worker"]]
    active(page, ".present-btn").filter(has_text="Kill worker").click()
    expect(active(page, ".present-why")).to_contain_text("SIGKILL worker pid", timeout=10000)
    expect(live_row(page, "✕ worker killed")).to_be_visible(timeout=5000)
    expect(active(page, ".present-live g.story-row[data-live='countup']")).to_contain_text("no worker running · nothing lost")
    for pid in killed_pids:
        session.wait_for(lambda pid=pid: not os.path.exists(f"/proc/{pid}") or "Z" in open(f"/proc/{pid}/stat").read().split(")")[-1][:3], 10, "the killed worker to die")
    expect(active(page, ".present-btn").filter(has_text="Start worker")).to_be_enabled(timeout=10000)
    page.wait_for_timeout(1500)  # the gap: no worker at all
    active(page, ".present-btn").filter(has_text="Start worker").click()
    expect(live_row(page, "completed")).to_be_visible(timeout=60000)
    new_pids = [w["pid"] for w in session.status()["workers"]["durability"]["worker"]]
    picture = live_picture(page)
    lanes = picture.locator("rect + text").evaluate_all("ts => ts.map(t => t.textContent)")
    assert f"worker {killed_pids[0]}" in lanes and f"worker {new_pids[0]}" in lanes, lanes
    expect(live_row(page, "no worker for")).to_contain_text(re.compile(r"no worker for \d+\.\d s · nothing lost"))
    labels = picture.locator("g.story-row").evaluate_all("gs => gs.map(g => g.textContent)")
    from demos.durability.workflows import STEPS
    for step in STEPS:  # all five steps named, each completed exactly once
        assert sum(step in label and "✓" in label for label in labels) == 1, (step, labels)
    assert_live_picture_is_legible(page)
    lines = active(page, ".present-lines li").all_inner_texts()
    assert any("5 of 5 steps completed, each once" in t for t in lines), lines  # the workers' own side-effect log


def test_the_ingestion_picture_folds_its_children_and_stays_inside_its_slide(session: PresentProcess, page: Page):
    go_to_demo(page, "ingestion")
    active(page, ".present-btn").filter(has_text="Run live").click()
    expect(live_row(page, "IngestDocumentWorkflow ×12")).to_contain_text(re.compile(r"\d+/12 done|×12 ✓"), timeout=60000)
    assert_live_picture_is_legible(page)
    assert page.evaluate("() => document.querySelectorAll('svg.bespoke-marp-active .present-live g.story-row').length") <= 9


def test_present_mode_works_from_the_keyboard_and_axe_finds_nothing_serious(session: PresentProcess, page: Page):
    """Without a mouse: Tab reaches the demo bar, Enter runs the demo (and does not turn the slide);
    the live picture tells its story in words, kept current; axe-core (pinned) finds no serious or
    critical violation on the slide, captured or live."""
    from tests.axe import describe, violations

    go_to_demo(page, "account_validation" if slide_exists(page, "account_validation") else "versioning")
    number = page.evaluate("() => location.hash")
    assert violations(page, "svg.bespoke-marp-active") == [], describe({0: violations(page, "svg.bespoke-marp-active")})
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => (document.activeElement || {}).textContent") == "Run live":
            break
    else:
        raise AssertionError("Tab never reached Run live")
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"  # a visible focus
    page.keyboard.press("Enter")
    expect(active(page, ".present-badge").first).to_have_text("LIVE", timeout=15000)
    assert page.evaluate("() => location.hash") == number
    picture = active(page, ".present-live svg.story")
    expect(picture).to_have_attribute("role", "img")
    session.wait_for(lambda: "The client starts" in (picture.get_attribute("aria-label") or ""), 15, "the live picture's words")
    assert violations(page, "svg.bespoke-marp-active") == []


def slide_exists(page: Page, demo: str) -> bool:
    return page.evaluate("d => !!document.querySelector(`[data-demo=\"${d}\"]`)", demo)


def test_the_presenter_views_preview_shares_the_pages_stream(session: PresentProcess, browser: Browser):
    """The next-slide preview (an iframe of the deck) shows the same demo state from its parent's
    stream: one stream per presenter view, not two."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    presenter = context.new_page()
    streams = []
    presenter.on("request", lambda r: streams.append(r.frame.url) if "/__present/events" in r.url else None)
    try:
        presenter.goto(f"{session.url}?view=presenter#2")
        presenter.wait_for_function("() => window.__present && window.__present.version > 0")
        frame = presenter.frame_locator("iframe.bespoke-marp-presenter-next")
        expect(frame.locator("svg.bespoke-marp-active")).to_have_count(1, timeout=10000)
        presenter.wait_for_function("() => [...document.querySelectorAll('iframe')].some(f => f.contentWindow.__present && f.contentWindow.__present.follows === 'parent')")
        # The preview knows the demos' state all the same (from its parent).
        assert presenter.evaluate("() => Object.keys([...document.querySelectorAll('iframe')].find(f => f.contentWindow.__present).contentWindow.__present.demos).length") > 0
        time.sleep(0.5)
        assert len(streams) == 1 and "view=presenter" in streams[0], streams
    finally:
        context.close()


def test_a_dead_temporal_server_falls_back_to_cached_and_comes_back(session: PresentProcess, page: Page):
    go_to_demo(page, "retries")
    pid = session.status()["temporal"]["pid"]
    assert pid
    os.kill(pid, signal.SIGKILL)
    expect(active(page, ".present-badge").first).to_have_text("CACHED", timeout=10000)
    expect(active(page, ".present-why")).to_contain_text("Temporal", timeout=10000)
    expect(active(page, ".present-btn").filter(has_text="Run live")).to_be_disabled()
    # The session keeps serving, restarts its dev server, and Run live works again.
    assert page.request.get(session.url).ok
    expect(active(page, ".present-btn").filter(has_text="Run live")).to_be_enabled(timeout=60000)
    session.wait_until_ready()
    active(page, ".present-btn").filter(has_text="Run live").click()
    expect(active(page, ".present-badge").first).to_have_text("LIVE", timeout=15000)


# --- shutdown: last, it stops the shared session -------------------------------------------------------------


@pytest.mark.present_shutdown
def test_ctrl_c_stops_everything_and_frees_the_port(session: PresentProcess, page: Page):
    """With a page still open (the presenter's browser always is) and its live stream connected:
    the server, the workers, Temporal, the codec server the Web UI decodes through, the renderers."""
    session.wait_until_ready()
    assert session.status()["pages"] >= 1
    status = session.status()
    assert status["pids"]["workers"] and status["pids"]["temporal"]  # (marp-core may be down: the fault tests' crash loop)
    temporal_ports = [int(a.rsplit(":", 1)[1]) for a in [status["temporal"]["address"]]]
    temporal_ports.append(int(status["temporal"]["codec_url"].rsplit(":", 1)[1]))
    # A run left open on the server for the restart below (a poll stays open until it is closed).
    code, body = post(session, "__present/demo/poll/run", {"X-Present-Token": session.token, "Origin": session.url.rstrip("/")}, timeout_s=60)
    assert code == 200, body
    OPEN_RUN["poll"] = json.loads(body)["workflow_id"]
    started = time.monotonic()
    code = session.stop()
    assert code == 0, session.output()[-2000:]
    assert time.monotonic() - started < 20, "an open page held the shutdown up"
    assert "Traceback" not in session.output()
    assert session.leftovers() == [], f"processes left behind: {session.leftovers()}"
    assert port_is_free(session.port)
    assert all(port_is_free(p) for p in temporal_ports)


OPEN_RUN: dict[str, str] = {}


@pytest.mark.present_shutdown
def test_a_restart_mid_run_reattaches_the_slide_to_the_run_still_open(session: PresentProcess, browser: Browser):
    """`make present` again after Ctrl-C in the middle of a run (runs persist in .temporal/present.sqlite):
    the slide shows that same run LIVE, and its controls still work."""
    assert OPEN_RUN, "the Ctrl-C test above left a poll open"
    again = PresentProcess(session.root).start()
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        page.goto(again.url)  # as the presenter does, at once: Temporal and the workers follow the first slide
        page.wait_for_function("() => window.__present && window.__present.version > 0")
        again.wait_until_ready()
        go_to_demo(page, "poll")
        expect(active(page, ".present-badge").first).to_have_text("LIVE", timeout=20000)
        assert page.evaluate("() => window.__present.demos.poll.run.workflow_id") == OPEN_RUN["poll"]
        expect(active(page, ".present-why")).to_contain_text("re-attached", timeout=5000)
        active(page, ".present-bar .present-btn").filter(has_text="Close").click(timeout=20000)
        expect(active(page, ".poll-facts")).to_contain_text("closed", timeout=20000)
        context.close()
    finally:
        assert again.stop() == 0
    assert again.leftovers() == []


def test_present_without_temporal_still_serves_and_rebuilds(tmp_path: Path, browser: Browser, built_project: Path):
    present = PresentProcess.on_built(built_project, tmp_path / "project", temporal=False).start()
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        page.goto(present.url + "#3")
        page.wait_for_function("() => window.__present && window.__present.version > 0")
        assert "Temporal        off" in present.output()
        slide = present.root / "slides/talk/03-what-temporal-is.md"
        slide.write_text(slide.read_text().replace("## What Temporal Is", "## What Temporal Is, offline", 1))
        expect(active(page, "h2")).to_have_text("What Temporal Is, offline", timeout=15000)  # it rebuilds
        go_to_demo(page, "retries")
        expect(active(page, ".present-badge").first).to_have_text("CACHED")  # demo slides keep their captured runs
        context.close()
    finally:
        assert present.stop() == 0
    assert present.leftovers() == []
    assert port_is_free(present.port)


def test_a_port_in_use_is_named_with_its_fix(tmp_path: Path):
    root = copy_project(tmp_path / "project")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "build.py", "present", "--root", str(root), "--port", str(port), "--no-temporal"],
                                cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"127.0.0.1:{port} is in use" in result.stdout and "--port N" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr

