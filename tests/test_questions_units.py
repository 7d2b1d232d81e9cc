"""Questions from the room, the parts without a server: what share mode needs running, the deck's
moderation setting, what a phone is sent (only what changed; no update id), and `build.py questions`
when there is no board to read."""

from __future__ import annotations

from pathlib import Path

import pytest
from types import SimpleNamespace

from deckbuild.present.questions import _delta, moderation_wanted, receipt_json, share_mode_workers
from demos.questions.client import Receipt
from tests.conftest import copy_project, run_build


def test_share_mode_needs_the_questions_worker_and_nothing_else_does():
    assert share_mode_workers(SimpleNamespace(room=object())) == ["questions"]
    assert share_mode_workers(SimpleNamespace(room=None)) == []


def test_the_deck_turns_moderation_on_in_deck_toml(tmp_path: Path):
    from deckbuild.config import Config
    from deckbuild.errors import BuildError

    deck = tmp_path / "slides" / "d"
    deck.mkdir(parents=True)
    (deck / "talk.md").write_text("---\nmarp: true\n---\n\n# T\n")
    cfg = Config(root=tmp_path, build_dir=tmp_path / "build")
    assert moderation_wanted(cfg, "d") is False  # no deck.toml: off
    (deck / "deck.toml").write_text("[questions]\nmoderation = true\n")
    assert moderation_wanted(cfg, "d") is True
    (deck / "deck.toml").write_text("[questions]\nmoderation = \"yes\"\n")
    assert moderation_wanted(cfg, "d") is False  # not a deck that loads: off, and the build says why
    from deckbuild import render
    with pytest.raises(BuildError, match=r"deck.toml:1: `\[questions\]` takes `moderation = true` or `false`"):
        render.load_deck(cfg, "d")
    assert moderation_wanted(cfg, "missing") is False


def _board(version: int, *questions: tuple[int, int, str]) -> dict:
    return {"version": version, "moderation": False, "pinned": 0, "pending": 0, "closed": False,
            "questions": [{"id": i, "text": f"q{i}", "name": "", "votes": v, "state": s} for i, v, s in questions]}


def test_a_phone_is_sent_what_changed_and_what_left():
    first = _delta(None, _board(1, (1, 0, "open")))
    assert first["base"] is None and [q["id"] for q in first["changed"]] == [1] and first["removed"] == []
    before, after = _board(4, (1, 0, "open"), (2, 3, "open"), (3, 1, "open")), _board(6, (1, 0, "open"), (2, 4, "open"), (4, 0, "open"))
    delta = _delta(before, after)
    assert (delta["base"], delta["version"]) == (4, 6)
    assert [(q["id"], q["votes"]) for q in delta["changed"]] == [(2, 4), (4, 0)] and delta["removed"] == [3]


def test_a_phone_gets_no_update_id():
    sent = receipt_json(Receipt("accepted", "ask-0123", 7, state="open"))
    assert sent == {"status": "accepted", "question_id": 7, "state": "open"}
    assert receipt_json(Receipt("rejected", "x", reason="you already upvoted this question")) == {"status": "rejected", "reason": "you already upvoted this question"}


def test_export_without_a_board_says_why_without_a_traceback(tmp_path: Path):
    root = copy_project(tmp_path / "project")
    result = run_build("questions", "--deck", "talk", root=root)
    assert result.returncode == 2 and "Traceback" not in result.output
    assert "questions: no board to read:" in result.stderr and "make present SHARE=1" in result.stderr
    two = run_build("questions", "--deck", "talk", "--deck", "training", root=root)
    assert two.returncode == 2 and "one talk at a time" in two.stderr
