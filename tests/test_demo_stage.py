"""The demo stage of the build: only stale demos run, captures land in the freeze folder, a
failing demo fails the build (or, with --keep-going, shows a visible panel), captured text is
escaped on the slide."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from deckbuild import demos, render
from deckbuild.config import REPO_ROOT, Config
from deckbuild.errors import BuildError, ExitCode
from tests.conftest import copy_project, run_build


@pytest.fixture
def demos_copy(tmp_path: Path) -> Path:
    """A copy of demos/ (sources and captures) and of the files demos declare as inputs."""
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "demos", root / "demos", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO_ROOT / "slides", root / "slides")  # the ingestion demo's corpus
    return root / "demos"


def fake_runner(outcomes: dict, calls: list):
    async def run(cfg: Config, names: list[str]):
        calls.append(list(names))
        return {name: copy.deepcopy(outcomes[name]) for name in names}

    return run


def test_only_stale_demos_run_and_their_captures_are_written(demos_copy: Path, monkeypatch: pytest.MonkeyPatch):
    cfg = Config(demos_dir=demos_copy)
    (demos_copy / "captures" / "retries.json").unlink()
    calls: list = []
    fresh = {"demo": "retries", "result": "fresh run"}
    monkeypatch.setattr(demos, "_run_demos", fake_runner({"retries": fresh}, calls))
    run = demos.capture_all(cfg)
    assert calls == [["retries"]] and run.ran == ("retries",)
    written = json.loads((demos_copy / "captures" / "retries.json").read_text())
    assert written["result"] == "fresh run" and written["cache_key"] == demos.capture_key(cfg, "retries")
    assert demos.capture_all(cfg).ran == ()  # now everything is current
    assert calls == [["retries"]]
    # A demo's declared input changed (a document of the ingestion corpus): only that demo is stale.
    document = demos_copy / "ingestion/corpus/01-durable-execution.md"
    document.write_text(document.read_text() + "\nEdited.\n")
    monkeypatch.setattr(demos, "_run_demos", fake_runner({"ingestion": {"demo": "ingestion"}}, calls))
    assert demos.capture_all(cfg).ran == ("ingestion",)


def test_a_failing_demo_fails_the_build_naming_demo_step_and_reason(demos_copy: Path, monkeypatch: pytest.MonkeyPatch):
    cfg = Config(demos_dir=demos_copy)
    (demos_copy / "captures" / "inbox.json").unlink()
    (demos_copy / "captures" / "retries.json").unlink()
    failure = BuildError("demo 'inbox' failed at step 'signal add_item': activity timed out", ExitCode.DEMO_FAILED)
    monkeypatch.setattr(demos, "_run_demos", fake_runner({"inbox": failure, "retries": {"demo": "retries"}}, []))
    with pytest.raises(BuildError) as err:
        demos.capture_all(cfg)
    assert err.value.exit_code == ExitCode.DEMO_FAILED
    assert "demo 'inbox' failed at step 'signal add_item': activity timed out" in err.value.message
    assert (demos_copy / "captures" / "retries.json").is_file()  # the other demo's good run is kept
    monkeypatch.setattr(demos, "_run_demos", fake_runner({"inbox": failure}, []))
    run = demos.capture_all(cfg, keep_going=True)
    assert run.captures["inbox"] == {"demo": "inbox", "failed": True, "error": failure.message}


def real_captures() -> dict:
    cfg = Config()
    return {name: demos.load_capture(cfg, name) for name in demos.demo_names(cfg)}


def render_talk(tmp_path: Path, captures: dict) -> str:
    root = copy_project(tmp_path / "project")
    cfg = Config(root=root, build_dir=root / "build")
    rendered = render.render_deck(cfg, render.load_deck(cfg, "talk"), {"demos": captures})
    return "\n".join(slide.text for slide in rendered.files)


def test_keep_going_shows_a_visible_failed_panel(tmp_path: Path):
    captures = real_captures()
    captures["retries"] = {"demo": "retries", "failed": True, "error": "demo 'retries' failed at step 'charge': <b>gateway</b> down"}
    text = render_talk(tmp_path, captures)
    assert '<div class="demo-failed"><strong>demo failed</strong> — demo &#39;retries&#39; failed at step &#39;charge&#39;: &lt;b&gt;gateway&lt;/b&gt; down</div>' in text


def test_captured_text_cannot_inject_markup(tmp_path: Path):
    captures = real_captures()
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    captures["inbox"]["extra"]["prioritized"][0]["title"] = evil
    captures["inbox"]["extra"]["rejected_update"] = evil
    captures["versioning"]["extra"]["unpatched_replay_error"] = evil
    captures["ingestion"]["extra"]["query"] = evil
    captures["retries"]["command"] = evil
    text = render_talk(tmp_path, captures)
    assert "<script>" not in text and "<img src=x" not in text
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 5


def test_the_demos_command_runs_a_real_demo_into_the_freeze_folder(demos_copy: Path):
    """End to end with a real dev server: `build.py demos --demo versioning --refresh-demos`."""
    before = (demos_copy / "captures" / "versioning.json").read_text()
    result = run_build("demos", "--demo", "versioning", "--refresh-demos", "--demos-dir", str(demos_copy), demos=True)
    assert result.returncode == 0, result.output
    assert "demos: ran versioning in" in result.stdout
    after = json.loads((demos_copy / "captures" / "versioning.json").read_text())
    assert after["run_id"] != json.loads(before)["run_id"]  # a new run, not the old file
    assert after["result"]["path"] == "v1" and after["extra"]["new_run"]["result"]["path"] == "v2"
    assert "Nondeterminism" in after["extra"]["unpatched_replay_error"]
    result = run_build("demos", "--demo", "nope", "--demos-dir", str(demos_copy), demos=True)
    assert result.returncode == int(ExitCode.SOURCE) and "no demo named 'nope'" in result.stderr


def test_no_temporal_cli_is_one_clear_message(demos_copy: Path):
    import os

    env = dict(os.environ, TEMPORAL_CLI="/nonexistent/temporal")
    result = run_build("demos", "--demo", "retries", "--refresh-demos", "--demos-dir", str(demos_copy), env=env, demos=True)
    assert result.returncode == int(ExitCode.MISSING_TOOL), result.output
    assert result.stderr.strip() == "error: demos: TEMPORAL_CLI=/nonexistent/temporal is not an executable file"
