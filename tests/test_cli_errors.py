"""Bad input gets one clear `file:line: what` message, a non-zero exit, no traceback, and the last
good deck stays in build/ untouched. Each case runs the real CLI on a copy of a built project."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from deckbuild.errors import ExitCode
from tests.conftest import Run, run_build

OUTPUTS = ("talk.md", "talk.html", "talk.pdf")


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {name: ((root / "build" / name).read_bytes(), (root / "build" / name).stat().st_mtime_ns) for name in OUTPUTS}


def assert_clean_failure(result: Run, code: ExitCode, *patterns: str) -> None:
    assert result.returncode == int(code), result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""  # nothing claims success
    for pattern in patterns:
        assert re.search(pattern, result.stderr), f"{pattern!r} not in:\n{result.stderr}"


def edit(path: Path, old: str, new: str) -> int:
    """Replace `old` once; return the 1-based line where the edit starts."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def env_without_browser(tmp_path: Path) -> dict[str, str]:
    """PATH with node but no browser, no CHROME_PATH, and an empty Playwright folder."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("node",):
        os.symlink(os.popen(f"command -v {tool}").read().strip(), bin_dir / tool)
    env = {k: v for k, v in os.environ.items() if k != "CHROME_PATH"}
    env.update(PATH=str(bin_dir), HOME=str(tmp_path), PLAYWRIGHT_BROWSERS_PATH=str(tmp_path / "no-browsers"))
    return env


def test_help_lists_the_commands():
    result = run_build("--help")
    assert result.returncode == 0
    for command in ("render", "html", "pdf", "all"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), result.stdout


def test_jinja_syntax_error(project_after_good_build: Path):
    root = project_after_good_build
    before = snapshot(root)
    line = edit(root / "slides/talk/03-what-temporal-is.md", "- Pause and resume safely", "- Pause and resume {% if %}")
    result = run_build("all", "--deck", "talk", root=root)
    assert_clean_failure(result, ExitCode.SOURCE, rf"^error: slides/talk/03-what-temporal-is\.md:{line}: template syntax error")
    assert snapshot(root) == before


def test_undefined_variable(project_after_good_build: Path):
    root = project_after_good_build
    before = snapshot(root)
    line = edit(root / "slides/talk/08-benefits.md", "- **Auditability**", "- {{ speakr }} **Auditability**")
    result = run_build("all", "--deck", "talk", root=root)
    assert_clean_failure(result, ExitCode.SOURCE, rf"slides/talk/08-benefits\.md:{line}: undefined variable: 'speakr' is undefined")
    assert snapshot(root) == before


def test_mermaid_parse_error_names_the_fence_line_and_mermaids_message(project_after_good_build: Path):
    root = project_after_good_build
    before = snapshot(root)
    # The seed's mistake: an unquoted label with parentheses does not parse.
    slide = root / "slides/talk/12-architecture.md"
    edit(slide, 'WF["Workflow<br/>(thin orchestration)"]', "WF[Workflow<br/>(thin orchestration)]")
    fence = slide.read_text().splitlines().index("```mermaid") + 1
    result = run_build("all", "--deck", "talk", root=root)
    assert_clean_failure(
        result, ExitCode.SOURCE,
        rf"slides/talk/12-architecture\.md:{fence}: Mermaid cannot render this diagram",
        r"Parse error on line 2",
    )
    assert "    at " not in result.stderr  # Mermaid's words, not a JavaScript stack
    assert snapshot(root) == before


def test_missing_theme(project_after_good_build: Path):
    root = project_after_good_build
    before = snapshot(root)
    line = edit(root / "slides/talk/deck.toml", 'theme = "midnight-blue"', 'theme = "midnight-bleu"')
    result = run_build("all", "--deck", "talk", root=root)
    assert_clean_failure(result, ExitCode.SOURCE, rf"slides/talk/deck\.toml:{line}: theme 'midnight-bleu' not found", r"available: default, gaia, uncover, midnight-blue")
    assert snapshot(root) == before


def test_no_browser(project_after_good_build: Path, tmp_path: Path):
    root = project_after_good_build
    before = snapshot(root)
    edit(root / "slides/talk/15-closing.md", "## Closing", "## Closing words")  # the PDF must be rebuilt
    result = run_build("all", "--deck", "talk", root=root, env=env_without_browser(tmp_path))
    assert_clean_failure(result, ExitCode.MISSING_TOOL, r"no Chromium found \(tried \$CHROME_PATH \(unset\); PATH: chromium", r"CHROME_PATH=")
    assert snapshot(root) == before


def test_explicit_browser_that_does_not_exist(project_after_good_build: Path):
    root = project_after_good_build
    edit(root / "slides/talk/15-closing.md", "## Closing", "## Closing words")
    result = run_build("pdf", "--deck", "talk", "--browser", "/nonexistent/chrome", root=root)
    assert_clean_failure(result, ExitCode.MISSING_TOOL, r"browser '/nonexistent/chrome' \(from --browser\) is not an executable")


def test_missing_node_packages(project_after_good_build: Path, tmp_path: Path):
    root = project_after_good_build
    before = snapshot(root)
    edit(root / "slides/talk/15-closing.md", "## Closing", "## Closing words")
    result = run_build("all", "--deck", "talk", "--node-modules", str(tmp_path / "empty"), root=root)
    assert_clean_failure(result, ExitCode.MISSING_TOOL, r"(@(marp-team/marp-cli|mermaid-js/mermaid-cli) is not installed in|font \S+ not found in) .*empty\S*: run `npm ci`")
    assert snapshot(root) == before


def test_marp_cli_failing(project_after_good_build: Path):
    root = project_after_good_build
    before = snapshot(root)
    edit(root / "slides/talk/15-closing.md", "## Closing", "## Closing words")
    env = dict(os.environ, CHROME_PATH="/bin/false")  # an executable that is not a browser
    result = run_build("all", "--deck", "talk", root=root, env=env)
    assert_clean_failure(result, ExitCode.TOOL_FAILED, r"marp-cli \(pdf\) failed \(exit \d+\)")
    # The HTML export succeeded, but a half-finished build must not replace anything.
    assert snapshot(root) == before


def test_a_file_that_starts_with_a_slide_break_is_named_at_its_line(project_after_good_build: Path):
    """Each numbered file starts a new slide: a `---` at the top of a later file would make an empty
    slide (or be read as front matter, which only the first file may have)."""
    root = project_after_good_build
    slide = root / "slides/talk/15-closing.md"
    slide.write_text("---\n\n" + slide.read_text())
    result = run_build("render", "--deck", "talk", root=root)
    assert_clean_failure(result, ExitCode.SOURCE, r"slides/talk/15-closing\.md:1: this file starts with a `---` line")


def test_errors_in_a_multi_slide_file_name_the_line_in_that_file(project_after_good_build: Path):
    root = project_after_good_build
    slide = root / "slides/talk/12-architecture.md"
    before_slide = "## Before the sketch\n\n- one\n\n---\n\n## Also before\n\n- two\n\n---\n\n"
    slide.write_text(before_slide + slide.read_text().replace('WF["Workflow<br/>(thin orchestration)"]', "WF[Workflow<br/>(thin orchestration)]"))
    fence = slide.read_text().splitlines().index("```mermaid") + 1
    assert fence > 12
    result = run_build("render", "--deck", "talk", root=root)
    assert_clean_failure(result, ExitCode.SOURCE, rf"slides/talk/12-architecture\.md:{fence}: Mermaid cannot render this diagram", r"Parse error on line 2")
    line = edit(slide, "- two", "- {{ speakr }}")
    result = run_build("render", "--deck", "talk", root=root)
    assert_clean_failure(result, ExitCode.SOURCE, rf"slides/talk/12-architecture\.md:{line}: undefined variable: 'speakr' is undefined")


def test_a_mermaid_hexagon_builds(project_after_good_build: Path):
    """Issue 7: `A{{Decision}}` inside a ```mermaid fence is Mermaid, not a Jinja expression."""
    root = project_after_good_build
    edit(root / "slides/talk/12-architecture.md", "flowchart LR\n", "flowchart LR\n    UI --> D{{Decision}}\n")
    result = run_build("render", "--deck", "talk", root=root)
    assert result.returncode == 0, result.output
    assert "Traceback" not in result.output


def test_unknown_deck():
    result = run_build("html", "--deck", "nope")
    assert_clean_failure(result, ExitCode.SOURCE, r"no deck named 'nope'.*decks: talk")


@pytest.mark.parametrize(("broken", "expected"), [
    ('title = "x"\ntheme = ', r"slides/talk/deck\.toml:2: invalid TOML"),
    ('title = "x"\ntheme = "midnight-blue"\ncolour = 1\n', r"slides/talk/deck\.toml:3: unknown key 'colour'"),
], ids=["invalid-toml", "unknown-key"])
def test_bad_manifest(project_after_good_build: Path, broken: str, expected: str):
    root = project_after_good_build
    (root / "slides/talk/deck.toml").write_text(broken)
    result = run_build("render", "--deck", "talk", root=root)
    assert_clean_failure(result, ExitCode.SOURCE, expected)
