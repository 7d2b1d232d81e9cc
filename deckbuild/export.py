"""Stage 3: marp-cli turns the deck's Markdown into HTML and PDF.

An output is rebuilt only when the hash of everything that affects it (the Markdown, the theme,
marp-cli's version, the options) differs from the one recorded when it was last built, or when
the file in build/ is no longer the one we wrote. Everything is written under build/.staging first
and moved into build/ only when every requested format succeeded.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from deckbuild import html_post
from deckbuild.browser import find_browser
from deckbuild.config import Config
from deckbuild.errors import BuildError, ExitCode
from deckbuild.fsutil import atomic_move, atomic_write_text, sha256_file, sha256_json
from deckbuild.render import Deck
from deckbuild.tools import MARP, node_tool, package_version, tool_failed

FORMATS = ("html", "pdf")
MARP_OPTIONS = {
    "html": ["--html", "--bespoke.progress"],
    "pdf": ["--html", "--pdf", "--pdf-outlines"],  # no --pdf-notes: its annotation icons sit on every page
}


@dataclass(frozen=True)
class ExportResult:
    fmt: str
    path: Path
    rebuilt: bool
    seconds: float


def _stamp_path(cfg: Config, deck: Deck, fmt: str) -> Path:
    return cfg.cache_dir / "export" / f"{deck.name}.{fmt}.json"


def export_key(cfg: Config, deck: Deck, markdown: str, fmt: str) -> str:
    return sha256_json(
        {"markdown": markdown, "theme": deck.theme_path.read_text(), "marp": package_version(cfg, MARP), "options": MARP_OPTIONS[fmt],
         "post": html_post.assets_text() if fmt == "html" else ""}
    )


def is_current(cfg: Config, deck: Deck, fmt: str, key: str) -> bool:
    output = cfg.build_dir / f"{deck.name}.{fmt}"
    stamp = _stamp_path(cfg, deck, fmt)
    if not (output.is_file() and stamp.is_file()):
        return False
    recorded = json.loads(stamp.read_text())
    return recorded.get("key") == key and recorded.get("output_sha256") == sha256_file(output)


def export(cfg: Config, deck: Deck, markdown: str, formats: tuple[str, ...]) -> list[ExportResult]:
    staging = cfg.staging_dir / deck.name
    staging.mkdir(parents=True, exist_ok=True)
    md_path = staging / f"{deck.name}.md"
    md_path.write_text(markdown)
    keys = {fmt: export_key(cfg, deck, markdown, fmt) for fmt in formats}
    stale = [fmt for fmt in formats if not is_current(cfg, deck, fmt, keys[fmt])]
    timings = _run_marp(cfg, deck, md_path, stale) if stale else {}
    if "html" in stale:
        html_path = staging / f"{deck.name}.html"
        html_path.write_text(html_post.post_process(html_path.read_text()))
    # Every format succeeded: now, and only now, replace the previous outputs.
    for fmt in stale:
        output = cfg.build_dir / f"{deck.name}.{fmt}"
        atomic_move(staging / output.name, output)
        atomic_write_text(_stamp_path(cfg, deck, fmt), json.dumps({"key": keys[fmt], "output_sha256": sha256_file(output)}))
    markdown_out = cfg.build_dir / f"{deck.name}.md"
    if not markdown_out.is_file() or markdown_out.read_text() != markdown:
        atomic_move(md_path, markdown_out)  # kept so anyone can run marp-cli on it by hand
    return [ExportResult(fmt, cfg.build_dir / f"{deck.name}.{fmt}", fmt in stale, timings.get(fmt, 0.0)) for fmt in formats]


def marp_command(cfg: Config, deck: Deck, md_path: Path, fmt: str, browser: str | None) -> list[str]:
    tool = node_tool(cfg, MARP)
    argv = [*tool.argv, "--no-config-file", "--theme-set", str(deck.theme_path), *MARP_OPTIONS[fmt]]
    if browser:
        argv += ["--browser", "chrome", "--browser-path", browser]
    return [*argv, "--output", str(md_path.with_suffix(f".{fmt}")), str(md_path)]


def _run_marp(cfg: Config, deck: Deck, md_path: Path, formats: list[str]) -> dict[str, float]:
    """Run one marp-cli per format, concurrently (HTML needs no browser, PDF does)."""
    browser = find_browser(cfg.browser, dict(cfg.env)) if "pdf" in formats else None
    env = dict(cfg.env, CHROME_NO_SANDBOX="1", CHROME_DISABLE_GPU="1", PUPPETEER_SKIP_DOWNLOAD="1")
    started = time.perf_counter()
    procs = {}
    for fmt in formats:
        (md_path.with_suffix(f".{fmt}")).unlink(missing_ok=True)
        try:
            procs[fmt] = subprocess.Popen(
                marp_command(cfg, deck, md_path, fmt, browser), cwd=md_path.parent, env=env,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
        except FileNotFoundError as err:
            raise BuildError(f"marp-cli: cannot run node: {err.strerror}", ExitCode.MISSING_TOOL) from None
    timings, failures = {}, []
    for fmt, proc in procs.items():
        output, _ = proc.communicate(timeout=600)
        timings[fmt] = time.perf_counter() - started
        if proc.returncode != 0 or not md_path.with_suffix(f".{fmt}").is_file():
            failures.append(tool_failed(f"marp-cli ({fmt})", proc.returncode, output))
    if failures:
        raise BuildError("\n".join(f.message for f in failures), ExitCode.TOOL_FAILED)
    return timings
