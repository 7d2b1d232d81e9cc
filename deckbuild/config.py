"""The one frozen configuration object, built once from the command line and passed explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    root: Path = REPO_ROOT  # the project: slides/ and theme/ live here
    build_dir: Path = REPO_ROOT / "build"
    node_modules: Path = REPO_ROOT / "node_modules"  # where marp-cli and mermaid-cli are installed
    browser: str | None = None  # explicit browser path (--browser); else CHROME_PATH, PATH, ...
    demos_dir: Path = REPO_ROOT / "demos"  # demo packages (hashed) and their captures/
    env: tuple[tuple[str, str], ...] = field(default_factory=lambda: tuple(sorted(os.environ.items())))

    @property
    def slides_dir(self) -> Path:
        return self.root / "slides"

    @property
    def theme_dir(self) -> Path:
        return self.root / "theme"

    @property
    def cache_dir(self) -> Path:
        return self.build_dir / ".cache"

    @property
    def staging_dir(self) -> Path:
        """Where a build writes before it succeeds; moved into build/ only at the end."""
        return self.build_dir / ".staging"

    def getenv(self, name: str) -> str | None:
        return dict(self.env).get(name)

    def deck_names(self) -> list[str]:
        """Every folder under slides/ holding a deck.toml or a Markdown file is a deck (a Marp file
        dropped into slides/<name>/ is one); folders starting with `_` or `.` are not."""
        if not self.slides_dir.is_dir():
            return []
        return sorted(p.name for p in self.slides_dir.iterdir()
                      if p.is_dir() and not p.name.startswith(("_", ".")) and ((p / "deck.toml").is_file() or any(p.glob("*.md"))))
