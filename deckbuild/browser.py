"""Find a Chromium to drive (marp-cli's PDF export, mermaid-cli, the tests). Nothing is downloaded.

Order (as marp-cli's finders do it): explicit path -> $CHROME_PATH -> chromium / chromium-browser /
google-chrome on PATH -> Playwright's installed Chromium -> a clear error naming what was tried.
`python3 -m deckbuild.browser --ensure` is the setup step: on a Debian-like machine where we are
root and none is found, it installs Debian's `chromium` with apt-get. Standard library only, so it
runs before the venv exists.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping

from deckbuild.errors import BuildError, ExitCode

PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Flags headless Chromium needs on a locked-down machine (root, no GPU, no network but loopback).
HEADLESS_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def _executable(path: str | Path) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def _playwright_chromiums(env: Mapping[str, str]) -> list[Path]:
    base = Path(env.get("PLAYWRIGHT_BROWSERS_PATH") or Path(env.get("HOME", "~")).expanduser() / ".cache" / "ms-playwright")
    patterns = ("chromium-*/chrome-linux*/chrome", "chromium_headless_shell-*/chrome-linux*/headless_shell")
    found: list[Path] = []
    for pattern in patterns:
        found.extend(sorted(base.glob(pattern), reverse=True))  # newest revision first
    return found


def find_browser(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The browser executable to use, or BuildError(MISSING_TOOL) saying what was tried."""
    env = os.environ if env is None else env
    tried: list[str] = []
    if explicit:
        if _executable(explicit):
            return explicit
        raise BuildError(f"browser {explicit!r} (from --browser) is not an executable file", ExitCode.MISSING_TOOL)
    chrome_path = env.get("CHROME_PATH")
    if chrome_path:
        if _executable(chrome_path):
            return chrome_path
        raise BuildError(f"CHROME_PATH={chrome_path} is not an executable file", ExitCode.MISSING_TOOL)
    tried.append("$CHROME_PATH (unset)")
    for name in PATH_NAMES:
        found = shutil.which(name, path=env.get("PATH", ""))
        if found:
            return found
    tried.append("PATH: " + ", ".join(PATH_NAMES))
    for candidate in _playwright_chromiums(env):
        if _executable(candidate):
            return str(candidate)
    tried.append("Playwright's browsers folder")
    raise BuildError(
        "no Chromium found (tried " + "; ".join(tried) + "). Install one: `apt-get install chromium` "
        "(Debian/Ubuntu; `make setup` does this when run as root), or point the build at an existing "
        "browser with CHROME_PATH=/path/to/chrome or `build.py --browser /path/to/chrome`.",
        ExitCode.MISSING_TOOL,
    )


def ensure_browser() -> int:
    """Setup step: report the browser, or install Debian's chromium when we can."""
    try:
        print(f"browser: {find_browser()}")
        return 0
    except BuildError as missing:
        can_apt = shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0
        if not can_apt:
            print(f"error: {missing.message}", file=sys.stderr)
            return int(missing.exit_code)
    print("no browser found; installing Debian's chromium with apt-get ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        if subprocess.run(cmd, env=env).returncode != 0:
            print(f"error: `{' '.join(cmd)}` failed; install a Chromium yourself and set CHROME_PATH", file=sys.stderr)
            return int(ExitCode.MISSING_TOOL)
    try:
        print(f"browser: {find_browser()}")
        return 0
    except BuildError as still_missing:
        print(f"error: {still_missing.message}", file=sys.stderr)
        return int(still_missing.exit_code)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ensure", action="store_true", help="install Debian's chromium when none is found (root only)")
    args = parser.parse_args()
    if args.ensure:
        sys.exit(ensure_browser())
    try:
        print(find_browser())
    except BuildError as err:
        print(f"error: {err.message}", file=sys.stderr)
        sys.exit(int(err.exit_code))
