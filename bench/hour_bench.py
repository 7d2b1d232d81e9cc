"""A compressed hour on stage (part of `make bench`): one real `make present` session gets what a long
talk gives it, faster: 300 saves, 30 live runs across the demos, 10 kill/start cycles of a worker,
5 page reloads and one Temporal restart. Printed: the session tree's RSS, open file descriptors,
threads and processes at the start and at the end (target: growth under 10 %), and the errors seen
(target: zero: a refused or failed request, a build failure, a traceback in the session's output).

Bounded: fixed counts, a timeout on every wait; the session is stopped at the end.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deckbuild.present.proctree import descendants  # noqa: E402
from tests.present_session import PresentProcess  # noqa: E402

SAVES, RUNS, KILLS, RELOADS = 300, 30, 10, 5
RUN_DEMOS = ("retries", "inbox", "durability", "versioning", "ingestion")


def tree_usage(pid: int) -> dict[str, float]:
    """RSS (MiB), open fds, threads and processes of a process and all its descendants."""
    rss = fds = threads = 0
    pids = [pid, *descendants(pid)]
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
            rss += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            threads += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("Threads:"))
            fds += len(os.listdir(f"/proc/{p}/fd"))
        except (OSError, StopIteration):
            continue
    return {"rss_mib": rss / 1024, "fds": fds, "threads": threads, "processes": len(pids)}


class Stage:
    def __init__(self, present: PresentProcess):
        self.present = present
        self.errors: list[str] = []

    def post(self, path: str, body: dict | None = None, timeout_s: float = 30) -> dict:
        request = urllib.request.Request(f"{self.present.url}{path}", data=json.dumps(body or {}).encode(), method="POST",
                                         headers={"Content-Type": "application/json", "X-Present-Token": self.present.token,
                                                  "Origin": self.present.url.rstrip("/")})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as err:
            self.errors.append(f"POST {path}: {err.code} {err.read().decode(errors='replace')[:200]}")
            return {}
        except (urllib.error.URLError, OSError) as err:
            self.errors.append(f"POST {path}: {err}")
            return {}


def _save(path: Path, text: str) -> None:
    """As an editor saves: the new text to a file beside it, then a rename (no half-written file)."""
    scratch = path.with_name(f".{path.name}.swp")
    scratch.write_text(text)
    scratch.replace(path)


def run() -> list[tuple[str, str, str, float | None, str]]:
    import tempfile

    from playwright.sync_api import sync_playwright

    from tests.deckcheck import launch_options

    with tempfile.TemporaryDirectory(prefix="hour-bench-") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(**launch_options())
        present = PresentProcess.on_copy(Path(tmp) / "project").start()
        try:
            present.wait_until_ready()
            stage = Stage(present)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(present.url + "#3")
            page.wait_for_function("() => window.__present && window.__present.version > 0")
            for name in RUN_DEMOS:  # warm: every action once before the first measurement
                stage.post(f"__present/demo/{name}/run")
            time.sleep(5)
            before = tree_usage(present.proc.pid)
            slide = present.root / "slides/talk/03-what-temporal-is.md"
            original = slide.read_text()
            started = time.monotonic()
            for n in range(SAVES):
                _save(slide, original.replace("## What Temporal Is", f"## What Temporal Is ({n})", 1))
                if n % 10 == 9:  # every tenth save, as a presenter would, waits to see it
                    try:
                        page.wait_for_function("n => (document.querySelector('svg.bespoke-marp-active h2') || {}).textContent.includes('(' + n + ')')",
                                               arg=n, timeout=30000)
                    except Exception as err:  # noqa: BLE001 - counted, and the run goes on
                        stage.errors.append(f"save {n} not visible within 30 s: {type(err).__name__}")
                else:
                    time.sleep(0.05)
                if n % (SAVES // RUNS) == 0:
                    stage.post(f"__present/demo/{RUN_DEMOS[(n // (SAVES // RUNS)) % len(RUN_DEMOS)]}/run")
                if n % (SAVES // KILLS) == 5:
                    stage.post("__present/demo/durability/worker/kill")
                    time.sleep(0.5)
                    stage.post("__present/demo/durability/worker/start")
                if n % (SAVES // RELOADS) == 7:
                    page.reload()
                    page.wait_for_function("() => window.__present && window.__present.version > 0", timeout=30000)
                if n == SAVES // 2:  # Temporal dies mid-talk: the session restarts it; the slides say CACHED meanwhile
                    dead = present.status()["temporal"]["pid"]
                    os.kill(dead, signal.SIGKILL)
                    present.wait_for(lambda dead=dead: present.status()["temporal"]["pid"] not in (None, dead), 60, "a new dev server")
                    present.wait_until_ready(timeout_s=120)
            _save(slide, original)
            present.wait_until_ready(timeout_s=120)
            time.sleep(8)  # the last runs finish, restarted workers settle
            after = tree_usage(present.proc.pid)
            elapsed = time.monotonic() - started
            out = present.output()
            stage.errors += [f"session: {line}" for line in out.splitlines() if re.search(r"Traceback|build failed|unexpected error", line)]
            page.close()
        finally:
            code = present.stop()
            browser.close()
        if code != 0:
            stage.errors.append(f"present exited with {code}")
    rows = []
    for key, unit in (("rss_mib", "MiB"), ("fds", ""), ("threads", ""), ("processes", "")):
        growth = (after[key] - before[key]) / before[key] if before[key] else 0.0
        rows.append((f"hour on stage: session tree {key.replace('_mib', '')} end vs start", f"{after[key]:.0f} {unit}".strip(),
                     f"{before[key]:.0f} {unit}".strip(), None, "<10 %" if growth < 0.10 else f"NO: +{growth * 100:.0f} %"))
    rows.append((f"hour on stage: errors ({SAVES} saves, {RUNS} runs, {KILLS} kills, {RELOADS} reloads, 1 Temporal restart, {elapsed:.0f} s)",
                 str(len(stage.errors)), "0", None, "0" if not stage.errors else "NO: " + "; ".join(stage.errors[:3])))
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row[0]:82} {row[1]:>10} {row[2]:>10} {row[4]}")
