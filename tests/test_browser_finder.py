"""The browser is found in order: --browser, $CHROME_PATH, PATH names, Playwright's folder; else a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from deckbuild.browser import find_browser
from deckbuild.errors import BuildError, ExitCode


def fake_exe(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def test_order(tmp_path: Path):
    on_path = fake_exe(tmp_path / "bin" / "chromium")
    env_chrome = fake_exe(tmp_path / "opt" / "chrome")
    explicit = fake_exe(tmp_path / "explicit" / "chrome")
    pw = fake_exe(tmp_path / "pw" / "chromium-1200" / "chrome-linux" / "chrome")
    env = {"PATH": str(tmp_path / "bin"), "CHROME_PATH": env_chrome, "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "pw")}
    assert find_browser(explicit, env) == explicit
    assert find_browser(None, env) == env_chrome
    del env["CHROME_PATH"]
    assert find_browser(None, env) == on_path
    env["PATH"] = str(tmp_path / "empty")
    assert find_browser(None, env) == pw


def test_google_chrome_on_path_is_found(tmp_path: Path):
    chrome = fake_exe(tmp_path / "bin" / "google-chrome")
    assert find_browser(None, {"PATH": str(tmp_path / "bin"), "HOME": str(tmp_path)}) == chrome


def test_nothing_found_says_what_was_tried_and_how_to_fix(tmp_path: Path):
    with pytest.raises(BuildError) as err:
        find_browser(None, {"PATH": str(tmp_path), "HOME": str(tmp_path)})
    assert err.value.exit_code == ExitCode.MISSING_TOOL
    for words in ("$CHROME_PATH (unset)", "PATH: chromium, chromium-browser, google-chrome", "Playwright", "apt-get install chromium", "CHROME_PATH=/path/to/chrome"):
        assert words in err.value.message


def test_a_chrome_path_that_is_not_executable_is_an_error_not_skipped(tmp_path: Path):
    fake_exe(tmp_path / "bin" / "chromium")
    with pytest.raises(BuildError, match="CHROME_PATH=/no/such is not an executable"):
        find_browser(None, {"PATH": str(tmp_path / "bin"), "CHROME_PATH": "/no/such"})
