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
    assert markdown.startswith('---\nmarp: true\ntheme: midnight-blue\npaginate: true\ntitle: "A: B"\nlang: en\n---\n')  # en unless deck.toml says
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


# --- several slides per file, numeric file order, exact lines --------------------------------

def render_d(cfg: Config) -> render.RenderedDeck:
    return render.render_deck(cfg, render.load_deck(cfg, "d"))


def error_of(cfg: Config) -> str:
    with pytest.raises(BuildError) as err:
        render_d(cfg)
    return err.value.message


def test_slide_files_are_ordered_by_their_number_of_any_width(tmp_path: Path):
    names = ["1000-e.md", "100-d.md", "010-c.md", "2-b.md", "01-a.md", "10-b2.md"]
    cfg = make_project(tmp_path, {name: f"## {name}\n" for name in names} | {"x-1.md": "no number", "notes.md": "none", "7.md": "no dash"})
    rendered = render_d(cfg)
    assert [s.path.name for s in rendered.slides] == ["01-a.md", "2-b.md", "010-c.md", "10-b2.md", "100-d.md", "1000-e.md"]


def test_a_file_holds_several_slides_split_at_breaks_outside_code_and_comments(tmp_path: Path):
    source = (
        "<!-- _class: title -->\n# One\n"          # 1-2
        "\n---\n\n"                                  # 3-5: break at 4
        "## Two\n\n```yaml\n---\nkey: 1\n```\n"     # 6-11: a `---` in a code block is YAML
        "<!--\nnot a break:\n---\n-->\n"             # 12-15: nor in an HTML comment
        "***\n"                                      # 16: any thematic break is a slide break
        "<!-- _class: demo -->\n## Three {{ who }}\n"  # 17-18
    )
    cfg = make_project(tmp_path, {"010-section.md": source, "020-next.md": "## Four\n"})
    slides = render_d(cfg).slides
    assert [s.text.splitlines()[1 if s.text.startswith("<!--") else 0] for s in slides] == ["# One", "## Two", "## Three Ada", "## Four"]
    assert [(s.path.name, s.first_line) for s in slides] == [("010-section.md", 1), ("010-section.md", 5), ("010-section.md", 17), ("020-next.md", 1)]
    assert slides[0].text.startswith("<!-- _class: title -->\n")  # per-slide directives stay with their slide
    assert slides[2].text.startswith("<!-- _class: demo -->\n")
    assert "---\nkey: 1" in slides[1].text and "not a break:\n---\n-->" in slides[1].text
    assert slides[1].source.startswith("\n## Two\n")  # each slide's own part of the file
    markdown = render.assemble(render_d(cfg).front_matter, [s.text for s in slides])
    assert markdown.count("\n---\n") == 1 + 3 + 2  # end of front matter, three breaks between four slides, the YAML and comment lines


def test_errors_in_a_later_slide_of_a_file_name_the_line_in_the_file(tmp_path: Path):
    text = "## A\n\n---\n\n## B\n\n- fine\n\n---\n\n## C\n\n- {{ nobody }}\n"
    cfg = make_project(tmp_path, {"05-s.md": text})
    assert error_of(cfg) == "slides/d/05-s.md:13: undefined variable: 'nobody' is undefined"
    (tmp_path / "slides/d/05-s.md").write_text(text.replace("- fine", "- {% if %}"))
    assert error_of(cfg).startswith("slides/d/05-s.md:7: template syntax error")


def test_a_jinja_block_cannot_span_a_slide_break(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "## A\n{% if true %}\n\n---\n\n## B\n{% endif %}\n"})
    message = error_of(cfg)
    assert message.startswith("slides/d/01-a.md:")
    assert "cannot span a slide break" in message


@pytest.mark.parametrize(("text", "line"), [
    ("## A\n\n---\n", 3),  # a break at the end of the file
    ("---\n## A\n", 1),  # at the start
    ("## A\n\n---\n\n---\n\n## B\n", 5),  # two in a row: the second one
])
def test_an_empty_slide_is_refused_at_its_break(tmp_path: Path, text: str, line: int):
    cfg = make_project(tmp_path, {"01-a.md": text})
    assert error_of(cfg).startswith(f"slides/d/01-a.md:{line}: empty slide")


def test_a_break_produced_by_rendering_is_refused_at_its_line(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "## A\n\n---\n\n## B\n\n{{ rule }}\n\n- x\n"}, manifest='title = "t"\ntheme = "midnight-blue"\n[vars]\nrule = "---"\n')
    assert error_of(cfg).startswith("slides/d/01-a.md:7: rendering this slide produced a slide break")


def test_a_mermaid_hexagon_in_a_slide_is_mermaid_not_jinja(tmp_path: Path):
    """Issue 7: `A{{Decision}}` used to fail with `template syntax error: unexpected char`."""
    body = "flowchart LR\n    A{{Decision?}} --> B{{ Next }}\n    B --> C[\"{% not jinja %}\"]\n"
    cfg = make_project(tmp_path, {"01-a.md": "## A\n\n---\n\n## {{ who }}\n\n```mermaid\n" + body + "```\n\n- {{ who }}\n"})
    slide = render_d(cfg).slides[1]
    assert slide.text == "## Ada\n\n```mermaid\n" + body + "```\n\n- Ada\n"  # Jinja outside the fence still works
    from deckbuild import diagrams
    (diagram,) = diagrams.find_diagrams(render_d(cfg), cfg)
    assert diagram.source == body and diagram.where() == (tmp_path / "slides/d/01-a.md", 7)


def test_a_diagram_generated_by_a_macro_still_renders_its_template(tmp_path: Path):
    """`{% call m.mermaid() %}` writes a ```mermaid fence whose body is a template (the performance
    chart is made from data this way): that fence is the macro's, so it is still Jinja."""
    body = "{% call m.mermaid() %}pie\n{% for name, n in parts %}  \"{{ name }}\" : {{ n }}\n{% endfor %}{% endcall %}\n"
    cfg = make_project(tmp_path, {"01-a.md": "## A\n\n---\n\n## Chart\n\n" + body})
    rendered = render.render_deck(cfg, render.load_deck(cfg, "d"), {"parts": [("a", 1), ("b", 2)]})
    from deckbuild import diagrams
    (diagram,) = diagrams.find_diagrams(rendered, cfg)
    assert diagram.source.startswith("pie") and '"b" : 2' in diagram.source and "{{" not in diagram.source


def test_a_demo_panel_draws_the_captured_run_as_a_story_picture(tmp_path: Path):
    """demo_panel embeds the run's story picture (deckbuild/story) as inline SVG: no Mermaid fence,
    one line of HTML (a blank line would end Markdown's HTML block), every captured text escaped."""
    import json
    history = json.loads((Path(__file__).parent / "data/history_retry_signal_timer.json").read_text())
    capture = {"demo": "x", "history": history, "command": "python -m demos.x", "source_path": "demos/x", "captured_at": "2026-01-01T00:00:00",
               "versions": {"temporalio": "1", "server": "2"}}
    cfg = make_project(tmp_path, {"01-a.md": "## A\n\n---\n\n<!-- _class: demo -->\n## Demo\n\n{{ m.demo_panel(cap) }}\n"})
    rendered = render.render_deck(cfg, render.load_deck(cfg, "d"), {"cap": capture})
    from deckbuild import diagrams
    assert diagrams.find_diagrams(rendered, cfg) == []
    text = rendered.slides[1].text
    svg = text[text.index("<svg"): text.index("</svg>") + 6]
    assert 'class="story"' in svg and "signal approve" in svg and "flaky" in svg
    assert "\n" not in svg and "<b>" not in svg  # the signal's payload "ada <b>" is not in the picture, and never raw


def test_literal_braces_outside_a_mermaid_fence_name_the_cause_and_the_fix(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "## A\n\n---\n\n## B\n\n```text\nhexagon: A{{Decision?}}\n```\n"})
    message = error_of(cfg)
    assert message.startswith("slides/d/01-a.md:8: template syntax error")
    assert "{% raw %}...{% endraw %}" in message
    (tmp_path / "slides/d/01-a.md").write_text("## A\n\n{% raw %}hexagon: A{{Decision?}}{% endraw %}\n")
    assert render_d(cfg).slides[0].text == "## A\n\nhexagon: A{{Decision?}}\n"


def test_the_deck_language_is_checked_and_reaches_the_front_matter(tmp_path: Path):
    (tmp_path / "ok").mkdir()
    (tmp_path / "bad").mkdir()
    cfg = make_project(tmp_path / "ok", {"01-a.md": "## A\n"}, manifest='title = "T"\ntheme = "midnight-blue"\nlang = "en-GB"\n')
    assert "\nlang: en-GB\n" in render.render_deck(cfg, render.load_deck(cfg, "d")).front_matter
    cfg = make_project(tmp_path / "bad", {"01-a.md": "## A\n"}, manifest='title = "T"\ntheme = "midnight-blue"\nlang = "C"\n')
    with pytest.raises(BuildError, match=r'deck\.toml:3: `lang` must be a language tag like "en" or "en-GB", not \'C\''):
        render.load_deck(cfg, "d")


def test_a_mermaid_fence_inside_the_authors_own_raw_block_builds(tmp_path: Path):
    """The build's own hint says to use {% raw %} for literal braces: a fence inside one must build,
    and come out the same as one outside it (any valid Jinja around a fence works)."""
    body = "flowchart LR\n  A{{Decision}} --> B\n"
    raw = "## A\n\n{% raw %}\n```mermaid\n" + body + "```\n{% endraw %}\n"
    plain = "## A\n\n```mermaid\n" + body + "```\n"
    inline = "## A\n\n{% raw %}```mermaid\n" + body + "```{% endraw %}\n"
    texts = []
    for source in (raw, plain, inline):
        (tmp_path / str(len(texts))).mkdir()
        cfg = make_project(tmp_path / str(len(texts)), {"01-a.md": source})
        texts.append(render_d(cfg).slides[0].text)
    assert "A{{Decision}}" in texts[0] and texts[0].replace("\n\n\n", "\n\n") .strip() == texts[1].strip()
    assert "A{{Decision}}" in texts[2]
    (tmp_path / "if").mkdir()
    cfg = make_project(tmp_path / "if", {"01-a.md": "## A\n\n{% if true %}\n```mermaid\n" + body + "```\n{% endif %}\n"})
    assert "A{{Decision}}" in render_d(cfg).slides[0].text


def test_a_slide_saved_in_another_encoding_is_named_with_its_line(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "## A\n"})
    (tmp_path / "slides/d/01-a.md").write_bytes("## A\n\nCaf\u00e9 au lait\n".encode("latin-1"))
    assert error_of(cfg) == "slides/d/01-a.md:3: not UTF-8 text (byte 0xe9); save the file as UTF-8"
