"""Checks run inside the built deck in a real Chromium (shared by the browser tests)."""

from __future__ import annotations

from deckbuild.browser import HEADLESS_ARGS, find_browser


# For the active slide: every element's box must lie inside the slide's box (1 px tolerance for
# sub-pixel rounding). Returns descriptions of the elements that stick out.
OVERFLOWING_JS = """
(section) => {
  const box = section.getBoundingClientRect();
  const out = [];
  for (const el of section.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.bottom > box.bottom + 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.left < box.left - 1) {
      out.push(`${el.tagName.toLowerCase()} "${(el.textContent || '').trim().slice(0, 40)}" ` +
               `[${Math.round(r.left - box.left)},${Math.round(r.top - box.top)} ${Math.round(r.width)}x${Math.round(r.height)}]`);
    }
  }
  if (section.scrollHeight > section.clientHeight + 1) out.push(`section scrollHeight ${section.scrollHeight} > ${section.clientHeight}`);
  return out;
}
"""


def launch_options() -> dict:
    return {"executable_path": find_browser(), "args": list(HEADLESS_ARGS)}


def slide_count(page) -> int:
    return page.locator("svg[data-marpit-svg] > foreignObject > section").count()


def goto_slide(page, number: int) -> None:
    """Bespoke decks navigate by URL hash (#1, #2, ...)."""
    page.evaluate("n => { location.hash = '#' + n }", number)
    page.wait_for_function("n => location.hash === '#' + n", arg=number)


def active_section(page):
    return page.locator("svg.bespoke-marp-active > foreignObject > section")


def overflowing_elements(page) -> list[str]:
    return active_section(page).evaluate(OVERFLOWING_JS)
