"""Split a Markdown document into chunks small enough to embed and to quote as a search hit.

Boundaries follow the document's own structure: a Marp slide separator (`---`) always ends a
chunk, paragraphs are packed together up to a word budget, and only a paragraph that alone exceeds
the budget is cut mid-text (into word windows).
"""

from __future__ import annotations

import re

from demos.ingestion.text import clean_markdown

SLIDE_SEPARATOR = re.compile(r"^\s*---\s*$", re.MULTILINE)
BLANK_LINES = re.compile(r"\n\s*\n")
FENCE = "```"


def chunk_markdown(markdown: str, max_words: int = 120) -> list[str]:
    if max_words < 1:
        raise ValueError("max_words must be positive")
    chunks: list[str] = []
    for section in SLIDE_SEPARATOR.split(clean_markdown(markdown)):
        chunks.extend(_pack(_paragraphs(section), max_words))
    return chunks


def _paragraphs(section: str) -> list[str]:
    """Blank-line separated blocks, except that a fenced code block stays one block."""
    blocks: list[str] = []
    open_fence: list[str] = []
    for block in (b.strip() for b in BLANK_LINES.split(section)):
        if not block:
            continue
        if open_fence:
            open_fence.append(block)
            if block.count(FENCE) % 2 == 1:  # this block closes the fence
                blocks.append("\n\n".join(open_fence))
                open_fence = []
        elif block.count(FENCE) % 2 == 1:  # opens a fence that continues past a blank line
            open_fence = [block]
        else:
            blocks.append(block)
    if open_fence:  # unterminated fence: keep its text anyway
        blocks.append("\n\n".join(open_fence))
    return blocks


def _pack(paragraphs: list[str], max_words: int) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    current_words = 0
    for paragraph in paragraphs:
        size = len(paragraph.split())
        if current and current_words + size > max_words:
            chunks.append("\n\n".join(current))
            current, current_words = [], 0
        if size > max_words:
            tokens = paragraph.split()
            windows = [tokens[i : i + max_words] for i in range(0, len(tokens), max_words)]
            chunks.extend(" ".join(window) for window in windows[:-1])
            paragraph, size = " ".join(windows[-1]), len(windows[-1])
        current.append(paragraph)
        current_words += size
    if current:
        chunks.append("\n\n".join(current))
    return chunks
