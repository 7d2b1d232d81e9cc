"""`make present DECK=<a Marp file dropped in>`: no Temporal and no workers for a deck without demo
slides (and the terminal says why), and a save on a slide that inherits directives from other slides
shows, in the open page, the same pixels as marp-cli's render of the saved file."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from tests.present_session import PresentProcess
from tests.test_marp_decks import CORPUS, MARP_HTML, deck_file, marp_cli

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HIDE_CHROME = ".bespoke-marp-osc, .bespoke-progress-parent, #present-notice, #present-error { visibility: hidden !important; }"


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("present-marp") / "project"
    present = PresentProcess.on_copy(root, extra_args=("--deck", "directives-doc"))  # Temporal allowed: the deck decides
    for name in ("directives-doc", "heading-divider"):
        shutil.copytree(CORPUS / name, present.root / "slides" / name)
    present.start()
    try:
        present.wait_for(lambda: "present: Temporal" in present.output(), 30, "what runs to be said")
        yield present
    finally:
        present.stop()


def _shot(page, number: int):
    from PIL import Image

    page.evaluate("n => { location.hash = '#' + n }", number)
    page.wait_for_function("n => [...document.querySelectorAll('svg[data-marpit-svg]')].indexOf(document.querySelector('svg.bespoke-marp-active')) + 1 === n",
                           arg=number)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return Image.open(io.BytesIO(page.screenshot())).convert("RGB")


def _marp_cli_page(browser, source: Path, number: int, tmp_path: Path):
    html = tmp_path / "reference.html"
    proc = marp_cli(source, html, *MARP_HTML)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    page = browser.new_page(viewport={"width": 1280, "height": 720}, reduced_motion="reduce")
    try:
        page.goto(html.as_uri())
        page.add_style_tag(content=HIDE_CHROME)
        page.evaluate("document.fonts.ready")
        return _shot(page, number)
    finally:
        page.close()


def test_a_deck_without_demo_slides_starts_no_temporal_and_no_workers(session: PresentProcess):
    output = session.output()
    assert "Temporal        not started: no slide of this deck shows a demo" in output, output
    status = session.status()
    assert status["demos"] == [] and status["workers"] == {} and status["pids"]["temporal"] is None and status["pids"]["workers"] == []
    assert "no deck.toml" in output and "directives.md (one Markdown file)" in output  # the preflight names the Marp file


def test_a_save_on_a_slide_that_inherits_directives_shows_what_marp_cli_draws(session: PresentProcess, browser, tmp_path: Path):
    from tests.test_marp_decks import PIXEL_TOLERANCE, _differing

    page = browser.new_page(viewport={"width": 1280, "height": 720}, reduced_motion="reduce")
    try:
        page.goto(session.url)
        page.add_style_tag(content=HIDE_CHROME)
        page.evaluate("document.fonts.ready")
        source = deck_file(session.root / "slides" / "directives-doc")
        # Slide 3 inherits the aqua background (a local directive on slide 2) and the global paginate.
        source.write_text(source.read_text().replace("Still aqua: a local directive applies", "Saved: still aqua, a local directive applies"))
        page.wait_for_function("() => document.querySelector('svg[data-marpit-svg]:nth-of-type(3)') && "
                               "[...document.querySelectorAll('svg[data-marpit-svg]')][2].textContent.includes('Saved: still aqua')", timeout=15000)
        served = _shot(page, 3)
        reference = _marp_cli_page(browser, source, 3, tmp_path)
        share = _differing(served, reference)
        if share > PIXEL_TOLERANCE:
            served.save(tmp_path / "served.png")
            reference.save(tmp_path / "marp-cli.png")
        assert share <= PIXEL_TOLERANCE, f"{share:.2%} of pixels differ ({tmp_path})"
        # A spot directive taken away changes every later page number: the patched pages say so too.
        source.write_text(source.read_text().replace("<!-- _paginate: false -->\n", ""))
        page.wait_for_function("() => [...document.querySelectorAll('svg[data-marpit-svg]')][3].querySelector('section').dataset.marpitPagination === '4'",
                               timeout=15000)
        assert _differing(_shot(page, 6), _marp_cli_page(browser, source, 6, tmp_path)) <= PIXEL_TOLERANCE
    finally:
        page.close()


def test_a_broken_front_matter_keeps_the_last_good_deck_and_says_where(session: PresentProcess):
    source = deck_file(session.root / "slides" / "directives-doc")
    good = source.read_text()
    try:
        source.write_text("---\nmarp: true\ntheme: [gaia\n---\n\n" + good)
        session.wait_for(lambda: re.search(r"directives-doc/directives\.md:3: marp cannot read this front matter", session.output()), 15, "the error")
        assert session.status()["error"].startswith("slides/directives-doc/directives.md:3: marp cannot read this front matter")
    finally:
        source.write_text(good)
    session.wait_for(lambda: session.status()["error"] is None, 15, "the fix to clear the error")
