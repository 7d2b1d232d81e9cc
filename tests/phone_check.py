"""What a phone in the room shows, measured in its own Chromium page (share mode's audience page):
the smallest text and the smallest diagram label on the slide it shows, anything that scrolls the page
sideways or reaches past the slide, controls smaller than a thumb or over the slide, and whether
pinch-zoom is left on. Used by tests/test_phone.py and tests/test_present_share.py, and by
`python -m tests.phone_check` to make a contact sheet of phone views to look at."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from playwright.sync_api import Browser, BrowserContext, Page

from tests.test_legibility import SVG_JS

PORTRAIT = [{"width": 390, "height": 844}, {"width": 360, "height": 740}]
LANDSCAPE = {"width": 844, "height": 390}
MIN_TEXT_PX = 16  # on a phone held upright
MIN_LABEL_PX = 14  # a diagram's labels, the timeline's lane chips and times
MIN_TARGET_PX = 44

# The slide the page shows, as the reader sees it. Portrait: the live slide's card (reflowed); sideways:
# the projected slide. Text is "label" where the page sets chips, times and the card's number (>= 14 px).
MEASURE_JS = """
() => {
  const app = document.getElementById('phone-app');
  const main = document.getElementById('phone-main');
  const projecting = document.documentElement.classList.contains('phone-projecting');
  const root = projecting ? document.querySelector('#phone-projected svg.phone-on')
    : document.querySelector('.phone-card.phone-is-live');
  const visible = (el) => el.checkVisibility({visibilityProperty: true});
  const out = {projecting, texts: [], images: [], overflow: [], small: [], covering: [], viewport: '', touchNone: []};
  if (!root) return out;
  const rootBox = root.getBoundingClientRect();
  const LABELS = '.tl-meta, .tl-lanes, .tl-status, .tl-time, .phone-card-head, .phone-scroll-hint';
  const scopes = projecting ? [] : [root];
  scopes.push(...document.querySelectorAll('#phone-bar, .phone-sheet:not([hidden])'));
  for (const scope of scopes) {
    const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const text = walker.currentNode.textContent.trim();
      const el = walker.currentNode.parentElement;
      if (!text || !visible(el) || el.closest('style, title, desc, script')) continue;
      let px = parseFloat(getComputedStyle(el).fontSize);
      const svg = el.closest('svg');
      if (svg) {  // an inline SVG (maths, a picture with no timeline): its text at the size it is drawn
        const box = svg.viewBox && svg.viewBox.baseVal;
        const k = box && box.width ? svg.getBoundingClientRect().width / box.width : 1;
        px = px * k;
      }
      out.texts.push({px, text: text.slice(0, 60), label: !!el.closest(LABELS)});
    }
  }
  if (!projecting) {
    for (const img of root.querySelectorAll('.phone-diagram img')) {
      if (visible(img)) out.images.push({src: img.currentSrc || img.src, width: img.getBoundingClientRect().width});
    }
    const scrollers = '.phone-scroll-x, .phone-code pre';
    for (const el of root.querySelectorAll('*')) {
      if (!visible(el) || el.closest(scrollers) && !el.matches(scrollers)) continue;
      const r = el.getBoundingClientRect();
      if (r.width && (r.right > rootBox.right + 1 || r.left < rootBox.left - 1))
        out.overflow.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
  }
  const doc = document.documentElement;
  if (doc.scrollWidth > innerWidth + 1) out.overflow.push(`the page scrolls sideways: ${doc.scrollWidth} > ${innerWidth}`);
  if (main.scrollWidth > main.clientWidth + 1) out.overflow.push(`the slides scroll sideways: ${main.scrollWidth} > ${main.clientWidth}`);
  const mainBox = main.getBoundingClientRect();
  for (const b of app.querySelectorAll('button, [role=button]')) {
    if (!visible(b)) continue;
    const r = b.getBoundingClientRect();
    if (!r.width) continue;
    const name = b.textContent.trim().slice(0, 30) || b.getAttribute('aria-label');
    if (r.width < 44 - 0.5 || r.height < 44 - 0.5) out.small.push(`${name}: ${Math.round(r.width)}x${Math.round(r.height)}`);
    const inSlides = main.contains(b);
    const overlaps = r.left < mainBox.right - 1 && r.right > mainBox.left + 1 && r.top < mainBox.bottom - 1 && r.bottom > mainBox.top + 1;
    if (!inSlides && overlaps) out.covering.push(`${b.textContent.trim().slice(0, 30)} over the slide`);
  }
  if (projecting) {
    const r = root.getBoundingClientRect();
    const outside = r.left < mainBox.left - 1 || r.right > mainBox.right + 1 || r.top < mainBox.top - 1 || r.bottom > mainBox.bottom + 1;
    if (outside) out.covering.push('the projected slide reaches past its area');
  }
  out.viewport = (document.querySelector('meta[name=viewport]') || {}).content || '';
  for (const el of [doc, document.body, app, main]) if (getComputedStyle(el).touchAction === 'none') out.touchNone.push(el.tagName);
  return out;
}
"""


@dataclass
class Shown:
    """One phone's view of one slide."""

    slide: int
    viewport: str
    smallest_text: dict | None = None
    smallest_label: dict | None = None
    diagram_labels: int = 0  # how many of a diagram's labels were measured
    problems: list[str] = field(default_factory=list)


def _svg_text(context: BrowserContext, src: str) -> str:
    if src.startswith("data:"):
        head, data = src.split(",", 1)
        return base64.b64decode(data).decode("utf-8", "replace") if head.endswith(";base64") else unquote(data)
    return context.request.get(src).text()


def measure(phone: Page, svg_page: Page, slide: int, *, cache: dict | None = None) -> Shown:
    """The slide the phone shows now, measured (diagram labels in a page of their own, at the width shown)."""
    cache = {} if cache is None else cache
    size = phone.viewport_size
    shown = Shown(slide, f"{size['width']}x{size['height']}")
    found = phone.evaluate(MEASURE_JS)
    texts = [t for t in found["texts"] if not t["label"]]
    labels = [t for t in found["texts"] if t["label"]]
    for image in found["images"]:
        key = (image["src"], round(image["width"]))
        if key not in cache:
            svg_page.set_content(f'<html><body style="margin:0">{_svg_text(phone.context, image["src"])}</body></html>')
            cache[key] = svg_page.evaluate(SVG_JS, image["width"])
        labels += [{**label, "label": True, "diagram": True} for label in cache[key]]
        shown.diagram_labels += len(cache[key])
    shown.smallest_text = min(texts, key=lambda t: t["px"]) if texts else None
    shown.smallest_label = min(labels, key=lambda t: t["px"]) if labels else None
    where = f"slide {slide} at {shown.viewport}"
    if not found["projecting"]:
        if shown.smallest_text and shown.smallest_text["px"] < MIN_TEXT_PX - 0.05:
            shown.problems.append(f"{where}: text at {shown.smallest_text['px']:.1f} px < {MIN_TEXT_PX}: {shown.smallest_text['text']!r}")
        if shown.smallest_label and shown.smallest_label["px"] < MIN_LABEL_PX - 0.05:
            shown.problems.append(f"{where}: label at {shown.smallest_label['px']:.1f} px < {MIN_LABEL_PX}: {shown.smallest_label['text']!r}")
    shown.problems += [f"{where}: {o}" for o in found["overflow"]]
    shown.problems += [f"{where}: control smaller than {MIN_TARGET_PX} px: {s}" for s in found["small"]]
    shown.problems += [f"{where}: {c}" for c in found["covering"]]
    if "user-scalable=no" in found["viewport"].replace(" ", "") or "maximum-scale=1" in found["viewport"].replace(" ", ""):
        shown.problems.append(f"{where}: pinch-zoom turned off ({found['viewport']})")
    shown.problems += [f"{where}: touch-action none on {t}" for t in found["touchNone"]]
    return shown


def open_phone(browser: Browser, url: str, viewport: dict) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=viewport, is_mobile=viewport["width"] < viewport["height"], has_touch=True, device_scale_factor=1)
    page = context.new_page()
    page.add_init_script("window.__errors = []; addEventListener('error', (e) => window.__errors.push(String(e.message)));"
                         "addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason)));")
    page.goto(url)
    page.wait_for_function("() => window.__phone && window.__phone.ready && window.__present && window.__present.follow")
    return context, page


SHOWN_JS = """(n) => {
  const p = window.__present, f = p.follow;
  if (!f || f.slide !== n || !window.__phone.shownAt[n]) return false;
  const projecting = document.documentElement.classList.contains('phone-projecting');
  const root = projecting ? document.querySelector('#phone-projected svg.phone-on') : document.querySelector('.phone-card.phone-is-live');
  if (!root || (!projecting && root.dataset.slide !== String(n))) return false;
  return Array.from(root.querySelectorAll('img')).every((img) => img.complete);
}"""


STATE_JS = """(n) => {
  const root = document.querySelector('.phone-card.phone-is-live') || document.querySelector('#phone-projected svg.phone-on');
  const cards = [...document.querySelectorAll('.phone-card')].map((c) => c.dataset.slide + (c.classList.contains('phone-is-live') ? '*' : ''));
  return {follow: window.__present.follow, shown: window.__phone.shownAt[n], card: root && root.dataset.slide, following: window.__phone.following,
          viewing: window.__phone.viewing, cards, errors: window.__errors.concat(window.__phone.errors || []),
          images: root ? [...root.querySelectorAll('img')].map((i) => [i.src.slice(-60), i.complete, i.loading]) : null};
}"""


def sweep(laptop: Page, phones: list[Page], svg_page: Page, *, shots: Path | None = None, slides: list[int] | None = None) -> list[Shown]:
    """Every slide, as the presenter shows it, on every phone: measured (and, with `shots`, photographed)."""
    count = laptop.evaluate("() => document.querySelectorAll('svg[data-marpit-svg]').length")
    out, cache = [], {}
    for n in slides or range(1, count + 1):
        laptop.evaluate("n => { location.hash = '#' + n }", n)
        for phone in phones:
            try:
                phone.wait_for_function(SHOWN_JS, arg=n, timeout=10000)
            except Exception as err:  # say which phone and what it shows
                state = phone.evaluate(STATE_JS, n)
                raise AssertionError(f"slide {n} never showed on the {phone.viewport_size} phone: {state}") from err
        for phone in phones:  # the live card is made and its type fitted before it is marked shown
            out.append(measure(phone, svg_page, n, cache=cache))
            if shots is not None:
                size = phone.viewport_size
                folder = shots / f"{size['width']}x{size['height']}"
                folder.mkdir(parents=True, exist_ok=True)
                phone.screenshot(path=str(folder / f"{n:02d}.png"))
    return out


def contact_sheet(folder: Path, out: Path, cols: int = 8) -> Path:
    """The phone views in a folder side by side, numbered, in one PNG (to look at them all at once)."""
    from PIL import Image, ImageDraw

    files = sorted(folder.glob("*.png"))
    images = [Image.open(f).convert("RGB") for f in files]
    w, h = max(i.width for i in images), max(i.height for i in images)
    pad, caption = 8, 18
    rows = (len(images) + cols - 1) // cols
    sheet = Image.new("RGB", (min(cols, len(images)) * (w + pad) + pad, rows * (h + pad + caption) + pad), "white")
    draw = ImageDraw.Draw(sheet)
    for n, (path, image) in enumerate(zip(files, images)):
        x, y = pad + (n % cols) * (w + pad), pad + (n // cols) * (h + pad + caption)
        draw.text((x, y), path.stem, fill="black")
        sheet.paste(image, (x, y + caption))
    sheet.save(out)
    return out
