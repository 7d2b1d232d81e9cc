"""The codec server for the real Web UI, in real Chromium: the dev server's Web UI (started with
--ui-codec-endpoint, as present mode starts it) calls our codec server from the browser (a
cross-origin POST with a CORS preflight) and shows the decrypted payloads; with the codec server
stopped, or holding the wrong key, the page shows the UI's codec error and ciphertext, never the
plain data. The same protocol through the CLI is tested in test_pii_codec.py."""

from __future__ import annotations

import base64
import uuid

import pytest
from playwright.async_api import Page, async_playwright, expect

from demos.common.server import dev_server, free_port
from demos.pii_codec.codec import DEMO_KEY, DEMO_KEY_ID, EncryptionCodec
from demos.pii_codec.codec_server import CodecServer
from demos.pii_codec.starter import demo_customer, onboard
from demos.pii_codec.worker import build_worker, with_codec
from tests.deckcheck import launch_options

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

EMAIL = "ada.lovelace@example.com"
CODEC_ERROR = "Codec Server could not connect"  # the Web UI's banner for any codec failure
LOAD_MS = 45_000  # the Web UI's first page load compiles a lot of JavaScript on a busy CI machine


async def _show(page: Page, url: str, workflow_id: str, tries: int = 3) -> None:
    """The run's page; reloaded when the UI's own request to the server failed (its "500 ...
    technical difficulties" page, seen when the machine is very busy)."""
    run_heading = page.get_by_role("heading", name=workflow_id)
    for _ in range(tries):
        await page.goto(url)
        await expect(run_heading.or_(page.get_by_role("heading", name="500")).first).to_be_visible(timeout=LOAD_MS)
        if await run_heading.is_visible():
            return
    await expect(run_heading).to_be_visible()


async def _shows_ciphertext_only(page: Page, ciphertext: str) -> None:
    """The codec error is up, the workflow input shows as the stored ciphertext, and no plain data."""
    await expect(page.locator("#content").get_by_text(CODEC_ERROR)).to_be_visible(timeout=LOAD_MS)
    await expect(page.get_by_text(ciphertext[:24], exact=False).first).to_be_visible(timeout=LOAD_MS)
    assert EMAIL not in await page.content()


async def test_the_web_ui_shows_decoded_payloads_only_through_the_right_codec_server():
    codec = EncryptionCodec({DEMO_KEY_ID: DEMO_KEY}, DEMO_KEY_ID)
    codec_port = free_port()
    async with dev_server(ui=True, ui_codec_endpoint=f"http://127.0.0.1:{codec_port}") as server:
        assert server.ui_url
        secure = with_codec(server.client, codec)
        task_queue = f"tq-{uuid.uuid4()}"
        async with build_worker(secure, task_queue):
            handle, _ = await onboard(secure, demo_customer(), task_queue=task_queue)
        history = await server.client.get_workflow_handle(handle.id).fetch_history()
        stored = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
        ciphertext = base64.b64encode(stored.data).decode()  # what the UI shows when it cannot decode
        run_page = f"{server.ui_url}/namespaces/default/workflows/{handle.id}/{handle.result_run_id}/history"

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**launch_options())
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 1000})
                decode_answers: list[tuple[int, str | None]] = []
                page.on("response", lambda r: decode_answers.append((r.status, r.headers.get("access-control-allow-origin")))
                        if r.url.startswith(f"http://127.0.0.1:{codec_port}/decode") else None)

                # The right key: the browser's cross-origin calls succeed and the plain data shows.
                with CodecServer(codec, ui_origin=server.ui_url, port=codec_port):
                    await _show(page, run_page, handle.id)
                    await expect(page.get_by_text(EMAIL).first).to_be_visible(timeout=LOAD_MS)
                    await expect(page.get_by_text("Welcome, Ada Lovelace", exact=False).first).to_be_visible()
                assert decode_answers and all(answer == (200, server.ui_url) for answer in decode_answers), decode_answers

                # No codec server: the UI says so and shows what the server stores.
                await _show(page, run_page, handle.id)
                await _shows_ciphertext_only(page, ciphertext)

                # A codec server with the wrong key under the same id: HTTP 400, an error, no plain data.
                decode_answers.clear()
                wrong = EncryptionCodec({DEMO_KEY_ID: bytes(32)}, DEMO_KEY_ID)
                with CodecServer(wrong, ui_origin=server.ui_url, port=codec_port):
                    await _show(page, run_page, handle.id)
                    await _shows_ciphertext_only(page, ciphertext)
                assert decode_answers and {status for status, _ in decode_answers} == {400}, decode_answers
            finally:
                await browser.close()
