"""An extractive summarizer (Luhn-style): it picks sentences from the text, it writes nothing new.

Each sentence is scored by how frequent its meaningful words are in the whole document; the
top-scoring sentences are returned in document order. Stand-in for an LLM summarization call,
with the same shape (text in, short text out) and none of the cost.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from demos.ingestion.text import clean_markdown, content_words

NAME = "extractive-tf-3"
DESCRIPTION = (
    "extractive summarizer: the 3 sentences with the highest term-frequency score, "
    "in document order (Luhn-style); no LLM"
)
SENTENCES = 3
MIN_WORDS = 4  # shorter fragments (headings like "Why Temporal") are not summary sentences

CODE_FENCE_BLOCK = re.compile(r"```.*?```", re.DOTALL)
MARKDOWN_PREFIX = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentences(markdown: str) -> list[str]:
    """Sentences of the prose: code blocks dropped, each line (bullet, heading) its own unit."""
    prose = CODE_FENCE_BLOCK.sub("\n", clean_markdown(markdown))
    found = []
    for line in prose.splitlines():
        line = MARKDOWN_PREFIX.sub("", line).replace("**", "").replace("`", "").strip()
        if line in ("", "---") or line.startswith("<!--") or line.startswith("|"):
            continue
        found.extend(s.strip() for s in SENTENCE_END.split(line) if len(s.split()) >= MIN_WORDS)
    return found


def summarize(markdown: str, limit: int = SENTENCES) -> str:
    candidates = sentences(markdown)
    frequency = Counter(content_words(" ".join(candidates)))
    if not frequency:
        return ""
    top = max(frequency.values())

    def score(sentence: str) -> float:
        terms = content_words(sentence)
        # Dividing by sqrt(length) rewards dense sentences without always picking the longest one.
        return sum(frequency[t] / top for t in terms) / math.sqrt(len(terms)) if terms else 0.0

    ranked = sorted(range(len(candidates)), key=lambda i: (-score(candidates[i]), i))[:limit]
    return " ".join(candidates[i] for i in sorted(ranked))
