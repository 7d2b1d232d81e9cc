"""axe-core (pinned in package-lock.json, node_modules/axe-core) run inside a Playwright page.

Reusable: `violations(page)` checks whatever the page shows now; `deck_violations(page, url)` walks
every slide of a Marp deck (the exported HTML, or present mode's page) and checks each one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from deckbuild.config import REPO_ROOT

AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def inject(page) -> None:
    """Put axe into the page (idempotent). Content, not a URL: works on file:// and on any origin."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=AXE_JS.read_text())


def violations(page, context: str | None = None, *, impacts: tuple[str, ...] = BLOCKING) -> list[dict]:
    """axe's violations of the given impacts, as {id, impact, help, targets} (first 5 nodes each)."""
    inject(page)
    result = page.evaluate(
        """async (context) => {
          const r = await axe.run(context ? document.querySelector(context) : document, { resultTypes: ['violations'] });
          return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                          targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }));
        }""",
        context,
    )
    return [v for v in result if v["impact"] in impacts]


def deck_violations(page, url: str, goto_slide: Callable[[object, int], None], count: int, *,
                    active: str = "svg.bespoke-marp-active", impacts: tuple[str, ...] = BLOCKING) -> dict[int, list[dict]]:
    """Slide number -> its violations, for slides 1..count of the deck at `url` (only slides with some).

    The whole page is checked on slide 1 (document rules: lang, title, landmarks); every slide, once
    shown, is checked within `active` (the element holding the slide on show), which is what a
    reader meets there and keeps a 60-slide deck to seconds, not minutes."""
    page.goto(url)
    found = {}
    for number in range(1, count + 1):
        goto_slide(page, number)
        if problems := violations(page, None if number == 1 else active, impacts=impacts):
            found[number] = problems
    return found


def describe(found: dict[int, list[dict]]) -> str:
    return "\n".join(f"slide {n}: {v['impact']} {v['id']} ({v['help']}) at {', '.join(v['targets'])}" for n, vs in found.items() for v in vs)


def file_url(path: Path) -> str:
    return path.resolve().as_uri()
