"""Fixtures for the deck pipeline tests: copies of the real project, built like a user builds them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from demos.common.process_exit import exit_without_teardown

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_build(*args: str, root: Path | None = None, env: dict[str, str] | None = None, timeout: float = 240, demos: bool = False) -> Run:
    """`python build.py ARGS` in a subprocess, as a user runs it (so a traceback would be visible).

    Deck builds use the committed captures as they are (`--no-demos`): the tests must not rewrite
    demos/captures/, whose freshness tests/demos/test_captures.py checks."""
    argv = [sys.executable, str(REPO / "build.py"), *args]
    if root is not None:
        argv += ["--root", str(root)]
    if not demos and args and args[0] != "--help":
        argv.append("--no-demos")
    proc = subprocess.run(argv, cwd=REPO, env=env if env is not None else dict(os.environ), capture_output=True, text=True, timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def copy_project(dest: Path) -> Path:
    """A copy of the project's sources (slides/, theme/): tests mutate copies, never the real files."""
    dest.mkdir(parents=True, exist_ok=True)
    for folder in ("slides", "theme"):
        shutil.copytree(REPO / folder, dest / folder)
    return dest


@pytest.fixture(scope="module")
def browser():
    """A real Chromium (the machine's, never a download), one per test module."""
    from playwright.sync_api import sync_playwright

    from tests.deckcheck import launch_options

    with sync_playwright() as p:
        chromium = p.chromium.launch(**launch_options())
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real talk, exported once per session (HTML, PDF, PPTX, handout) in a copy of the project."""
    root = copy_project(tmp_path_factory.mktemp("built") / "project")
    result = run_build("export", "--deck", "talk", root=root)
    assert result.returncode == 0, result.output
    return root


@pytest.fixture(scope="session")
def built_training(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The training deck, built once per session to HTML and PDF in its own copy of the project (its
    PPTX and handout are made as the talk's are: tests/test_travel.py reads the talk's, to save ~1 min)."""
    root = copy_project(tmp_path_factory.mktemp("built-training") / "project")
    result = run_build("all", "--deck", "training", root=root)
    assert result.returncode == 0, result.output
    return root


@pytest.fixture(scope="session")
def training_html(built_training: Path) -> Path:
    return built_training / "build" / "training.html"


@pytest.fixture(scope="session")
def training_pdf(built_training: Path) -> Path:
    return built_training / "build" / "training.pdf"


@pytest.fixture
def project_after_good_build(built_project: Path, tmp_path: Path) -> Path:
    """A private copy of a successfully built project (sources + build/ with its caches)."""
    root = tmp_path / "project"
    shutil.copytree(built_project, root)
    return root


@pytest.fixture(scope="session")
def talk_html(built_project: Path) -> Path:
    return built_project / "build" / "talk.html"


@pytest.fixture(scope="session")
def talk_pdf(built_project: Path) -> Path:
    return built_project / "build" / "talk.pdf"


@pytest.fixture(scope="session")
def present_session(tmp_path_factory: pytest.TempPathFactory, built_project: Path):
    """One real `build.py present` session (Temporal, every demo's workers, the served deck) on a copy of
    the project, shared by test_present, test_present_faults and test_stage_versioning_web_ui: starting
    one costs ~20 s. Their Ctrl-C test, marked present_shutdown, runs after all of them and stops it."""
    from tests.present_session import PresentProcess

    present = PresentProcess.on_built(built_project, tmp_path_factory.mktemp("present") / "project").start()
    try:
        present.wait_until_ready()
        yield present
    finally:
        present.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests that stop the shared present session run after every test that uses it."""
    last = [item for item in items if item.get_closest_marker("present_shutdown")]
    items[:] = [item for item in items if not item.get_closest_marker("present_shutdown")] + last


_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


def pytest_unconfigure(config: pytest.Config) -> None:
    """The demo tests load the Temporal SDK, whose runtime can abort the interpreter at exit
    (sdk-python#300) after every test passed. Everything is reported by now: leave with pytest's
    own exit status instead of risking exit 134 from interpreter teardown."""
    if _exit_status and "temporalio" in sys.modules:
        exit_without_teardown(_exit_status[-1])
