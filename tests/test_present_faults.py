"""The fault matrix: a real `build.py present` session, and each long-lived child of its tree killed
once with SIGKILL (what the OOM killer does), then what depends on it done from a real Chromium page:
it works again within 10 s, no zombie is left, and the page never needs a manual reload."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from deckbuild.present.proctree import alive
from tests.deckcheck import goto_slide
from tests.present_session import PresentProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RECOVERY_S = int(os.environ.get("FAULT_RECOVERY_S", "10"))


@pytest.fixture(scope="module")
def session(present_session: PresentProcess) -> PresentProcess:
    present_session.wait_until_ready()
    return present_session  # shared (conftest); test_present's Ctrl-C test checks nothing is left behind


@pytest.fixture(scope="module")
def page(browser: Browser, session: PresentProcess) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(session.url)
    page.wait_for_function("() => window.__present && window.__present.version > 0")
    page.evaluate("() => { window.__sameDocument = true }")
    yield page
    assert page.evaluate("() => window.__sameDocument === true"), "the page had to be reloaded"
    context.close()


def active(page: Page, selector: str):
    return page.locator(f"svg.bespoke-marp-active {selector}")


def not_a_zombie(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True  # gone: reaped
    return state != "Z"


def kill(session: PresentProcess, pid: int) -> float:
    assert pid and alive(pid), pid
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    session.wait_for(lambda: not_a_zombie(pid), RECOVERY_S, f"pid {pid} to be reaped")
    return killed_at


def edit(session: PresentProcess, name: str, old: str, new: str) -> None:
    path = session.root / "slides" / "talk" / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_killed_warm_marp_core_is_replaced_and_the_edit_still_shows(session: PresentProcess, page: Page):
    goto_slide(page, 3)
    killed_at = kill(session, session.status()["pids"]["marp"])
    edit(session, "03-what-temporal-is.md", "## What Temporal Is", "## What Temporal Is, after a crash")
    expect(active(page, "h2")).to_have_text("What Temporal Is, after a crash", timeout=RECOVERY_S * 1000)
    assert time.monotonic() - killed_at < RECOVERY_S + 1
    status = session.status()
    assert status["pids"]["marp"] and status["children"]["marp-core (changed slides)"]["restarts"] >= 1
    assert "marp-core (changed slides) (pid" in session.output() and "died; starting it again" in session.output()


def test_a_killed_marp_cli_is_replaced_and_a_new_page_gets_the_edit(session: PresentProcess, page: Page):
    kill(session, session.status()["pids"]["page_marp"])
    edit(session, "03-what-temporal-is.md", "after a crash", "after two crashes")
    expect(active(page, "h2")).to_have_text("What Temporal Is, after two crashes", timeout=RECOVERY_S * 1000)
    # The full page (what a newly opened browser gets) follows, from the new marp-cli.
    session.wait_for(lambda: "after two crashes" in page.request.get(session.url).text(), RECOVERY_S, "the full page with the edit")


@pytest.mark.parametrize("which", ["node", "chromium"])
def test_a_killed_diagram_renderer_is_replaced_and_a_diagram_edit_still_shows(session: PresentProcess, page: Page, which: str):
    number = page.evaluate("""() => [...document.querySelectorAll('svg[data-marpit-svg]')]
                               .findIndex(s => (s.querySelector('h2') || {}).textContent === 'Architecture Sketch') + 1""")
    goto_slide(page, number)
    node, browser = session.status()["pids"]["diagrams"][:2]
    before = active(page, ".diagram img").get_attribute("src")
    kill(session, node if which == "node" else browser)
    edit(session, "12-architecture.md", 'Activity:<br/>Storage', f'Activity:<br/>Storage {which}')
    session.wait_for(lambda: active(page, ".diagram img").get_attribute("src") != before, RECOVERY_S, "the new diagram")
    assert not any(p in session.status()["pids"]["diagrams"] for p in (node, browser))
    assert not_a_zombie(node) and not_a_zombie(browser)


def test_a_killed_temporal_server_comes_back_and_run_live_works(session: PresentProcess, page: Page):
    number = page.evaluate("() => [...document.querySelectorAll('svg[data-marpit-svg]')].findIndex(s => s.querySelector('[data-demo=retries]')) + 1")
    goto_slide(page, number)
    kill(session, session.status()["temporal"]["pid"])
    expect(active(page, ".present-badge").first).to_have_text("CACHED", timeout=RECOVERY_S * 1000)
    expect(active(page, ".present-btn").filter(has_text="Run live")).to_be_enabled(timeout=30000)  # a dev server start, then its health check
    session.wait_until_ready()
    active(page, ".present-btn").filter(has_text="Run live").click()
    expect(active(page, ".present-live g.story-row").filter(has_text="start PaymentWorkflow")).to_be_visible(timeout=RECOVERY_S * 1000)


def test_a_worker_that_crashes_is_restarted_and_its_demo_runs(session: PresentProcess, page: Page):
    """Not the presenter's Kill worker (that one stays down): a crash, which the session undoes."""
    number = page.evaluate("() => [...document.querySelectorAll('svg[data-marpit-svg]')].findIndex(s => s.querySelector('[data-demo=durability]')) + 1")
    goto_slide(page, number)
    (worker,) = session.status()["workers"]["durability"]["worker"]
    kill(session, worker["pid"])
    session.wait_for(lambda: [w["pid"] for w in session.status()["workers"]["durability"].get("worker", []) if w["ready"]] not in ([], [worker["pid"]]),
                     RECOVERY_S, "a new durability worker")
    active(page, ".present-btn").filter(has_text="Run live").click()
    expect(active(page, ".present-live g.story-row").filter(has_text="create-account ✓")).to_be_visible(timeout=15000)


def test_a_child_that_keeps_dying_is_reported_and_the_last_good_deck_stays_up(session: PresentProcess, page: Page):
    goto_slide(page, 3)
    for _ in range(6):  # more deaths in 30 s than a child may have (an earlier test's kill may count too)
        if "keeps dying" in session.output():
            break
        session.wait_for(lambda: (session.status()["pids"]["marp"] or 0) and alive(session.status()["pids"]["marp"]) or "keeps dying" in session.output(),
                         RECOVERY_S, "a marp-core process")
        pid = session.status()["pids"]["marp"]
        if pid:
            os.kill(pid, signal.SIGKILL)
            session.wait_for(lambda pid=pid: session.status()["pids"]["marp"] != pid, RECOVERY_S, "the dead marp-core to be noticed")
    session.wait_for(lambda: "keeps dying" in session.output(), RECOVERY_S, "the crash loop to be reported")
    edit(session, "03-what-temporal-is.md", "after two crashes", "while marp is down")
    expect(page.locator("#present-error")).to_contain_text("keeps dying", timeout=RECOVERY_S * 1000)
    expect(active(page, "h2")).to_have_text("What Temporal Is, after two crashes")  # the last good deck
    assert page.request.get(session.url).ok  # the session keeps serving
