"""The offline character n-gram hashing embedding shared by the LlamaIndex and LangChain adapters."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from integrations.embedding import DEFAULT_DIM, embed_text

REPO = Path(__file__).resolve().parents[1]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_vectors_are_unit_length_with_the_requested_dimension():
    for dim in (8, DEFAULT_DIM):
        vector = embed_text("SV660N伺服驱动器报E100.0", dim)
        assert len(vector) == dim
        assert math.isclose(math.sqrt(sum(v * v for v in vector)), 1.0)


def test_case_and_spaces_do_not_change_the_vector():
    assert embed_text("SV660N 报 E100") == embed_text("sv660n报e100")


def test_text_without_characters_is_the_zero_vector():
    assert embed_text(" \n\t", 16) == [0.0] * 16


def test_the_same_text_gets_the_same_vector_in_another_process():
    # Python's own hash() is salted per process; the embedding must not depend on it.
    code = "from integrations.embedding import embed_text; print(embed_text('md500参数F0-02', 32))"
    other = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert other.strip() == str(embed_text("md500参数F0-02", 32))


def test_texts_sharing_model_numbers_and_words_are_closer_than_unrelated_ones():
    query = embed_text("sv660n出现e100故障怎么办？")
    related = embed_text("SV660N伺服驱动器报E100故障的处理方法")
    unrelated = embed_text("制动电阻选型：根据电机功率与制动频度计算阻值")
    assert cosine(query, related) > cosine(query, unrelated) + 0.2


def test_dimension_must_be_positive():
    with pytest.raises(ValueError):
        embed_text("x", 0)
