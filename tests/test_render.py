"""Stage 1 (deck folder -> Jinja2 -> Marp Markdown), tested on small decks made here: numbered files
with a deck.toml, a Marp file dropped in as it is, and the rule that code is code."""

from __future__ import annotations

from pathlib import Path

import pytest

from deckbuild import render
from deckbuild.config import REPO_ROOT, Config
from deckbuild.errors import BuildError


def make_project(tmp_path: Path, slides: dict[str, str], manifest: str | None = 'title = "A: B"\ntheme = "midnight-blue"\n[vars]\nwho = "Ada"\n') -> Config:
    (tmp_path / "theme").mkdir(parents=True)
    (tmp_path / "theme" / "t.css").write_text((REPO_ROOT / "theme/midnight-blue.css").read_text())
    deck = tmp_path / "slides" / "d"
    deck.mkdir(parents=True)
    if manifest is not None:
        (deck / "deck.toml").write_text(manifest)
    (tmp_path / "slides" / "_macros.md.j2").write_text((REPO_ROOT / "slides/_macros.md.j2").read_text())
    for name, text in slides.items():
        (deck / name).write_text(text)
    return Config(root=tmp_path, build_dir=tmp_path / "build")


def render_d(cfg: Config, context: dict | None = None) -> render.RenderedDeck:
    return render.render_deck(cfg, render.load_deck(cfg, "d"), context)


def markdown_of(cfg: Config) -> str:
    rendered = render_d(cfg)
    return render.assemble(rendered.front_matter, [f.text for f in rendered.files])


def error_of(cfg: Config) -> str:
    with pytest.raises(BuildError) as err:
        render_d(cfg)
    return err.value.message


def test_slides_render_in_file_name_order_with_variables_and_macros(tmp_path: Path):
    cfg = make_project(tmp_path, {
        "02-b.md": "## Second {{ who }}\n",
        "01-a.md": "## First\n{% call m.notes() %}say -- this{% endcall %}\n",
        "notes.md": "not a slide: no number",
    })
    rendered = render_d(cfg)
    assert [f.path.name for f in rendered.files] == ["01-a.md", "02-b.md"]
    assert rendered.files[1].text == "## Second Ada\n"
    assert "<!--\nsay — this\n-->" in rendered.files[0].text  # `--` never ends a comment early
    markdown = render.assemble(rendered.front_matter, [f.text for f in rendered.files])
    assert markdown.startswith('---\nmarp: true\ntheme: midnight-blue\ntitle: "A: B"\nlang: en\n---\n')  # en unless something says
    assert markdown.count("\n---\n") == 2  # end of front matter + one break between the two files


def test_slide_files_are_ordered_by_their_number_of_any_width(tmp_path: Path):
    names = ["1000-e.md", "100-d.md", "010-c.md", "2-b.md", "01-a.md", "10-b2.md"]
    cfg = make_project(tmp_path, {name: f"## {name}\n" for name in names} | {"x-1.md": "no number", "notes.md": "none", "7.md": "no dash"})
    assert [f.path.name for f in render_d(cfg).files] == ["01-a.md", "2-b.md", "010-c.md", "10-b2.md", "100-d.md", "1000-e.md"]


def test_undefined_is_strict(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "ok\n\n{{ nobody }}\n"})
    assert error_of(cfg) == "slides/d/01-a.md:3: undefined variable: 'nobody' is undefined"


def test_error_inside_a_macro_points_at_the_macro_file(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "{{ m.broken() }}\n"})
    (tmp_path / "slides/_macros.md.j2").write_text("{% macro broken() %}\n{{ missing_thing }}\n{% endmacro %}\n")
    assert error_of(cfg).startswith("slides/_macros.md.j2:2: undefined variable")


def test_errors_name_the_line_in_the_file_across_slide_breaks(tmp_path: Path):
    text = "## A\n\n---\n\n## B\n\n- fine\n\n---\n\n## C\n\n- {{ nobody }}\n"
    cfg = make_project(tmp_path, {"05-s.md": text})
    assert error_of(cfg) == "slides/d/05-s.md:13: undefined variable: 'nobody' is undefined"
    (tmp_path / "slides/d/05-s.md").write_text(text.replace("- fine", "- {% if %}"))
    assert error_of(cfg).startswith("slides/d/05-s.md:7: template syntax error")


def test_a_file_is_one_template_so_a_block_may_span_slides(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "## A\n{% if true %}\n\n---\n\n## B {{ who }}\n{% endif %}\n"})
    assert render_d(cfg).files[0].text == "## A\n\n\n---\n\n## B Ada\n"


def test_missing_slides_and_bad_keys(tmp_path: Path):
    cfg = make_project(tmp_path, {})
    with pytest.raises(BuildError, match=r"slides/d/deck.toml: the deck has no slides"):
        render.load_deck(cfg, "d")
    (tmp_path / "slides/d/01-a.md").write_text("x")
    (tmp_path / "slides/d/deck.toml").write_text('title = "x"\n\ntheme = "midnight-blue"\npaginate = true\nfooter = 1\n')
    with pytest.raises(BuildError, match=r"slides/d/deck.toml:5: unknown key 'footer'"):
        render.load_deck(cfg, "d")
    (tmp_path / "slides/d/deck.toml").write_text('theme = "nothing-like-it"\n')
    with pytest.raises(BuildError, match=r"deck.toml:1: theme 'nothing-like-it' not found.*available: default, gaia, uncover, midnight-blue"):
        render.load_deck(cfg, "d")
    (tmp_path / "slides/d/deck.toml").write_text('paginate = "yes"\n')
    with pytest.raises(BuildError, match=r"deck.toml:1: `paginate` must be true or false"):
        render.load_deck(cfg, "d")
    (tmp_path / "slides/d/deck.toml").write_text('theme = "gaia"\n')  # Marp's own themes, and no title needed
    assert render.load_deck(cfg, "d").defaults == (("theme", "gaia"),)


def test_themes_are_found_by_their_theme_comment_in_theme_and_in_the_deck_folder(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "x"})
    (tmp_path / "theme" / "other.css").write_text("/* @theme other */\nsection{}")
    (tmp_path / "theme" / "plain.css").write_text("section{}")  # not a Marp theme
    (tmp_path / "slides/d/mine.css").write_text("/* @theme mine */\n@import 'gaia';")
    assert set(render.available_themes(cfg)) == {"midnight-blue", "other"}
    assert set(render.theme_files(cfg, tmp_path / "slides/d")) == {"midnight-blue", "other", "mine"}


# --- a Marp file, as it is ----------------------------------------------------------------------

MARP_FILE = """---
marp: true
theme: gaia
backgroundColor: #fff
footer: ![w:20](logo.png) Talk: the end
style: |
  section { font-size: 30px; }
---

<!-- _class: lead -->
# Hello `{{ not.jinja }}`

---

## Code

```jsx
<div style={{ flex: 1 }}>{items.map(i => <b>{i}</b>)}</div>
```
"""


def test_a_marp_file_alone_in_its_folder_is_a_deck_and_its_front_matter_goes_to_marp_untouched(tmp_path: Path):
    cfg = make_project(tmp_path, {"deck.md": MARP_FILE}, manifest=None)
    assert "d" in cfg.deck_names()
    deck = render.load_deck(cfg, "d")
    assert [p.name for p in deck.slide_paths] == ["deck.md"] and deck.manifest_path is None
    markdown = markdown_of(cfg)
    front = MARP_FILE[: MARP_FILE.index("---\n\n<!--") + 4]
    assert markdown.startswith(front[:-4] + "lang: en\n---\n")  # as written; only the language it does not say is added
    assert "# Hello `{{ not.jinja }}`" in markdown and "style={{ flex: 1 }}" in markdown


def test_deck_toml_gives_defaults_and_the_markdown_wins(tmp_path: Path):
    cfg = make_project(tmp_path, {"deck.md": MARP_FILE}, manifest='title = "From toml"\ntheme = "midnight-blue"\nlang = "sv"\n[vars]\nwho = "Ada"\n')
    front = render_d(cfg).front_matter
    assert "theme: gaia\n" in front and "midnight-blue" not in front  # the file says gaia: gaia
    assert front.endswith('title: "From toml"\nlang: sv\n---\n')  # what it does not say, deck.toml does


def test_of_several_markdown_files_the_one_marp_opens_is_the_deck(tmp_path: Path):
    cfg = make_project(tmp_path, {"README.md": "# About this talk\n", "talk.md": MARP_FILE}, manifest=None)
    assert [p.name for p in render.load_deck(cfg, "d").slide_paths] == ["talk.md"]
    (tmp_path / "slides/d/talk.md").write_text("# no front matter\n")
    with pytest.raises(BuildError, match=r"slides/d: several Markdown files and none .* says `marp: true`.*README.md, talk.md"):
        render.load_deck(cfg, "d")


def test_numbered_files_the_first_may_carry_the_front_matter_and_only_the_first(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "---\ntheme: uncover\n---\n\n# One {{ who }}\n", "02-b.md": "## Two\n"})
    markdown = markdown_of(cfg)
    assert markdown.startswith("---\ntheme: uncover\ntitle: \"A: B\"\nlang: en\n---\n")  # theme: the file's
    assert "# One Ada" in markdown
    (tmp_path / "slides/d/02-b.md").write_text("---\n\n## Two\n")
    assert error_of(cfg).startswith("slides/d/02-b.md:1: this file starts with a `---` line: only the deck's first file may have front matter")


def test_errors_after_a_front_matter_keep_the_files_line_numbers(tmp_path: Path):
    cfg = make_project(tmp_path, {"deck.md": "---\nmarp: true\nstyle: |\n  a {}\n---\n\n# T\n\n{{ nobody }}\n"}, manifest=None)
    assert error_of(cfg) == "slides/d/deck.md:9: undefined variable: 'nobody' is undefined"
    (tmp_path / "slides/d/deck.md").write_text("---\nmarp: true\n\n# never closed\n")
    assert error_of(cfg).startswith("slides/d/deck.md:1: this front matter is never closed")


def test_a_file_that_renders_to_nothing_is_named(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "## A\n", "02-b.md": "{% if false %}\n## B\n{% endif %}\n"})
    assert error_of(cfg).startswith("slides/d/02-b.md:1: this file renders to nothing")


# --- code is code ---------------------------------------------------------------------------------

@pytest.mark.parametrize("code", [
    "```jsx\n<div style={{ flex: 1 }} />\n```",  # JSX
    "```yaml\n- name: {{ item.name }}\n  loop: \"{{ users }}\"\n```",  # Ansible
    "```go\n{{- range .Items }}{{ .Name }}{{- end }}\n```",  # Go text/template
    "~~~yaml\nrun: echo ${{ github.sha }} {% raw %}\n~~~",  # GitHub Actions, and Jinja's own words as text
    "    {{ indented code }}",  # indented code
    "- item\n\n      {{ code in a list item }}",
    "Inline `{{ span }}` and ``a ` {%b%}`` in prose.",
    "A [link](https://api.example.com/q?f={%22id%22:1}) and ![img](x.png?{{y}}).",
    "An autolink <https://x.io/{{a}}> and https://x.io/{%22b%22} bare.",
    "[ref]: https://x.io/{{ref}}",
    "Math $x^{{2}}$ and\n\n$$\n\\frac{{a}}{b}\n$$",
    "> quoted `{{ q }}`",
])
def test_braces_in_code_are_shown_as_written(tmp_path: Path, code: str):
    cfg = make_project(tmp_path, {"01-a.md": f"## {{{{ who }}}}\n\n{code}\n\n- {{{{ who }}}} again\n"})
    text = render_d(cfg).files[0].text
    assert text == f"## Ada\n\n{code}\n\n- Ada again\n"


def test_braces_in_prose_are_still_templates_and_a_mistake_names_the_rule(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "## A\n\nhexagon: A{{Decision?}}\n"})
    message = error_of(cfg)
    assert message.startswith("slides/d/01-a.md:3: template syntax error")
    assert "braces in code" in message and "{% raw %}...{% endraw %}" in message
    (tmp_path / "slides/d/01-a.md").write_text("## A\n\n{% raw %}hexagon: A{{Decision?}}{% endraw %}\n")
    assert render_d(cfg).files[0].text == "## A\n\nhexagon: A{{Decision?}}\n"


def test_a_mermaid_hexagon_in_a_slide_is_mermaid_not_jinja(tmp_path: Path):
    body = "flowchart LR\n    A{{Decision?}} --> B{{ Next }}\n    B --> C[\"{% not jinja %}\"]\n"
    cfg = make_project(tmp_path, {"01-a.md": "## A\n\n---\n\n## {{ who }}\n\n```mermaid\n" + body + "```\n\n- {{ who }}\n"})
    assert render_d(cfg).files[0].text == "## A\n\n---\n\n## Ada\n\n```mermaid\n" + body + "```\n\n- Ada\n"
    from deckbuild import diagrams
    (diagram,) = diagrams.find_diagrams(render_d(cfg), cfg)
    assert diagram.source == body and diagram.where() == (tmp_path / "slides/d/01-a.md", 7)


def test_a_mermaid_fence_inside_the_authors_own_raw_block_builds(tmp_path: Path):
    """A deck written for the old rule ({% raw %} around braces) builds the same."""
    body = "flowchart LR\n  A{{Decision}} --> B\n"
    texts = []
    for source in ("## A\n\n{% raw %}\n```mermaid\n" + body + "```\n{% endraw %}\n", "## A\n\n```mermaid\n" + body + "```\n",
                   "## A\n\n{% raw %}```mermaid\n" + body + "```{% endraw %}\n", "## A\n\n{% if true %}\n```mermaid\n" + body + "```\n{% endif %}\n"):
        (tmp_path / str(len(texts))).mkdir()
        cfg = make_project(tmp_path / str(len(texts)), {"01-a.md": source})
        texts.append(render_d(cfg).files[0].text)
    assert all("A{{Decision}}" in text for text in texts)
    assert texts[0].replace("\n\n\n", "\n\n").strip() == texts[1].strip() == texts[3].replace("\n\n\n", "\n\n").strip()


def test_a_diagram_generated_by_a_macro_still_renders_its_template(tmp_path: Path):
    """`{% call m.mermaid() %}` writes a ```mermaid fence whose body is a template (the performance
    chart is made from data this way): that fence is the macro's output, so it is still Jinja."""
    body = "{% call m.mermaid() %}pie\n{% for name, n in parts %}  \"{{ name }}\" : {{ n }}\n{% endfor %}{% endcall %}\n"
    cfg = make_project(tmp_path, {"01-a.md": "## A\n\n---\n\n## Chart\n\n" + body})
    rendered = render_d(cfg, {"parts": [("a", 1), ("b", 2)]})
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
    rendered = render_d(cfg, {"cap": capture})
    from deckbuild import diagrams
    assert diagrams.find_diagrams(rendered, cfg) == []
    text = rendered.files[0].text
    svg = text[text.index("<svg"): text.index("</svg>") + 6]
    assert 'class="story"' in svg and "signal approve" in svg and "flaky" in svg
    assert "\n" not in svg and "<b>" not in svg  # the signal's payload "ada <b>" is not in the picture, and never raw


def test_the_deck_language_is_checked_and_reaches_the_front_matter(tmp_path: Path):
    (tmp_path / "ok").mkdir()
    (tmp_path / "bad").mkdir()
    cfg = make_project(tmp_path / "ok", {"01-a.md": "## A\n"}, manifest='title = "T"\ntheme = "midnight-blue"\nlang = "en-GB"\n')
    assert "\nlang: en-GB\n" in render_d(cfg).front_matter
    cfg = make_project(tmp_path / "bad", {"01-a.md": "## A\n"}, manifest='title = "T"\ntheme = "midnight-blue"\nlang = "C"\n')
    with pytest.raises(BuildError, match=r'deck\.toml:3: `lang` must be a language tag like "en" or "en-GB", not \'C\''):
        render.load_deck(cfg, "d")


def test_a_slide_saved_in_another_encoding_is_named_with_its_line(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "## A\n"})
    (tmp_path / "slides/d/01-a.md").write_bytes("## A\n\nCaf\u00e9 au lait\n".encode("latin-1"))
    assert error_of(cfg) == "slides/d/01-a.md:3: not UTF-8 text (byte 0xe9); save the file as UTF-8"
