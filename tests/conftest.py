"""Shared fixtures: the tiny Qwen3 test model (real Qwen tokenizer), built once and cached."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("EA_TEST_CACHE", REPO / ".cache"))


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    """Directory of the tiny random Qwen3 with the real tokenizer (built on first use, then reused)."""
    from training.tiny_model import build_tiny_qwen3

    return build_tiny_qwen3(CACHE / "tiny-qwen3")


@pytest.fixture(scope="session")
def qwen_tokenizer(tiny_model_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture(scope="session")
def converted_samples(tmp_path_factory) -> dict[str, Path]:
    """training/examples converted once (default options): paths of train/val/test/rejects/audit/stats."""
    from ea_plugin.prompts import ALIGNED, UNALIGNED
    from training.convert import ConvertOptions, Source, convert

    examples = REPO / "training" / "examples"
    out = tmp_path_factory.mktemp("converted") / "train.json"
    sources = [Source(examples / "aligned.json", ALIGNED), Source(examples / "unaligned.json", UNALIGNED)]
    stats, _ = convert(sources, out, ConvertOptions())
    return {name: Path(path) for name, path in stats.files.items()}
