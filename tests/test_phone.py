"""The room reads the deck on its phones (share mode's audience page), measured as a new user would:
real `build.py present --share` sessions, the presenter's laptop and phones as separate Chromium
contexts (390x844 and 360x740 held upright, 844x390 held sideways), every request over loopback.

Every slide of the training deck and of a plain Marp deck (tests/data/plain_marp: one Marp file as any
Marp tool reads it, Marp's default theme, a picture beside it; no macros, no demos) is shown on each phone: held upright the slide is reflowed (text >= 16 px,
diagram labels >= 14 px, nothing scrolls the page sideways, controls >= 44 px and never over the slide,
pinch-zoom on); held sideways it is the slide as projected. The talk's slides and its live runs are
measured in tests/test_present_share.py, on that module's session (Temporal and workers running).

PHONE_SHOTS=<folder> keeps a screenshot of every phone view there (tests.phone_check.contact_sheet
puts them on one page to look at)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import REPO
from tests.phone_check import LANDSCAPE, PORTRAIT, SHOWN_JS, open_phone, sweep
from tests.present_session import PresentProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PLAIN = REPO / "tests/data/plain_marp"
SHOTS = Path(os.environ["PHONE_SHOTS"]) if os.environ.get("PHONE_SHOTS") else None


@pytest.fixture(scope="module", params=["training", "plain"])
def deck(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, PresentProcess]:
    """A share session of one deck, without Temporal (its demo slides show their captured runs)."""
    name = request.param
    if name == "training":
        built = request.getfixturevalue("built_training")
        present = PresentProcess.on_built(built, tmp_path_factory.mktemp("phone-training") / "project", temporal=False, share=True,
                                          extra_args=("--deck", "training", "--bind", "127.0.0.1"))
    else:
        present = PresentProcess.on_copy(tmp_path_factory.mktemp("phone-plain") / "project", temporal=False, share=True,
                                         extra_args=("--deck", "plain", "--bind", "127.0.0.1"))
        shutil.copytree(PLAIN, present.root / "slides/plain")  # dropped in as it is: one Marp file and its picture
    present.start()
    try:
        present.wait_for(lambda: "present: audience" in present.output(), 60, "the audience URL")
        yield name, present
    finally:
        assert present.stop() == 0
        assert present.leftovers() == []


def laptop_of(browser: Browser, present: PresentProcess) -> tuple:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(f"{present.url}?key={present.presenter_key}")
    page.wait_for_function("() => window.__present && window.__present.version > 0 && window.__present.position")
    return context, page


def audience_url(present: PresentProcess) -> str:
    return f"{present.url.rstrip('/')}{present.room_path}"


def go(laptop: Page, number: int) -> None:
    laptop.evaluate("n => { location.hash = '#' + n }", number)
    laptop.wait_for_function("n => window.__present.position && window.__present.position.slide === n", arg=number)


def test_every_slide_reads_on_a_phone_held_upright_and_shows_as_projected_held_sideways(browser: Browser, deck):
    name, present = deck
    laptop_context, laptop = laptop_of(browser, present)
    phones = [open_phone(browser, audience_url(present), viewport) for viewport in [*PORTRAIT, LANDSCAPE]]
    svg_page = laptop_context.new_page()
    try:
        shown = sweep(laptop, [p for _, p in phones], svg_page, shots=SHOTS / name if SHOTS else None)
        count = laptop.evaluate("() => document.querySelectorAll('svg[data-marpit-svg]').length")
        assert len(shown) == 3 * count and count >= 10
        problems = [p for s in shown for p in s.problems]
        assert not problems, "\n".join(problems)
        upright = [s for s in shown if s.viewport != f"{LANDSCAPE['width']}x{LANDSCAPE['height']}"]
        assert all(s.smallest_text for s in upright)  # every slide was measured, not skipped
        if name == "training":  # its diagrams, laid out for the phone, were measured too
            assert sum(s.diagram_labels for s in upright) > 20
    finally:
        for context, _ in phones:
            context.close()
        laptop_context.close()


def test_the_audience_page_is_built_from_the_deck_not_from_the_presenters_page(deck):
    _, present = deck
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", present.port, timeout=10)
    conn.request("GET", present.room_path, headers={"Host": f"127.0.0.1:{present.port}", "Accept-Encoding": "gzip"})
    response = conn.getresponse()
    body = response.read()
    assert response.status == 200 and response.getheader("Content-Encoding") == "gzip"  # the page travels compressed
    import gzip

    page = gzip.decompress(body).decode()
    conn.close()
    assert "bespoke-marp-note" not in page and "bespoke-marp-osc" not in page and "bespoke" not in page.split("</head>")[1]
    assert 'name="viewport" content="width=device-width, initial-scale=1' in page and "user-scalable" not in page and "maximum-scale" not in page
    assert page.count("<svg data-marpit-svg") >= 10 and 'id="phone-flow"' in page and 'data-mount="actions"' in page


def test_a_plain_marp_deck_reflowed_its_columns_code_pictures_and_fragments(browser: Browser, deck):
    name, present = deck
    if name != "plain":
        pytest.skip("the plain deck's own slides")
    laptop_context, laptop = laptop_of(browser, present)
    context, phone = open_phone(browser, audience_url(present), PORTRAIT[0])
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=present.url.rstrip("/"))
    card = lambda: phone.locator(".phone-card.phone-is-live")  # noqa: E731
    try:
        # Fragments as the presenter reveals them; a slide looked back at shows them all.
        go(laptop, 2)
        phone.wait_for_function(SHOWN_JS, arg=2)
        items = card().locator("li[data-marpit-fragment]")
        expect(items).to_have_count(3)
        assert [items.nth(i).is_visible() for i in range(3)] == [False, False, False]
        laptop.keyboard.press("ArrowRight")
        expect(items.nth(0)).to_be_visible(timeout=5000)
        assert not items.nth(1).is_visible()
        laptop.keyboard.press("ArrowRight")
        expect(items.nth(1)).to_be_visible(timeout=5000)
        # Two columns side by side become one; the 12 px footnote reads at 16 px.
        go(laptop, 5)
        phone.wait_for_function(SHOWN_JS, arg=5)
        before, after = (card().locator("h3", has_text=t).bounding_box() for t in ("Before", "After"))
        assert after["y"] > before["y"] + 40 and abs(after["x"] - before["x"]) < 2, (before, after)
        assert phone.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.phone-card.phone-is-live .small')).fontSize)") >= 16
        # The fragments of slide 2, looked back at: all three.
        assert card().locator("li[data-marpit-fragment]").count() == 0
        slide2 = phone.locator(".phone-card[data-slide='2'] li[data-marpit-fragment]")
        assert all(slide2.nth(i).evaluate("e => getComputedStyle(e).display !== 'none'") for i in range(3))
        # Code: scrolls in its own block, the Copy button copies it.
        go(laptop, 4)
        phone.wait_for_function(SHOWN_JS, arg=4)
        pre = card().locator(".phone-code pre")
        assert pre.evaluate("e => e.scrollWidth > e.clientWidth")  # the long line scrolls inside the block
        card().locator(".phone-copy").click()
        expect(card().locator(".phone-copy")).to_have_text("Copied")
        copied = phone.evaluate("() => navigator.clipboard.readText()")
        assert copied.startswith("from temporalio import workflow") and "retry_policy=None)" in copied
        # A background picture (![bg right]) sits above the slide's text, within the phone's width.
        go(laptop, 6)
        phone.wait_for_function(SHOWN_JS, arg=6)
        picture = card().locator("img.phone-bg-image")
        box, heading = picture.bounding_box(), card().locator("h2").bounding_box()
        assert box["y"] < heading["y"] and 200 < box["width"] <= 390
    finally:
        context.close()
        laptop_context.close()


def test_a_diagram_opens_full_screen_and_pinches_and_pans(browser: Browser, deck):
    name, present = deck
    if name != "plain":
        pytest.skip("the plain deck's diagram")
    laptop_context, laptop = laptop_of(browser, present)
    context, phone = open_phone(browser, audience_url(present), PORTRAIT[0])
    try:
        go(laptop, 8)  # the flowchart, left to right on the slide
        phone.wait_for_function(SHOWN_JS, arg=8)
        image = phone.locator(".phone-card.phone-is-live .phone-diagram img")
        assert "/diagram/" in image.get_attribute("src")  # its phone layout
        phone.wait_for_function("() => document.querySelector('.phone-card.phone-is-live .phone-diagram img').naturalWidth > 0")
        natural = image.evaluate("i => i.naturalWidth")
        slide = phone.evaluate("() => new Promise((done) => { const i = new Image(); i.onload = () => done(i.naturalWidth); "
                               "i.src = document.querySelectorAll('#phone-projected svg[data-marpit-svg]')[7].querySelector('.diagram img').src; })")
        assert natural < 0.6 * slide, (natural, slide)  # laid out top to bottom: narrow enough to read on a phone
        phone.locator(".phone-card.phone-is-live .phone-diagram").tap()
        viewer = phone.locator(".phone-viewer")
        expect(viewer).to_be_visible()
        stage = viewer.locator(".phone-viewer-stage").bounding_box()
        cx, cy = stage["x"] + stage["width"] / 2, stage["y"] + stage["height"] / 2
        scale = lambda: float(viewer.get_attribute("data-scale"))  # noqa: E731
        assert abs(scale() - 1) < 0.01
        # Two fingers move apart: it zooms in about them.
        phone.evaluate("""([cx, cy]) => {
          const stage = document.querySelector('.phone-viewer-stage');
          const ev = (type, id, x, y) => stage.dispatchEvent(new PointerEvent(type,
            {pointerId: id, clientX: x, clientY: y, bubbles: true, pointerType: 'touch', isPrimary: id === 1}));
          ev('pointerdown', 1, cx - 20, cy); ev('pointerdown', 2, cx + 20, cy);
          for (let i = 1; i <= 10; i++) { ev('pointermove', 1, cx - 20 - 8 * i, cy); ev('pointermove', 2, cx + 20 + 8 * i, cy); }
          ev('pointerup', 1, cx - 100, cy); ev('pointerup', 2, cx + 100, cy);
        }""", [cx, cy])
        assert 4.8 < scale() < 5.2, scale()  # the fingers went from 40 to 200 px apart
        # One finger drags: it pans.
        before = viewer.locator("img").evaluate("i => i.style.transform")
        phone.evaluate("""([cx, cy]) => {
          const stage = document.querySelector('.phone-viewer-stage');
          const ev = (type, x, y) => stage.dispatchEvent(new PointerEvent(type, {pointerId: 3, clientX: x, clientY: y, bubbles: true, pointerType: 'touch'}));
          ev('pointerdown', cx, cy); ev('pointermove', cx - 60, cy - 40); ev('pointerup', cx - 60, cy - 40);
        }""", [cx, cy])
        after = viewer.locator("img").evaluate("i => i.style.transform")
        moved = [float(v) for v in re.findall(r"translate\(([-\d.]+)px, ([-\d.]+)px\)", after)[0]]
        was = [float(v) for v in re.findall(r"translate\(([-\d.]+)px, ([-\d.]+)px\)", before)[0]]
        assert abs(moved[0] - was[0] + 60) < 1 and abs(moved[1] - was[1] + 40) < 1
        close = viewer.locator("button", has_text="Close")
        box = close.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44
        close.tap()
        expect(viewer).to_have_count(0)
    finally:
        context.close()
        laptop_context.close()


def test_look_back_then_one_tap_to_the_live_slide_and_a_late_joiner_lands_live(browser: Browser, deck):
    name, present = deck
    if name != "training":
        pytest.skip("on the longer deck")
    laptop_context, laptop = laptop_of(browser, present)
    context, phone = open_phone(browser, audience_url(present), PORTRAIT[1])
    try:
        go(laptop, 6)
        phone.wait_for_function(SHOWN_JS, arg=6)
        pill = phone.locator(".phone-live-pill")
        expect(pill).to_be_hidden()
        # The reader scrolls back to slide 3 (a finger on the glass): the page stays there while the deck goes on.
        phone.wait_for_function("() => document.querySelectorAll('.phone-card').length === 6")  # the earlier slides, made behind the live one
        phone.evaluate("() => { const m = document.getElementById('phone-main'); m.scrollTop = document.querySelector('.phone-card[data-slide=\"3\"]').offsetTop + 5; }")
        expect(pill).to_be_visible(timeout=3000)
        expect(pill).to_have_text("Live: slide 6")
        go(laptop, 7)
        expect(pill).to_have_text("Live: slide 7", timeout=5000)
        top = ("() => { const r = document.getElementById('phone-main').getBoundingClientRect(); "
               "return [...document.querySelectorAll('.phone-card')].find(c => c.getBoundingClientRect().bottom > r.top + 60).dataset.slide; }")
        assert phone.evaluate(top) == "3"  # not pulled away from what they read
        box = pill.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
        pill.tap()
        expect(pill).to_be_hidden()
        phone.wait_for_function(f"() => ({top})() === '7'", timeout=3000)
        go(laptop, 8)
        phone.wait_for_function(f"() => ({top})() === '8'", timeout=5000)  # following again
        # A late joiner lands on the live slide, not on slide 1.
        late_context, late = open_phone(browser, audience_url(present), PORTRAIT[0])
        late.wait_for_function(SHOWN_JS, arg=8)
        assert late.evaluate(top) == "8" and late.locator(".phone-live-pill").is_hidden()
        late_context.close()
        # Held sideways, earlier and later slides are a tap away, and the pill comes back.
        side_context, side = open_phone(browser, audience_url(present), LANDSCAPE)
        side.wait_for_function(SHOWN_JS, arg=8)
        side.locator("button[aria-label='Earlier slide']").tap()
        assert side.evaluate("() => document.querySelector('#phone-projected svg.phone-on') === document.querySelectorAll('#phone-projected svg[data-marpit-svg]')[6]")
        expect(side.locator(".phone-live-pill")).to_have_text("Live: slide 8")
        side.locator(".phone-live-pill").tap()
        assert side.evaluate("() => document.querySelector('#phone-projected svg.phone-on') === document.querySelectorAll('#phone-projected svg[data-marpit-svg]')[7]")
        side_context.close()
    finally:
        context.close()
        laptop_context.close()


def test_axe_finds_nothing_serious_on_the_phone_page(browser: Browser, deck):
    """The reflowed slides, the timelines, the bar: no serious or critical violation (axe-core, pinned)."""
    from tests.axe import describe, violations

    name, present = deck
    laptop_context, laptop = laptop_of(browser, present)
    context, phone = open_phone(browser, audience_url(present), PORTRAIT[0])
    try:
        demo = laptop.evaluate("() => [...document.querySelectorAll('svg[data-marpit-svg]')].findIndex(s => s.querySelector('[data-demo]')) + 1")
        numbers = [3, 4, 8] if name == "plain" else [1, demo]
        found = {}
        for number in numbers:
            go(laptop, number)
            phone.wait_for_function(SHOWN_JS, arg=number)
            if problems := violations(phone):
                found[number] = problems
        assert found == {}, describe(found)
    finally:
        context.close()
        laptop_context.close()
