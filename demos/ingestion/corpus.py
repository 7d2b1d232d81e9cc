"""Which files get ingested by default: the talk's own slide sources."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Corpus:
    directory: Path
    pattern: str  # glob relative to directory

    def files(self) -> list[Path]:
        return sorted(p for p in self.directory.glob(self.pattern) if p.is_file())


def default_corpus(repo_root: Path = REPO_ROOT) -> Corpus:
    """slides/**/*.md of the repository; the demos' READMEs while there are no slides yet."""
    slides = Corpus(repo_root / "slides", "**/*.md")
    if slides.files():
        return slides
    return Corpus(repo_root / "demos", "*/README.md")
