"""Plain-text helpers shared by the chunker, embedder, summarizer and graph writer."""

from __future__ import annotations

import re
from collections import Counter

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Common English function words: they say nothing about what a passage is about, so they are
# left out of embeddings, summaries' scores and graph terms.
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each else even ever every few
    for from further get gets got had has have having he her here hers him his how however i if in
    into is it its itself just let like may me might more most much must my no nor not now of off
    on once one only or other our ours out over own per same she should so some such than that the
    their theirs them then there these they this those through to too under until up upon us very
    via was we were what when where which while who whom why will with within without would yes
    yet you your yours
    """.split()
)

FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.DOTALL)
# Marp directives such as <!-- _class: lead --> style the slide; they are not content.
# Other HTML comments (speaker notes) are kept.
MARP_DIRECTIVE = re.compile(r"<!--\s*_?[A-Za-z]+\s*:[^>]*?-->")
# Template syntax of templated Markdown ({% call m.notes() %}, {{ value }}, {# comment #}): the
# text between the tags is content, the tags are not.
TEMPLATE_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.DOTALL)


def strip_front_matter(markdown: str) -> str:
    return FRONT_MATTER.sub("", markdown, count=1)


def clean_markdown(markdown: str) -> str:
    """The document without YAML front matter, Marp directives and template tags."""
    return TEMPLATE_TAG.sub("", MARP_DIRECTIVE.sub("", strip_front_matter(markdown)))


def title_of(markdown: str, fallback: str) -> str:
    """The first Markdown heading, else the fallback (the file name)."""
    for line in clean_markdown(markdown).splitlines():
        heading = re.match(r"#{1,6}\s+(.+?)\s*#*\s*$", line)
        if heading:
            return heading.group(1).strip()
    return fallback


def words(text: str) -> list[str]:
    """Lower-cased word tokens, apostrophes kept inside words (temporal's -> temporal's)."""
    return WORD.findall(text.lower())


def content_words(text: str) -> list[str]:
    """Words that carry meaning: no stopwords, no single characters."""
    return [w for w in words(text) if len(w) > 1 and w not in STOPWORDS]


def key_terms(text: str, limit: int = 3) -> list[str]:
    """The most frequent meaningful words (3+ letters, not pure numbers), most frequent first."""
    counts = Counter(w for w in content_words(text) if len(w) >= 3 and not w.isdigit())
    # Ties break alphabetically so the result does not depend on word order quirks.
    return [w for w, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]]
