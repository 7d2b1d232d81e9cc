"""A local, deterministic text embedder that needs no model download.

It is the hashing trick (Weinberger et al., 2009), not a neural model: every feature of the text
(a word, a pair of adjacent words, a character trigram of a word) is hashed to one of DIM
dimensions with a hashed sign, counts are summed, and the vector is L2-normalised so that a dot
product is the cosine similarity. Texts that share vocabulary end up close; paraphrases with
different words do not. Character trigrams let "crash" and "crashes" overlap.
"""

from __future__ import annotations

import hashlib
import math

from demos.ingestion.text import content_words

DIM = 512
NAME = f"feature-hashing-{DIM}"
DESCRIPTION = (
    f"feature-hashing embedder: {DIM}-dim signed hashed counts of words, word bigrams and "
    "character trigrams, L2-normalised; not a neural model"
)

# How much each kind of feature counts. Whole words carry the meaning; bigrams add phrases;
# trigrams only bridge inflections, and there are many per word, so they weigh least.
WORD_WEIGHT = 1.0
BIGRAM_WEIGHT = 0.5
TRIGRAM_WEIGHT = 0.25


def _slot(feature: str) -> tuple[int, float]:
    # blake2b rather than hash(): Python's str hash is salted per process, and every worker
    # process must map a feature to the same dimension.
    digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
    return digest % DIM, (1.0 if digest >> 63 else -1.0)


def _features(text: str) -> list[tuple[str, float]]:
    tokens = content_words(text)
    features = [("w:" + t, WORD_WEIGHT) for t in tokens]
    features += [(f"b:{a} {b}", BIGRAM_WEIGHT) for a, b in zip(tokens, tokens[1:])]
    for t in tokens:
        padded = f"<{t}>"
        features += [("c:" + padded[i : i + 3], TRIGRAM_WEIGHT) for i in range(len(padded) - 2)]
    return features


def embed(text: str) -> list[float]:
    """The text's unit vector (all zeros for a text without content words)."""
    vector = [0.0] * DIM
    for feature, weight in _features(text):
        index, sign = _slot(feature)
        vector[index] += sign * weight
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else vector


def cosine(a: list[float], b: list[float]) -> float:
    """Cosine similarity; for this embedder's unit vectors it is the dot product."""
    dot = sum(x * y for x, y in zip(a, b))
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norms if norms else 0.0
