"""Any Marp deck, as it is: each deck of tests/data/marp-decks (see its SOURCES.md) is copied unchanged
into slides/<name>/ and built through the real CLI, then compared with what the pinned marp-cli
renders from the same file -- slide by slide in Chromium (pixels), the code blocks' text, the PDF's
pages -- and presented: an edit on a slide that inherits directives shows what marp-cli draws."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, copy_project, run_build
from tests.deckcheck import goto_slide

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CORPUS = Path(__file__).parent / "data" / "marp-decks"
DECKS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
CLEAN = [name for name in DECKS if name != "seed-talk"]  # the seed's diagram does not parse: its own tests below
MARP = REPO / "node_modules" / "@marp-team" / "marp-cli" / "marp-cli.js"
# The exported deck's viewer options (deckbuild/export.py): the reference gets the same, so what is
# compared is the slides themselves. --html: dropped-in decks use HTML (columns, <style>), and ours do.
MARP_HTML = ["--html", "--bespoke.progress"]
PIXEL_TOLERANCE = 0.0005  # the share of a slide's pixels that may differ: every corpus slide measured identical here; a 0.5 px letter-spacing on one heading is 0.11 %
# The PDF is printed by Chromium from the same HTML, so its pages are compared for a few decks of
# different shapes (4:3 and math, backgrounds, code, a theme's classes), not for every deck (time).
PDF_DECKS = ["default-lecture", "bg-images", "go-helm-actions", "gaia-showcase"]


def deck_file(folder: Path) -> Path:
    """The Markdown file marp opens in a corpus folder (the one saying `marp: true`)."""
    files = sorted(folder.glob("*.md"))
    return next(f for f in files if re.search(r"(?m)^\s*marp:\s*true", f.read_text())) if len(files) > 1 else files[0]


def marp_cli(source: Path, output: Path, *extra: str) -> subprocess.Popen:
    """The pinned marp-cli on the deck's own file, in its own folder, with the deck folder's CSS."""
    from deckbuild.browser import find_browser

    themes = [str(p) for p in source.parent.glob("*.css")]
    argv = ["node", str(MARP), "--no-config-file", *(["--theme-set", *themes] if themes else []), *extra, "--output", str(output), str(source)]
    env = dict(os.environ, CHROME_PATH=find_browser(), CHROME_NO_SANDBOX="1", CHROME_DISABLE_GPU="1", LANG="en_US.UTF-8")
    return subprocess.Popen(argv, cwd=source.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def dropped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with every corpus deck dropped into slides/<name>/ as it is, built by the
    CLI with demos on (a deck without demo slides must not need Temporal): HTML for every deck, PDF
    for PDF_DECKS; beside it, marp-cli's HTML (and PDF) of each deck's own file."""
    root = copy_project(tmp_path_factory.mktemp("dropped") / "project")
    reference = root / "reference"
    reference.mkdir()
    for name in DECKS:
        shutil.copytree(CORPUS / name, root / "slides" / name)
    procs = []
    for name in CLEAN:  # as its author renders it: in its own folder, beside its images
        shutil.copytree(CORPUS / name, reference / name)
        source = deck_file(reference / name)
        procs.append(marp_cli(source, reference / name / f"{name}.html", *MARP_HTML))
        if name in PDF_DECKS:
            procs.append(marp_cli(source, reference / name / f"{name}.pdf", "--html", "--pdf", "--allow-local-files"))
    result = run_build("html", *[arg for name in CLEAN for arg in ("--deck", name)], root=root, demos=True, timeout=600)
    pdf = run_build("pdf", *[arg for name in PDF_DECKS for arg in ("--deck", name)], root=root, demos=True, timeout=600)
    for proc in procs:
        output, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, output
    assert result.returncode == 0 and pdf.returncode == 0, result.output + pdf.output
    root.joinpath("build-output.txt").write_text(result.output + pdf.output)
    return root


def test_every_deck_builds_unchanged_without_starting_temporal(dropped: Path):
    output = dropped.joinpath("build-output.txt").read_text()
    for name in CLEAN:
        assert (dropped / "build" / f"{name}.html").is_file(), name
        assert re.search(rf"^{re.escape(name)}: build/{re.escape(name)}\.html \(built\)", output, re.M), output
    for name in PDF_DECKS:
        assert re.search(rf"^{re.escape(name)}: build/{re.escape(name)}\.pdf \(built\)", output, re.M), output
    assert "demos: ran" not in output and not (dropped / ".temporal").exists()  # no demo slide: no Temporal, no capture
    assert "is not a Marp directive" not in output, output  # marp-cli's own `transition` (fragments-notes) is one
    for name in CLEAN:  # the corpus is untouched by the build
        source = deck_file(dropped / "slides" / name)
        assert source.read_text() == deck_file(CORPUS / name).read_text()


def test_a_theme_nobody_provides_falls_back_to_default_with_a_warning_at_its_line(dropped: Path):
    output = dropped.joinpath("build-output.txt").read_text()
    assert re.search(r"slides/missing-theme/deck\.md:3: warning: theme 'acme-brand' is not provided .* falls back to the default theme", output), output
    html = (dropped / "build" / "missing-theme.html").read_text()
    assert not re.search(r"<section [^>]*data-theme=", html)  # marp dropped the directive: the default theme


CODE_JS = "() => [...document.querySelectorAll('svg[data-marpit-svg] pre, svg[data-marpit-svg] code')].map(e => e.textContent)"


def _look(page, html: Path) -> tuple[list, list[str]]:
    """Every slide of a deck as Chromium draws it (one screenshot each), and its code's text."""
    from PIL import Image

    page.goto(html.as_uri())
    # The viewer's chrome (the on-screen controls fade out on a timer, the progress bar animates) is
    # marp-cli's in both pages: hidden while the slides are compared, its room kept.
    page.add_style_tag(content=".bespoke-marp-osc, .bespoke-progress-parent { visibility: hidden !important; }")
    page.evaluate("document.fonts.ready")
    shots = []
    for number in range(1, page.locator("svg[data-marpit-svg]").count() + 1):
        goto_slide(page, number)
        page.wait_for_function("n => [...document.querySelectorAll('svg[data-marpit-svg]')].indexOf(document.querySelector('svg.bespoke-marp-active')) + 1 === n",
                               arg=number)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        # JPEG at 95: half the time of a PNG; its noise is far under the 40-level threshold _differing uses.
        shots.append(Image.open(io.BytesIO(page.screenshot(type="jpeg", quality=95))).convert("RGB"))
    return shots, page.evaluate(CODE_JS)


@pytest.fixture(scope="module")
def looks(dropped: Path, browser) -> dict[str, tuple]:
    """Each deck, ours and marp-cli's, looked at once in the same Chromium (1280x720)."""
    page = browser.new_page(viewport={"width": 1280, "height": 720}, reduced_motion="reduce")
    try:
        return {name: (_look(page, dropped / "build" / f"{name}.html"), _look(page, dropped / "reference" / name / f"{name}.html")) for name in CLEAN}
    finally:
        page.close()


def _differing(a, b) -> float:
    from PIL import ImageChops

    diff = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > 40 else 0)
    return sum(diff.histogram()[255:]) / (a.width * a.height)


@pytest.mark.parametrize("name", CLEAN)
def test_each_slide_looks_as_marp_cli_draws_it(looks: dict, name: str, tmp_path: Path):
    """Slide by slide, our exported HTML and marp-cli's, in the same Chromium: the same pixels (our
    landmarks, announcer, alt texts and Replay add nothing visible; a gaia deck is not set in our fonts)."""
    (mine, _), (reference, _) = looks[name]
    assert len(mine) == len(reference) > 0
    worst = []
    for number, (a, b) in enumerate(zip(mine, reference), 1):
        share = _differing(a, b)
        if share > PIXEL_TOLERANCE:
            a.save(tmp_path / f"{name}-{number}-ours.png")
            b.save(tmp_path / f"{name}-{number}-marp.png")
            worst.append(f"slide {number}: {share:.2%} of pixels differ ({tmp_path})")
    assert not worst, worst


def test_local_images_travel_inside_the_one_file_deck(dropped: Path):
    """marp-cli's page only works beside its images; ours carries them (and a footer's logo, a
    backgroundImage, a theme's url()) so build/<deck>.html works anywhere, offline."""
    for name, names in {"bg-images": ("a.svg", "b.svg"), "cli-example": ("marp.svg", "hero.svg"), "default-lecture": ("logo.svg",)}.items():
        html = (dropped / "build" / f"{name}.html").read_text()
        assert html.count("data:image/svg+xml;base64,") >= len(names), name
        for image in names:
            assert not re.search(rf"""(src=|url\()["']?{re.escape(image)}""", html), (name, image)


def test_code_is_shown_as_written(looks: dict):
    """Every code block and code span, braces and all, reads as in marp-cli's deck."""
    checked = 0
    for name in CLEAN:
        (_, ours), (_, theirs) = looks[name]
        assert ours == theirs, name
        checked += sum("{{" in t or "{%" in t for t in ours)
    assert checked >= 10  # the JSX, Ansible, Go, Helm and Actions decks hold many


@pytest.mark.parametrize("name", PDF_DECKS)
def test_the_pdf_has_marp_clis_pages(dropped: Path, name: str):
    from pypdf import PdfReader

    ours, theirs = PdfReader(str(dropped / "build" / f"{name}.pdf")), PdfReader(str(dropped / "reference" / name / f"{name}.pdf"))
    assert len(ours.pages) == len(theirs.pages)
    for a, b in zip(ours.pages, theirs.pages):
        assert (a.mediabox.width, a.mediabox.height) == (b.mediabox.width, b.mediabox.height)
        assert " ".join(a.extract_text().split()) == " ".join(b.extract_text().split())


def test_the_presenters_own_file_builds_with_its_diagram_error_at_its_line(dropped: Path):
    """The seed: a Marp file with `style:` in its front matter, whose Mermaid sketch does not parse."""
    seed = dropped / "slides" / "seed-talk" / "temporal.md"
    fence = seed.read_text().splitlines().index("```mermaid") + 1
    result = run_build("html", "--deck", "seed-talk", root=dropped)
    assert result.returncode == 2 and "Traceback" not in result.output, result.output
    assert re.search(rf"^error: slides/seed-talk/temporal\.md:{fence}: Mermaid cannot render this diagram", result.stderr, re.M), result.stderr
    assert not (dropped / "build" / "seed-talk.html").exists()
    kept = run_build("html", "--deck", "seed-talk", "--keep-going", root=dropped)
    assert kept.returncode == 0, kept.output
    assert re.search(rf"slides/seed-talk/temporal\.md:{fence}: Mermaid cannot render this diagram", kept.stderr)
    html = (dropped / "build" / "seed-talk.html").read_text()
    assert "Mermaid cannot render this diagram" in html and f"slides/seed-talk/temporal.md:{fence}" in html
    assert "--accent-coral: #FF6F61" in html  # its own style: block, passed to marp as written


def test_a_front_matter_marp_cannot_read_is_an_error_at_its_line(dropped: Path, tmp_path: Path):
    root = tmp_path / "project"
    shutil.copytree(dropped / "slides" / "uncover-talk", root / "slides" / "broken")
    shutil.copytree(dropped / "theme", root / "theme")
    source = root / "slides" / "broken" / "talk.md"
    source.write_text(source.read_text().replace("paginate: true\n", "paginate: [true\n"))
    result = run_build("html", "--deck", "broken", root=root)
    assert result.returncode == 2 and "Traceback" not in result.output, result.output
    assert re.search(r"^error: slides/broken/talk\.md:[45]: marp cannot read this front matter: ", result.stderr, re.M), result.stderr
