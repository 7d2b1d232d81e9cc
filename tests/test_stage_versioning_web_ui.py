"""A real `make present` session (tests/present_session.py) for what the stage adds around the Web UI
and Worker Versioning: the dev server's Web UI decodes through a codec server the session owns (and
restarts), a demo slide's Web UI link opens that run in the Web UI, and "Deploy v2" on the
versioning slide is a real deployment while the open v1 order stays pinned to v1. The server's
own word (the `temporal` CLI) says which version ran what. Tests run in file order, sharing one
session."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from demos.common.server import temporal_cli_path
from demos.versioning.live import LIVE_DEPLOYMENT
from tests.deckcheck import goto_slide
from tests.present_session import PresentProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WEB_UI_LOAD_MS = 45_000


@pytest.fixture(scope="module")
def session(present_session: PresentProcess) -> PresentProcess:
    """The shared session (conftest), once Temporal and the workers used here answer."""
    present_session.wait_for(lambda: _ready(present_session.status(), ("versioning",)), 90, "Temporal and the workers used here")
    return present_session


def _ready(status: dict, demos: tuple[str, ...]) -> bool:
    workers = status["workers"]
    return status["temporal"]["state"] == "up" and all(
        workers.get(name) and all(w["ready"] for ws in workers[name].values() for w in ws) for name in demos)


@pytest.fixture
def page(browser: Browser, session: PresentProcess) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(session.url)
    page.wait_for_function("() => window.__present && window.__present.version > 0")
    yield page
    context.close()


def temporal(session: PresentProcess) -> dict:
    return session.status()["temporal"]


def cli_json(session: PresentProcess, *args: str) -> dict:
    argv = [temporal_cli_path(), *args, "--address", temporal(session)["address"], "--output", "json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def preflight(codec_url: str, origin: str) -> tuple[int, str | None]:
    request = urllib.request.Request(f"{codec_url}/decode", method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-namespace"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers.get("Access-Control-Allow-Origin")
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Access-Control-Allow-Origin")


def demo_slide(page: Page, demo: str) -> None:
    number = page.evaluate(
        """d => [...document.querySelectorAll('svg[data-marpit-svg]')].findIndex(s => s.querySelector(`[data-demo="${d}"][data-demo-part="diagram"]`)) + 1""",
        demo,
    )
    assert number > 0, f"no slide shows the {demo} demo"
    goto_slide(page, number)


def open_run_page(web_ui: Page, url: str, workflow_id: str, tries: int = 3) -> None:
    """A run's page in the Web UI; reloaded when the UI's own request to the server failed (its
    "500 ... technical difficulties" page, seen when the machine is very busy)."""
    for attempt in range(tries):
        web_ui.goto(url)
        heading = web_ui.get_by_role("heading", name=workflow_id).or_(web_ui.get_by_role("heading", name="500"))
        expect(heading.first).to_be_visible(timeout=WEB_UI_LOAD_MS)
        if web_ui.get_by_role("heading", name=workflow_id).is_visible() or attempt == tries - 1:
            break
        time.sleep(1)
    expect(web_ui.get_by_role("heading", name=workflow_id)).to_be_visible()


def active(page: Page, selector: str):
    return page.locator(f"svg.bespoke-marp-active {selector}")


def test_the_web_ui_decodes_through_a_codec_server_the_session_owns(session: PresentProcess):
    state = temporal(session)
    cmdline = Path(f"/proc/{state['pid']}/cmdline").read_bytes().split(b"\0")
    assert [b"--ui-codec-endpoint", state["codec_url"].encode()] == cmdline[cmdline.index(b"--ui-codec-endpoint"):][:2]
    # The Web UI calls it from the browser: the preflight of its origin is answered, another's is not.
    assert preflight(state["codec_url"], state["ui_url"]) == (204, state["ui_url"])
    assert preflight(state["codec_url"], "http://evil.example")[0] == 403
    # Killed, it comes back on the same port.
    os.kill(state["codec_pid"], signal.SIGKILL)
    session.wait_for(lambda: temporal(session)["codec_pid"] not in (None, state["codec_pid"]), 20, "a new codec server")
    deadline = time.monotonic() + 20
    while True:
        try:
            assert preflight(state["codec_url"], state["ui_url"]) == (204, state["ui_url"])
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def web_ui_link(page: Page, previous: str | None = None) -> str:
    """The href of the slide's Web UI link (for the newest run, once it differs from `previous`)."""
    link = active(page, "a.present-link")
    expect(link).to_have_count(1, timeout=30000)
    if previous:
        expect(link).not_to_have_attribute("href", previous, timeout=30000)
    return link.get_attribute("href")


def closed_history(session: PresentProcess, workflow_id: str, timeout_s: float = 30) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        history = cli_json(session, "workflow", "show", "--workflow-id", workflow_id)
        if history["events"][-1]["eventType"].endswith("WORKFLOW_EXECUTION_COMPLETED") or time.monotonic() > deadline:
            return history
        time.sleep(0.5)


def test_deploy_v2_pins_the_open_order_to_v1_and_its_web_ui_link_opens_it(session: PresentProcess, page: Page, browser: Browser):
    demo_slide(page, "versioning")
    active(page, ".present-btn").filter(has_text="Run live").click()
    expect(active(page, ".present-badge").first).to_have_text("LIVE", timeout=30000)
    lines = active(page, ".present-lines")
    expect(lines).to_contain_text("this order: PINNED, started on v1", timeout=30000)
    expect(lines).to_contain_text("v1 current")

    # The slide's Web UI link opens this run in the Web UI the session serves.
    link = web_ui_link(page)
    ui = temporal(session)["ui_url"]
    workflow_id, run_id = link.rstrip("/").split("/")[-3:-1]
    assert link == f"{ui}/namespaces/default/workflows/{workflow_id}/{run_id}/history" and workflow_id.startswith("order-")
    web_ui = browser.new_page()
    try:
        open_run_page(web_ui, link, workflow_id)
        expect(web_ui.get_by_text(run_id[:8]).first).to_be_visible()
    finally:
        web_ui.close()

    active(page, ".present-btn").filter(has_text="Deploy v2").click()
    expect(active(page, ".present-why")).to_contain_text("v2 deployed and current", timeout=60000)
    expect(lines).to_contain_text("v1 draining, v2 current", timeout=15000)
    assert set(session.status()["workers"]["versioning"]) == {"v1", "v2"}  # v1 keeps serving its pinned runs

    active(page, ".present-row button").filter(has_text="approve").click()
    # The server's record: every workflow task of the order ran on v1, though v2 was current.
    history = closed_history(session, workflow_id)
    assert history["events"][-1]["eventType"].endswith("WORKFLOW_EXECUTION_COMPLETED"), history["events"][-1]
    builds = [e["workflowTaskCompletedEventAttributes"]["deploymentVersion"]["buildId"]
              for e in history["events"] if "workflowTaskCompletedEventAttributes" in e]
    assert builds and set(builds) == {"v1"}, builds
    deployment = cli_json(session, "worker", "deployment", "describe", "--name", LIVE_DEPLOYMENT)
    assert {v["BuildID"] for v in deployment["versionSummaries"]} == {"v1", "v2"}, deployment
    assert deployment["routingConfig"]["currentVersionBuildID"] == "v2", deployment["routingConfig"]

    # A new order now starts on v2.
    active(page, ".present-btn").filter(has_text="Run live").click()
    web_ui_link(page, previous=link)
    expect(lines).to_contain_text("this order: PINNED, started on v2", timeout=30000)


def _onboard_as_the_audience_would(address: str) -> tuple[str, str]:
    """The pii_codec demo with Python alone (its worker and starter) against the session's server: the
    talk shows no pii_codec slide, so its session runs no pii_codec worker (a deck starts its own)."""
    import asyncio
    import uuid

    from temporalio.client import Client

    from demos.pii_codec.codec import EncryptionCodec
    from demos.pii_codec.starter import demo_customer, onboard
    from demos.pii_codec.worker import build_worker, with_codec

    async def run() -> tuple[str, str]:
        secure = with_codec(await Client.connect(address), EncryptionCodec.from_env())
        queue = f"pii-codec-{uuid.uuid4().hex[:8]}"
        async with build_worker(secure, queue):
            handle, _ = await onboard(secure, demo_customer(), task_queue=queue)
        return handle.id, (await handle.describe()).run_id

    # A thread of its own: the test session's event loop (pytest-asyncio) may be running in this one.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=120)


def test_a_pii_codec_run_opens_decoded_in_the_web_ui(session: PresentProcess, browser: Browser):
    assert "pii_codec" not in session.status()["workers"]  # the talk does not start the training deck's demos
    workflow_id, run_id = _onboard_as_the_audience_would(temporal(session)["address"])
    assert closed_history(session, workflow_id)["events"][-1]["eventType"].endswith("WORKFLOW_EXECUTION_COMPLETED")
    ui = temporal(session)["ui_url"]
    web_ui = browser.new_page()
    try:
        open_run_page(web_ui, f"{ui}/namespaces/default/workflows/{workflow_id}/{run_id}/history", workflow_id)
        expect(web_ui.get_by_text("ada.lovelace@example.com").first).to_be_visible(timeout=WEB_UI_LOAD_MS)
    finally:
        web_ui.close()
