"""Present mode's speed, each figure beside a baseline measured in the same run (part of `make bench`).

- save-to-visible for a one-line text edit on slide 3, in real Chromium: from the file write to the
  new text visible on the same slide; median of 10, with the session's own breakdown per stage.
  Baseline: marp-cli's own `marp --server --watch` on the same deck (build/talk.md), which reloads
  the page. Target <= 0.4x (Slidev's hot update measured 0.43x of marp-cli's on this machine).
- save-to-visible for a Mermaid diagram edit: the new diagram image loaded on its slide; median of 5.
  Target <= 1.0 s; baseline: one mermaid-cli process rendering that one diagram.
- `make present` (set up, second start) to the first slide visible in the browser. Target <= 3 s;
  baseline: `marp --server` to its first slide visible.
- a Marp file dropped into slides/<name>/ (no demo slides): `build.py present --deck <name>` to its
  first slide visible, beside `marp --server` serving the same file. Target: no slower (<= 1.0x).
- the talk's start to every one of its workers ready (only its own demos' workers), beside a deck
  that shows every demo (what each deck started before: every demo's workers): seconds and processes.
- "Run live" clicked to the run's first event drawn in its live picture; median of 5. Target <= 500 ms;
  baseline: the page's own round trip for a refused control.
- the live picture (bench/live_bench.py): event -> picture, click -> arrow, long tasks, keys.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deckbuild.present.proctree import stop_tree  # noqa: E402
from tests.deckcheck import launch_options  # noqa: E402
from tests.present_session import PresentProcess  # noqa: E402

import live_bench  # noqa: E402  (bench/ is on sys.path when this file runs)
import phone_bench  # noqa: E402
import share_bench  # noqa: E402

EDITS = 10
DIAGRAM_EDITS = 5
TEXT_SLIDE = "03-what-temporal-is.md"
TEXT_LINE = "## What Temporal Is"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, timeout_s: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not answer within {timeout_s:g} s")


def _save_to_visible(page, path: Path, old: str, make_new, selector: str, runs: int) -> float:
    """Median seconds from writing `path` (old -> new text) to `selector` showing the new text."""
    times = []
    original = path.read_text()
    try:
        for n in range(runs):
            new = make_new(n)
            text = original.replace(old, new, 1)
            started = time.perf_counter()
            path.write_text(text)
            page.wait_for_function(
                "([sel, want]) => [...document.querySelectorAll(sel)].some(e => e.textContent.includes(want))",
                arg=[selector, new.lstrip("# ")], polling="raf", timeout=30000,
            )
            times.append(time.perf_counter() - started)
            page.wait_for_timeout(300)  # let the reload/patch settle before the next save
    finally:
        path.write_text(original)
    return statistics.median(times)


STAGES: dict[str, float] = {}  # the session's own breakdown of the text edits (ms, medians)


def _stage_medians(log: str) -> dict[str, float]:
    """From the session's `rebuilt in N ms (render a, diagrams b, marp-core c; ...)` lines."""
    found: dict[str, list[float]] = {}
    for total, stages in re.findall(r"rebuilt in (\d+) ms \(([^;]*);", log):
        found.setdefault("server total", []).append(float(total))
        for name, ms in re.findall(r"([\w-]+) (\d+)", stages):
            found.setdefault(name, []).append(float(ms))
    return {name: statistics.median(values) for name, values in found.items()}


def bench_text_edit(base: Path, browser) -> tuple[float, float]:
    # Ours: a present session (deck only: Temporal idles either way) on a copy of the project.
    present = PresentProcess.on_copy(base / "present-text", temporal=False).start()
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(present.url + "#3")
        page.wait_for_function("() => window.__present && window.__present.version > 0")
        ours = _save_to_visible(page, present.root / "slides" / "talk" / TEXT_SLIDE, TEXT_LINE,
                                lambda n: f"{TEXT_LINE} (edit {n})", "svg.bespoke-marp-active h2", EDITS)
        page.close()
        STAGES.update(_stage_medians(present.output()))
        # Baseline: marp-cli's server on the same deck, the Markdown our build hands it.
        md_dir = base / "marp-server"
        md_dir.mkdir()
        built = present.root / "build" / "talk.md"
        subprocess.run([sys.executable, str(REPO / "build.py"), "render", "--deck", "talk", "--root", str(present.root), "--no-demos"],
                       check=True, capture_output=True)
        (md_dir / "talk.md").write_text(built.read_text())
    finally:
        present.stop()
    port = _free_port()
    node = str(REPO / "node_modules/@marp-team/marp-cli/marp-cli.js")
    marp = subprocess.Popen(["node", node, "--no-config-file", "--server", "--watch", "--html", "--theme-set",
                             str(REPO / "theme/midnight-blue.css"), "-I", str(md_dir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env=dict(os.environ, PORT=str(port)))
    try:
        _wait_http(f"http://127.0.0.1:{port}/talk.md")
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"http://127.0.0.1:{port}/talk.md#3")
        page.wait_for_selector("svg.bespoke-marp-active h2")
        baseline = _save_to_visible(page, md_dir / "talk.md", TEXT_LINE, lambda n: f"{TEXT_LINE} (edit {n})",
                                    "svg.bespoke-marp-active h2", EDITS)
        page.close()
    finally:
        stop_tree(marp)
    return ours, baseline


def bench_diagram_edit(base: Path, browser) -> tuple[float, float]:
    present = PresentProcess.on_copy(base / "present-diagram", temporal=False).start()
    slide = present.root / "slides" / "talk" / "12-architecture.md"
    source = slide.read_text()
    match = re.search(r"```mermaid\n(.*?)```", source, re.S)
    label = re.search(r'\["([^"<]{4,})', match.group(1))  # the first node label, e.g. ["User / API"]
    try:
        # The warm renderer comes up behind the first slide; a presenter edits diagrams after that.
        try:
            present.wait_for(lambda: present.status()["renderer"], 60, "the warm diagram renderer")
        except AssertionError:
            print("note: no warm diagram renderer came up; measuring the cold path", file=sys.stderr)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(present.url)
        page.wait_for_function("() => window.__present && window.__present.version > 0")
        # A file may hold several slides: find the slide by its heading.
        number = page.evaluate("() => [...document.querySelectorAll('svg[data-marpit-svg]')]"
                               ".findIndex(s => (s.querySelector('h2') || {}).textContent === 'Architecture Sketch') + 1")
        page.evaluate(f"location.hash = '#{number}'")
        times = []
        for n in range(DIAGRAM_EDITS):
            before = page.evaluate("() => document.querySelector('svg.bespoke-marp-active .diagram img').src")
            started = time.perf_counter()
            slide.write_text(source.replace(label.group(0), f'["{label.group(1)} v{n}', 1))
            page.wait_for_function(
                "before => { const img = document.querySelector('svg.bespoke-marp-active .diagram img');"
                " return img && img.src !== before && img.complete && img.naturalWidth > 0; }",
                arg=before, polling="raf", timeout=60000,
            )
            times.append(time.perf_counter() - started)
            page.wait_for_timeout(300)
        ours = statistics.median(times)
    finally:
        slide.write_text(source)
        present.stop()
    # Baseline: one mermaid-cli process for that one diagram.
    work = base / "mmdc-one"
    work.mkdir()
    (work / "d.mmd").write_text(match.group(1))
    started = time.perf_counter()
    subprocess.run([str(REPO / "node_modules/.bin/mmdc"), "-i", "d.mmd", "-o", "d.svg", "-b", "transparent", "-p", str(_puppeteer_config(work))],
                   cwd=work, check=True, capture_output=True)
    return ours, time.perf_counter() - started


def _puppeteer_config(work: Path) -> Path:
    import json

    from deckbuild.browser import HEADLESS_ARGS, find_browser

    path = work / "puppeteer.json"
    path.write_text(json.dumps({"executablePath": find_browser(), "args": list(HEADLESS_ARGS)}))
    return path


def _first_slide_visible(browser, url: str, spawn) -> float:
    started = time.perf_counter()
    proc = spawn()
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        # Wait for the port with a bare connect (a refused page load costs Chromium an error page,
        # which would be counted against both servers), then load the deck as a presenter does.
        port = int(url.split(":")[2].split("/")[0])
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - started > 60:
                    raise SystemExit(f"{url}: the server did not come up") from None
                time.sleep(0.01)
        while True:
            try:
                page.goto(url, timeout=2000)
                page.wait_for_selector("svg.bespoke-marp-active h1", timeout=5000)
                break
            except Exception:  # noqa: BLE001 - not listening yet
                if proc.poll() is not None or time.perf_counter() - started > 60:
                    raise SystemExit(f"{url}: the server did not come up")
                time.sleep(0.05)
        elapsed = time.perf_counter() - started
        page.close()
        return elapsed
    finally:
        try:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, to the whole foreground group like a terminal
            proc.wait(timeout=40)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            stop_tree(proc)


def bench_start(base: Path, browser) -> tuple[float, float]:
    port = _free_port()
    make = lambda: subprocess.Popen(["make", "--no-print-directory", "present", f"PORT={port}"], cwd=REPO, start_new_session=True,  # noqa: E731
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _first_slide_visible(browser, f"http://127.0.0.1:{port}/", make)  # first start: builds the caches
    ours = statistics.median(_first_slide_visible(browser, f"http://127.0.0.1:{port}/", make) for _ in range(3))
    md_dir = base / "marp-start"
    md_dir.mkdir()
    subprocess.run([sys.executable, str(REPO / "build.py"), "render", "--deck", "talk", "--no-demos", "--build-dir", str(md_dir)], check=True, capture_output=True)
    node = str(REPO / "node_modules/@marp-team/marp-cli/marp-cli.js")
    marp = lambda: subprocess.Popen(["node", node, "--no-config-file", "--server", "--html", "--theme-set", str(REPO / "theme/midnight-blue.css"),  # noqa: E731
                                     "-I", str(md_dir)], cwd=md_dir, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    env=dict(os.environ, PORT=str(port)))
    baseline = statistics.median(_first_slide_visible(browser, f"http://127.0.0.1:{port}/talk.md", marp) for _ in range(3))
    return ours, baseline


def bench_start_marp_deck(base: Path, browser) -> tuple[float, float]:
    """A dropped-in Marp deck without demo slides: present (second start, caches warm) vs marp --server."""
    import shutil

    name = "cli-example"
    root = PresentProcess.on_copy(base / "marp-deck").root
    shutil.copytree(REPO / "tests/data/marp-decks" / name, root / "slides" / name)
    port = _free_port()
    argv = [sys.executable, str(REPO / "build.py"), "present", "--root", str(root), "--demos-dir", str(root / "demos"), "--deck", name, "--port", str(port)]
    ours_start = lambda: subprocess.Popen(argv, cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: E731
    _first_slide_visible(browser, f"http://127.0.0.1:{port}/", ours_start)  # first start: builds the caches
    ours = statistics.median(_first_slide_visible(browser, f"http://127.0.0.1:{port}/", ours_start) for _ in range(3))
    deck_dir = base / "marp-deck-alone"
    shutil.copytree(REPO / "tests/data/marp-decks" / name, deck_dir)
    node = str(REPO / "node_modules/@marp-team/marp-cli/marp-cli.js")
    marp = lambda: subprocess.Popen(["node", node, "--no-config-file", "--server", "--html", "-I", str(deck_dir)], cwd=deck_dir,  # noqa: E731
                                    start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, PORT=str(port)))
    baseline = statistics.median(_first_slide_visible(browser, f"http://127.0.0.1:{port}/slides.md", marp) for _ in range(3))
    return ours, baseline


def bench_workers_ready(base: Path) -> tuple[tuple[float, int], tuple[float, int]]:
    """The talk from start to all of its workers polling, beside a deck showing every demo (the two
    decks' demo slides together: what any deck started before). (seconds, worker processes) each."""
    import shutil

    def measure(root: Path, deck: str) -> tuple[float, int]:
        present = PresentProcess(root, extra_args=("--deck", deck))
        started = time.perf_counter()
        present.start()
        try:
            status = present.wait_until_ready(timeout_s=180)
            return time.perf_counter() - started, len(status["pids"]["workers"])
        finally:
            present.stop()

    root = PresentProcess.on_copy(base / "workers-ready").root
    every = root / "slides" / "every-demo"
    every.mkdir()
    files = sorted(p for deck in ("talk", "training") for p in (root / "slides" / deck).glob("*.md") if "demo" in p.name or "run" in p.name)
    for number, path in enumerate(files, 1):
        shutil.copy(path, every / f"{number:02d}-{path.name}")
    (every / "deck.toml").write_text('title = "Every demo"\ntheme = "midnight-blue"\n[vars]\nspeaker = "x"\n')
    runs = [(measure(root, "talk"), measure(root, "every-demo")) for _ in range(2)]  # alternated: neither gets the warmer caches
    ours = (statistics.median(r[0][0] for r in runs), runs[0][0][1])
    baseline = (statistics.median(r[1][0] for r in runs), runs[0][1][1])
    return ours, baseline


def bench_first_live_event(base: Path, browser, runs: int = 5) -> tuple[float, float]:
    """Click "Run live" on the retries slide -> the first event of the new run visible on it; median.
    Baseline: the same page's round trip to the server for a control that starts nothing (a 403)."""
    present = PresentProcess.on_copy(base / "present-live").start()
    try:
        present.wait_until_ready()
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(present.url)
        page.wait_for_function("() => window.__present && window.__present.version > 0")
        number = page.evaluate("() => [...document.querySelectorAll('svg[data-marpit-svg]')].findIndex(s => s.querySelector('[data-demo=retries]')) + 1")
        page.evaluate(f"location.hash = '#{number}'")
        times = []
        for _ in range(runs):
            before = page.evaluate("() => ((window.__present.demos.retries || {}).run || {}).run_id || ''")
            started = time.perf_counter()
            page.locator("svg.bespoke-marp-active .present-btn", has_text="Run live").click()
            page.wait_for_function(  # the new run's picture, with its first event drawn
                "before => { const v = document.querySelector('svg.bespoke-marp-active .present-live');"
                " return v && !v.dataset.version.startsWith(before + ':') && v.querySelector('g.story-row'); }",
                arg=before, polling="raf", timeout=30000,
            )
            times.append(time.perf_counter() - started)
            page.wait_for_timeout(500)
        started = time.perf_counter()
        for _ in range(runs):
            page.evaluate("() => fetch('/__present/demo/retries/run', {method: 'POST'}).then(r => r.status)")
        round_trip = (time.perf_counter() - started) / runs
        page.close()
    finally:
        present.stop()
    return statistics.median(times), round_trip


def run(base: Path) -> list[tuple[str, str, str, float | None, str]]:
    """Rows for bench.py's table: (measure, ours, baseline, ratio or None, target)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(**launch_options())
        try:
            text, marp_text = bench_text_edit(base, browser)
            diagram, mmdc_one = bench_diagram_edit(base, browser)
            start, marp_start = bench_start(base, browser)
            marp_deck, marp_deck_baseline = bench_start_marp_deck(base, browser)
            (workers_s, workers_n), (every_s, every_n) = bench_workers_ready(base)
            first_event, round_trip = bench_first_live_event(base, browser)
            picture = live_bench.bench_live_picture(base, browser)
            room = share_bench.run(base, browser)
            phones = phone_bench.run(base, browser)  # the room reads it on its phones (issue 21)
        finally:
            browser.close()
    breakdown = ", ".join(f"{name} {ms:.0f}" for name, ms in STAGES.items())
    return [
        ("text edit save-to-visible vs marp --server --watch", f"{text * 1000:.0f} ms", f"{marp_text * 1000:.0f} ms", text / marp_text, 0.4),
        (f"  of which, in the session (ms, medians): {breakdown}", "", "", None, ""),
        ("diagram edit save-to-visible (vs one mmdc run)", f"{diagram:.2f} s", f"{mmdc_one:.2f} s", None, "<=1.0 s" if diagram <= 1.0 else "NO: >1.0 s"),
        ("make present to first slide (vs marp --server)", f"{start:.2f} s", f"{marp_start:.2f} s", None, "<=3 s" if start <= 3.0 else "NO: >3 s"),
        ("dropped-in Marp deck: present to first slide (vs marp --server)", f"{marp_deck:.2f} s", f"{marp_deck_baseline:.2f} s",
         marp_deck / marp_deck_baseline, 1.0),
        (f"talk: start to its workers ready ({workers_n} processes; vs a deck showing every demo: {every_n})", f"{workers_s:.1f} s",
         f"{every_s:.1f} s", workers_s / every_s, 1.0),
        ("Run live click to first event in the picture (vs a 403)", f"{first_event * 1000:.0f} ms", f"{round_trip * 1000:.0f} ms", None,
         "<=500 ms" if first_event <= 0.5 else "NO: >500 ms"),
        *live_bench.rows(picture),
        *room,
        *phones,
    ]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="present-bench-") as tmp:
        for row in run(Path(tmp)):
            print(row)
