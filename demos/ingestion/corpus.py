"""Which files get ingested by default: the short documents that ship with the demo (corpus/).

The demo has its own corpus, not the talk's slides, so editing a slide never changes the demo's
input (and never makes its capture stale). inputs.txt declares the same folder for the cache key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parents[1]
CORPUS_DIR = PACKAGE_DIR / "corpus"


@dataclass(frozen=True)
class Corpus:
    directory: Path
    pattern: str  # glob relative to directory

    def files(self) -> list[Path]:
        return sorted(p for p in self.directory.glob(self.pattern) if p.is_file())


def default_corpus() -> Corpus:
    """demos/ingestion/corpus/*.md: 12 short Markdown documents about document pipelines on Temporal."""
    return Corpus(CORPUS_DIR, "*.md")
