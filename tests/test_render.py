"""Stage 1 (deck.toml + Jinja2 slides -> Marp Markdown), tested on small decks made here."""

from __future__ import annotations

from pathlib import Path

import pytest

from deckbuild import render
from deckbuild.config import REPO_ROOT, Config
from deckbuild.errors import BuildError


def make_project(tmp_path: Path, slides: dict[str, str], manifest: str | None = None) -> Config:
    (tmp_path / "theme").mkdir()
    (tmp_path / "theme" / "t.css").write_text((REPO_ROOT / "theme/midnight-blue.css").read_text())
    deck = tmp_path / "slides" / "d"
    deck.mkdir(parents=True)
    (deck / "deck.toml").write_text(manifest or 'title = "A: B"\ntheme = "midnight-blue"\n[vars]\nwho = "Ada"\n')
    (tmp_path / "slides" / "_macros.md.j2").write_text((REPO_ROOT / "slides/_macros.md.j2").read_text())
    for name, text in slides.items():
        (deck / name).write_text(text)
    return Config(root=tmp_path, build_dir=tmp_path / "build")


def test_slides_render_in_file_name_order_with_variables_and_macros(tmp_path: Path):
    cfg = make_project(tmp_path, {
        "02-b.md": "## Second {{ who }}\n",
        "01-a.md": "## First\n{% call m.notes() %}say -- this{% endcall %}\n",
        "notes.md": "not a slide: no number",
    })
    rendered = render.render_deck(cfg, render.load_deck(cfg, "d"))
    assert [s.path.name for s in rendered.slides] == ["01-a.md", "02-b.md"]
    assert rendered.slides[1].text == "## Second Ada\n"
    assert "<!--\nsay — this\n-->" in rendered.slides[0].text  # `--` never ends a comment early
    markdown = render.assemble(rendered.front_matter, [s.text for s in rendered.slides])
    assert markdown.startswith('---\nmarp: true\ntheme: midnight-blue\npaginate: true\ntitle: "A: B"\n---\n')
    assert markdown.count("\n---\n") == 2  # end of front matter + one break between the two slides


def test_undefined_is_strict(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "ok\n\n{{ nobody }}\n"})
    with pytest.raises(BuildError) as err:
        render.render_deck(cfg, render.load_deck(cfg, "d"))
    assert err.value.message == "slides/d/01-a.md:3: undefined variable: 'nobody' is undefined"


def test_error_inside_a_macro_points_at_the_macro_file(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "{{ m.broken() }}\n"})
    (tmp_path / "slides/_macros.md.j2").write_text("{% macro broken() %}\n{{ missing_thing }}\n{% endmacro %}\n")
    with pytest.raises(BuildError) as err:
        render.render_deck(cfg, render.load_deck(cfg, "d"))
    assert err.value.message.startswith("slides/_macros.md.j2:2: undefined variable")


def test_missing_slides_and_bad_keys(tmp_path: Path):
    cfg = make_project(tmp_path, {})
    with pytest.raises(BuildError, match=r"slides/d/deck.toml: the deck has no slides"):
        render.load_deck(cfg, "d")
    (tmp_path / "slides/d/01-a.md").write_text("x")
    (tmp_path / "slides/d/deck.toml").write_text('title = "x"\n\ntheme = "midnight-blue"\npaginate = true\nfooter = 1\n')
    with pytest.raises(BuildError, match=r"slides/d/deck.toml:5: unknown key 'footer'"):
        render.load_deck(cfg, "d")
    (tmp_path / "slides/d/deck.toml").write_text('theme = "midnight-blue"\n')
    with pytest.raises(BuildError, match=r"deck.toml:1: `title` \(a non-empty string\) is required"):
        render.load_deck(cfg, "d")


def test_themes_are_found_by_their_theme_comment(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "x"})
    (tmp_path / "theme" / "other.css").write_text("/* @theme other */\nsection{}")
    (tmp_path / "theme" / "plain.css").write_text("section{}")  # not a Marp theme
    assert set(render.available_themes(cfg)) == {"midnight-blue", "other"}


def test_a_thematic_break_inside_a_code_block_is_not_a_slide_break(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "## Code\n\n```yaml\n---\nkey: 1\n```\n"})
    rendered = render.render_deck(cfg, render.load_deck(cfg, "d"))
    assert "---\nkey: 1" in rendered.slides[0].text
