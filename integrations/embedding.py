"""A deterministic, offline text embedding: hashed character n-grams.

It needs no model and no network, so the demo and the tests can build a real vector index over the
sample manual. Character n-grams suit Chinese (no word segmentation) and model numbers alike
(``sv660n`` shares ``sv6``/``660`` with ``sv660``). The LlamaIndex and LangChain adapters
(``integrations.llamaindex_embedding``, ``integrations.langchain_embedding``) both call ``embed_text``.
"""

from __future__ import annotations

import hashlib
import math
import re

DEFAULT_DIM = 512
# (n-gram size, weight): single characters carry little meaning in Chinese but keep one-character
# texts from mapping to the zero vector.
NGRAMS: tuple[tuple[int, float], ...] = ((1, 0.25), (2, 1.0), (3, 1.0))
_SPACE = re.compile(r"\s+")


def _bucket(gram: str, dim: int) -> tuple[int, float]:
    # A stable hash (Python's hash() is salted per process); the top bit gives the sign, which
    # keeps collisions from only ever adding up.
    value = int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest(), "little")
    return value % dim, -1.0 if value >> 63 else 1.0


def embed_text(text: str, dim: int = DEFAULT_DIM) -> list[float]:
    """L2-normalised vector of the text's hashed 1-3 character n-grams (lower-cased, spaces dropped).

    Text without any character gives the zero vector.
    """
    if dim < 1:
        raise ValueError(f"dim must be positive, got {dim}")
    normal = _SPACE.sub("", text.lower())
    vector = [0.0] * dim
    for size, weight in NGRAMS:
        for start in range(len(normal) - size + 1):
            index, sign = _bucket(normal[start : start + size], dim)
            vector[index] += sign * weight
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector] if norm else vector
