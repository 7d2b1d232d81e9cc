"""The rebuild loop of a present session outlives any one save: an unexpected error (not a build
mistake, which LiveDeck reports itself) is shown on the overlay and the next save still rebuilds."""

from __future__ import annotations

import asyncio
from pathlib import Path

from deckbuild.config import Config
from deckbuild.present.livedeck import DeckState, HotUpdate
from deckbuild.present.session import PresentSession
from tests.conftest import copy_project


class _Deck:
    """Stands in for LiveDeck: the first rebuild fails the way a bug would, the second works."""

    demos: list[str] = []
    palette = None

    def __init__(self) -> None:
        self.state = DeckState()
        self.calls = 0

    def baseline(self) -> None:
        pass

    def rebuild(self, changed=frozenset()) -> HotUpdate:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("boom in a stage")
        return HotUpdate(version=2, base=1, count=1, slides={0: "<section>ok</section>"}, notes={}, reload=False, seconds=0.01, stages={})

    def rebuild_page(self) -> None:
        return None


class _Watcher:
    def __init__(self) -> None:
        self.batches: asyncio.Queue[set[Path]] = asyncio.Queue()

    async def next_batch(self) -> set[Path]:
        return await self.batches.get()


async def _until(condition, timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_an_unexpected_error_in_a_rebuild_is_shown_and_the_next_save_still_rebuilds(tmp_path: Path):
    root = copy_project(tmp_path / "project")
    lines: list[str] = []
    session = PresentSession(Config(root=root, build_dir=root / "build"), "talk", 0, with_temporal=False, out=lines.append)
    session.hub.bind(asyncio.get_running_loop())
    session.deck = _Deck()  # type: ignore[assignment]
    session._watcher = _Watcher()  # type: ignore[assignment]
    loop_task = asyncio.create_task(session._rebuild_loop())
    try:
        slide = root / "slides/talk/02-core-problem.md"
        await session._watcher.batches.put({slide})
        await _until(lambda: (session.hub.latest("build") or {}).get("error"))
        assert "RuntimeError: boom in a stage" in session.hub.latest("build")["error"]
        assert any("unexpected error while rebuilding" in line for line in lines)
        assert not loop_task.done()
        await session._watcher.batches.put({slide})
        await _until(lambda: (session.hub.latest("deck") or {}).get("version") == 2)
        assert session.hub.latest("build") == {"error": None}
    finally:
        loop_task.cancel()
        await asyncio.gather(loop_task, return_exceptions=True)


def test_the_slide_and_the_live_run_link_a_run_to_the_same_web_ui_page(tmp_path: Path):
    """One function builds the Web UI link: an id with a / gets one link, wherever it is shown."""
    from types import SimpleNamespace

    from deckbuild import render
    from deckbuild.present.live_demos import LiveDemos, LiveRun
    from deckbuild.present.temporal_owner import TemporalState

    ui = "http://127.0.0.1:8233"
    fake = SimpleNamespace(temporal=SimpleNamespace(state=TemporalState("up", ui_url=ui, namespace="default")),
                           workers=SimpleNamespace(status=lambda name: {}), hub=None, palette={})
    live = LiveDemos(fake)  # type: ignore[arg-type]
    live._modules["x"] = None
    live.runs["x"] = LiveRun("order 1/2", "run-1")
    linked = live.state("x")["run"]["url"]
    root = copy_project(tmp_path / "project")
    cfg = Config(root=root, build_dir=root / "build")
    env = render.make_environment(cfg)
    from_slide = env.from_string("{{ web_ui_url(ui, 'default', 'order 1/2', 'run-1') }}").render(ui=ui)
    assert linked == from_slide == f"{ui}/namespaces/default/workflows/order%201%2F2/run-1/history"


INHERITING = """---
theme: gaia
paginate: true
header: Inherited header
headingDivider: 2
---

# Title

## Two

<!-- _paginate: skip -->
<!-- class: invert -->
<!-- footer: from here on -->

## Three

Text of three.

## Four

<!-- _class: lead -->
<!-- _header: only here -->

---

## Five after a break
"""


def _live(cfg: Config, name: str, marp) -> "LiveDeck":  # noqa: F821
    from deckbuild.present.livedeck import LiveDeck

    deck = LiveDeck(cfg, name, marp=marp, page_marp=marp)
    assert deck.first_build() is None and deck.state.error is None, deck.state.error
    deck.baseline()
    return deck


def test_a_save_patches_exactly_the_slides_a_full_render_changes(tmp_path: Path):
    """The hot path renders the whole deck warm (marp-core, CSS packed again only when it changed) and
    sends the slides whose HTML changed. After each save, every slide equals what a fresh build of the
    saved files renders: for the talk, and for a Marp file whose slides inherit directives (local
    `class`/`footer`, `_paginate: skip`, a global `headingDivider` and `theme`) from other slides."""
    from deckbuild.present.marp_warm import WarmMarp
    from tests.conftest import REPO

    root = copy_project(tmp_path / "project")
    deck_dir = root / "slides" / "inherit"
    deck_dir.mkdir()
    (deck_dir / "talk.md").write_text(INHERITING)
    cfg = Config(root=root, build_dir=root / "build", node_modules=REPO / "node_modules", demos_dir=REPO / "demos")  # captures: read only
    marp = WarmMarp(cfg, tmp_path / "marp.log")
    try:
        inherit = _live(cfg, "inherit", marp)
        assert len(inherit._slides) == 6 and inherit.demos == [] and inherit.palette["background"] == "#fff8e1"  # gaia's
        assert 'data-marpit-pagination="3"' in inherit._slides[3] and "data-marpit-pagination=" not in inherit._slides[1]
        edits = [
            ("Text of three.", "Text of three, saved.", {2}),  # one slide, nothing inherited changes
            ("<!-- footer: from here on -->", "<!-- footer: moved on -->", {1, 2, 3, 4, 5}),  # a local directive: this slide and every later one
            ("<!-- _paginate: skip -->", "", {0, 1, 2, 3, 4, 5}),  # a spot directive: every page number and total
            ("headingDivider: 2", "headingDivider: 1", None),  # slides merge: the pages reload
        ]
        for old, new, expected in edits:
            path = deck_dir / "talk.md"
            path.write_text(path.read_text().replace(old, new))
            update = inherit.rebuild(frozenset({path}))
            assert update is not None, inherit.state.error
            fresh = _live(cfg, "inherit", marp)
            assert inherit._slides == fresh._slides and inherit._css == fresh._css, old  # the same HTML as rendering everything
            if expected is None:
                assert update.reload and update.count == 2  # "# Title" and the slide after the `---`
            else:
                assert set(update.slides) == expected and not update.reload, (old, sorted(update.slides))
        # The talk: one file saved, its slide alone is sent; the stages say where the time went.
        talk = _live(cfg, "talk", marp)
        slide = root / "slides/talk/03-what-temporal-is.md"
        slide.write_text(slide.read_text().replace("## What Temporal Is", "## What Temporal Is, saved"))
        update = talk.rebuild(frozenset({slide}))
        assert list(update.slides) == [2] and not update.reload and "What Temporal Is, saved" in update.slides[2]
        assert set(update.stages) == {"render", "diagrams", "marp-core"}
        assert talk._slides == _live(cfg, "talk", marp)._slides
        assert set(talk.demos) >= {"durability", "inbox", "retries", "versioning"} and "payments" not in talk.demos
    finally:
        marp.close()
