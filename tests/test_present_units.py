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


def test_a_saved_slide_rendered_alone_is_the_slide_the_whole_deck_renders(tmp_path: Path):
    """The save-to-slide fast path: only the saved file's slides through Jinja, diagrams and
    marp-core, each among empty slides. Every slide of the real talk comes out exactly as in the
    whole deck (scoped styles aside: their slides reload), and a save patches that slide alone."""
    from deckbuild.html_post import label_slides
    from deckbuild.present.livedeck import SCOPED, LiveDeck
    from deckbuild.present.marp_warm import WarmMarp
    from deckbuild.render import assemble
    from tests.conftest import REPO

    root = copy_project(tmp_path / "project")
    cfg = Config(root=root, build_dir=root / "build", node_modules=REPO / "node_modules", demos_dir=REPO / "demos")  # captures: read only
    marp = WarmMarp(cfg, tmp_path / "marp.log")
    try:
        deck = LiveDeck(cfg, "talk", marp=marp, page_marp=marp)
        assert deck.first_build() is None and deck.state.error is None, deck.state.error  # nothing cached yet
        deck.baseline()
        whole, texts, front = list(deck._slides), list(deck._texts), deck._rendered.front_matter
        sparse_path = tmp_path / "sparse.md"
        checked = 0
        for i in range(len(texts)):
            sparse_path.write_text(assemble(front, [t if j == i else "" for j, t in enumerate(texts)]))
            alone = label_slides(marp.partial(sparse_path, tmp_path / "partial.json", deck._theme_path, [i])["slides"][str(i)], len(texts))
            if SCOPED not in whole[i]:
                assert alone == whole[i], i
                checked += 1
        assert checked >= len(texts) - 3
        # A save of one file: only its slide is rendered and sent, the stages say where the time went.
        slide = root / "slides/talk/03-what-temporal-is.md"
        slide.write_text(slide.read_text().replace("## What Temporal Is", "## What Temporal Is, saved"))
        update = deck.rebuild(frozenset({slide}))
        assert list(update.slides) == [2] and not update.reload and "What Temporal Is, saved" in update.slides[2]
        assert set(update.stages) == {"render", "diagrams", "marp-core"}
        full = LiveDeck(cfg, "talk", marp=marp, page_marp=marp)
        full.first_build()
        full.baseline()
        assert full._slides[2] == update.slides[2]  # the same HTML as rendering everything
    finally:
        marp.close()
