"""Stage 3: the deck's Markdown becomes what travels: HTML, PDF, PPTX and a handout PDF.

- html: marp-cli's bespoke HTML, then deckbuild/html_post.py (slide regions, announcer, assets);
- pdf: marp-cli's PDF (tagged by Chromium), then deckbuild/pdf_post.py (one bookmark per slide
  title, title, author), as an incremental update that keeps Chromium's tags;
- pptx: marp-cli's PowerPoint, one picture per slide, the speaker notes in the notes pane;
- handout: deckbuild/node/handout.mjs prints every slide of the HTML with its notes below it (A4).
`make deck` asks for html and pdf only; `make export` for all four.

The themes marp-cli gets are the project's (theme/*.css) with the shipped fonts' @font-face rules
(deckbuild/fonts.py), so every format of our decks is set in the same faces on every machine, and
the deck folder's own CSS; Marp's built-in themes are marp's own.

An output is rebuilt only when the hash of everything that affects it (the Markdown, the theme
with its fonts, the tool versions, the options, the post-processing code; for the handout, the
HTML it prints) differs from the one recorded when it was last built, or when the file in build/
is no longer the one we wrote. Everything is written under build/.staging first and moved into
build/ only when every requested format succeeded.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from deckbuild import assets, fonts, html_post, literal, pdf_post, render
from deckbuild.directives import MarpRead
from deckbuild.browser import HEADLESS_ARGS, find_browser
from deckbuild.config import Config
from deckbuild.errors import BuildError, ExitCode
from deckbuild.fsutil import atomic_move, atomic_write_text, sha256_file, sha256_json
from deckbuild.present.proctree import stop_tree
from deckbuild.render import Deck
from deckbuild.tools import MARP, node_tool, package_version, tool_failed

FORMATS = ("html", "pdf", "pptx", "handout")
MARP_OPTIONS = {
    "html": ["--html", "--bespoke.progress"],
    "pdf": ["--html", "--pdf", "--pdf-outlines"],  # no --pdf-notes: its annotation icons sit on every page (notes: the handout)
    "pptx": ["--html", "--pptx"],  # one picture per slide; marp-cli writes the notes into the notes pane
}
HANDOUT_SCRIPT = Path(__file__).resolve().parent / "node" / "handout.mjs"
ENGINE = Path(__file__).resolve().parent / "node" / "marp_engine.cjs"  # marp-cli's engine, SVG data URIs allowed (deckbuild/assets.py)


@dataclass(frozen=True)
class ExportResult:
    fmt: str
    path: Path
    rebuilt: bool
    seconds: float


def output_name(deck: Deck, fmt: str) -> str:
    return f"{deck.name}-handout.pdf" if fmt == "handout" else f"{deck.name}.{fmt}"


def _stamp_path(cfg: Config, deck: Deck, fmt: str) -> Path:
    return cfg.cache_dir / "export" / f"{deck.name}.{fmt}.json"


def theme_set(cfg: Config, deck: Deck, markdown: str) -> list[Path]:
    """The themes marp gets: the project's own (theme/*.css) with the shipped fonts' @font-face rules
    embedded (the symbol face cut to what `markdown` uses), written once per content hash under
    build/.cache/theme/; then the deck folder's own CSS, as it is. Marp's built-in themes need
    nothing: a deck set in `gaia` gets gaia as marp-cli draws it, in marp-cli's fonts."""
    paths, font_css = [], None
    for path in render.theme_files(cfg, deck.folder).values():
        if path.parent.resolve() != cfg.theme_dir.resolve():  # the deck's own CSS, its images embedded (the page is elsewhere)
            css = assets.embed(path.read_text(), path.parent, cfg.root, assets.data_uri, assets.Embedded(), code_aware=False)
            if css == path.read_text():
                paths.append(path)
                continue
            themed = cfg.cache_dir / "theme" / sha256_json(css)[:24] / path.name
            if not themed.is_file():
                atomic_write_text(themed, css)
            paths.append(themed)
            continue
        font_css = font_css if font_css is not None else fonts.page_css(cfg, markdown)
        css = path.read_text().rstrip("\n") + "\n\n" + font_css
        themed = cfg.cache_dir / "theme" / sha256_json(css)[:24] / path.name
        if not themed.is_file():
            atomic_write_text(themed, css)
        paths.append(themed)
    return paths


def export_key(cfg: Config, deck: Deck, markdown: str, fmt: str, theme_css: list[str]) -> str:
    post = {"html": html_post.post_key(), "pdf": pdf_post.post_key()}.get(fmt, "")
    return sha256_json(
        {"markdown": markdown, "theme": theme_css, "marp": package_version(cfg, MARP), "options": MARP_OPTIONS[fmt], "post": post,
         "engine": ENGINE.read_text()}
    )


def handout_key(cfg: Config, html_sha256: str) -> str:
    return sha256_json({"html": html_sha256, "script": HANDOUT_SCRIPT.read_text(), "puppeteer": package_version(cfg, "puppeteer"),
                        "post": pdf_post.post_key()})


def is_current(cfg: Config, deck: Deck, fmt: str, key: str) -> bool:
    output = cfg.build_dir / output_name(deck, fmt)
    stamp = _stamp_path(cfg, deck, fmt)
    if not (output.is_file() and stamp.is_file()):
        return False
    recorded = json.loads(stamp.read_text())
    return recorded.get("key") == key and recorded.get("output_sha256") == sha256_file(output)


def export(cfg: Config, deck: Deck, markdown: str, formats: tuple[str, ...], read: MarpRead | None = None, warm=None) -> list[ExportResult]:
    """`read`: what marp read of the deck's directives (title, author for the PDF's metadata).
    `warm`: a running marp (deckbuild/present/marp_warm.py) that converts the HTML in-process, the
    same options and engine (a build of several decks pays Node's start once); None spawns marp-cli."""
    if "handout" in formats and "html" not in formats:
        raise ValueError("the handout is printed from the HTML deck: ask for html too")
    staging = cfg.staging_dir / deck.name
    staging.mkdir(parents=True, exist_ok=True)
    md_path = staging / f"{deck.name}.md"
    md_path.write_text(markdown)
    theme_paths = theme_set(cfg, deck, markdown)
    theme_css = [path.read_text() for path in theme_paths]
    marp_formats = [fmt for fmt in formats if fmt in MARP_OPTIONS]
    keys = {fmt: export_key(cfg, deck, markdown, fmt, theme_css) for fmt in marp_formats}
    stale = [fmt for fmt in marp_formats if not is_current(cfg, deck, fmt, keys[fmt])]
    started = time.perf_counter()
    marp = _start_marp(cfg, theme_paths, md_path, [f for f in stale if not (warm is not None and f == "html")])
    timings: dict[str, float] = {}
    handout = None
    try:
        if "html" in stale:
            if warm is not None:
                md_path.with_suffix(".html").unlink(missing_ok=True)
                warm.convert(md_path, md_path.with_suffix(".html"), theme_paths)
                timings["html"] = time.perf_counter() - started
            else:
                timings["html"] = _wait_marp(marp, "html", md_path, started)
            html_file = staging / output_name(deck, "html")
            html_file.write_text(html_post.post_process(html_file.read_text()))
        if "handout" in formats:
            # Printed from the finished HTML, while marp-cli still renders the PDF and the PPTX.
            html_file = staging / output_name(deck, "html") if "html" in stale else cfg.build_dir / output_name(deck, "html")
            keys["handout"] = handout_key(cfg, sha256_file(html_file))
            if not is_current(cfg, deck, "handout", keys["handout"]):
                handout = _start_handout(cfg, html_file, staging / output_name(deck, "handout"))
        failures = []
        for fmt in [f for f in stale if f != "html"]:
            try:
                timings[fmt] = _wait_marp(marp, fmt, md_path, started)
            except BuildError as err:
                failures.append(err.message)
        if handout is not None:
            try:
                _finish_handout(handout, staging / output_name(deck, "handout"), deck_title(deck, read, markdown), read.author if read else "")
                timings["handout"] = time.perf_counter() - started
                stale.append("handout")
            except BuildError as err:
                failures.append(err.message)
        if failures:
            raise BuildError("\n".join(failures), ExitCode.TOOL_FAILED)
    finally:
        for proc in [*marp.values(), *([handout[0]] if handout else [])]:
            if proc.poll() is None:  # a failure elsewhere: end the others, each with its Chromium
                stop_tree(proc, grace_s=15)
    if "pdf" in stale:
        pdf_post.finish_deck_pdf(staging / output_name(deck, "pdf"), title=deck_title(deck, read, markdown), author=read.author if read else "")
    # Every format succeeded: now, and only now, replace the previous outputs.
    for fmt in stale:
        output = cfg.build_dir / output_name(deck, fmt)
        atomic_move(staging / output.name, output)
        atomic_write_text(_stamp_path(cfg, deck, fmt), json.dumps({"key": keys[fmt], "output_sha256": sha256_file(output)}))
    markdown_out = cfg.build_dir / f"{deck.name}.md"
    if not markdown_out.is_file() or markdown_out.read_text() != markdown:
        atomic_move(md_path, markdown_out)  # kept so anyone can run marp-cli on it by hand
    return [ExportResult(fmt, cfg.build_dir / output_name(deck, fmt), fmt in stale, timings.get(fmt, 0.0)) for fmt in formats]


def deck_title(deck: Deck, read: MarpRead | None, markdown: str) -> str:
    """The `title` directive, else (as marp-cli does) the deck's first top-level heading, else its name."""
    return (read.title if read else None) or literal.first_heading(markdown) or deck.name


def marp_command(cfg: Config, theme_paths: list[Path], md_path: Path, fmt: str, browser: str | None) -> list[str]:
    tool = node_tool(cfg, MARP)
    argv = [*tool.argv, "--no-config-file", "--engine", str(ENGINE), "--theme-set", *map(str, theme_paths), *MARP_OPTIONS[fmt]]
    if browser:
        argv += ["--browser", "chrome", "--browser-path", browser]
    return [*argv, "--output", str(md_path.with_suffix(f".{fmt}")), str(md_path)]


def _start_marp(cfg: Config, theme_paths: list[Path], md_path: Path, formats: list[str]) -> dict[str, subprocess.Popen]:
    """One marp-cli per format, all at once (HTML needs no browser, PDF and PPTX do)."""
    browser = find_browser(cfg.browser, dict(cfg.env)) if set(formats) - {"html"} else None
    env = dict(cfg.env, CHROME_NO_SANDBOX="1", CHROME_DISABLE_GPU="1", PUPPETEER_SKIP_DOWNLOAD="1")
    procs: dict[str, subprocess.Popen] = {}
    for fmt in formats:
        (md_path.with_suffix(f".{fmt}")).unlink(missing_ok=True)
        try:
            procs[fmt] = subprocess.Popen(
                marp_command(cfg, theme_paths, md_path, fmt, browser), cwd=md_path.parent, env=env,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
        except FileNotFoundError as err:
            for proc in procs.values():
                proc.kill()
            raise BuildError(f"marp-cli: cannot run node: {err.strerror}", ExitCode.MISSING_TOOL) from None
    return procs


def _wait_marp(procs: dict[str, subprocess.Popen], fmt: str, md_path: Path, started: float) -> float:
    """Wait for one format's marp-cli; its seconds since the start, or one clear error."""
    proc = procs[fmt]
    output, _ = proc.communicate(timeout=600)
    if proc.returncode != 0 or not md_path.with_suffix(f".{fmt}").is_file():
        raise tool_failed(f"marp-cli ({fmt})", proc.returncode, output)
    return time.perf_counter() - started


def _start_handout(cfg: Config, html_file: Path, output: Path) -> tuple[subprocess.Popen, Path]:
    node = node_tool(cfg, "puppeteer").argv[0]  # node on PATH and puppeteer installed, or one clear message
    options = {"nodeModules": str(cfg.node_modules), "browser": find_browser(cfg.browser, dict(cfg.env)), "args": list(HEADLESS_ARGS),
               "input": str(html_file), "output": str(output)}
    output.unlink(missing_ok=True)
    try:
        proc = subprocess.Popen([node, str(HANDOUT_SCRIPT), json.dumps(options)], cwd=cfg.root, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=dict(cfg.env, PUPPETEER_SKIP_DOWNLOAD="1"))
    except FileNotFoundError as err:
        raise BuildError(f"handout: cannot run node: {err.strerror}", ExitCode.MISSING_TOOL) from None
    return proc, output


def _finish_handout(handout: tuple[subprocess.Popen, Path], output: Path, title: str, author: str) -> None:
    proc, _ = handout
    stdout, stderr = proc.communicate(timeout=600)
    if proc.returncode != 0 or not output.is_file():
        raise tool_failed("handout (deckbuild/node/handout.mjs)", proc.returncode, stderr or stdout)
    report = json.loads(stdout.strip().splitlines()[-1])
    pdf_post.finish_handout(output, [s["label"] for s in report["slides"]], title=f"{title} (handout)", author=author)
