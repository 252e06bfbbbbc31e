"""Where a fast-mode forward spends its GPU time: torch.profiler's kernel table for one batch.

    python -m benchmarks.profile_forward --out profile.md [--batch 64] [--tokens 32768] [--variants packed,padded]

Profiles ``TransformersBackend.score`` on the benchmark's pairs (Qwen3-8B shape, random bf16 weights),
after a warm-up call of the same batch, for each variant: ``packed`` (the default on CUDA: packed rows,
compiled layers), ``padded`` (padded rows, compiled layers), ``eager`` (padded rows, eager layers).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from benchmarks.judge_throughput import GPU, load_model_and_tokenizer, make_backend, release
from devtools.pairs import make_pairs

VARIANTS = {
    "packed": {"packed": True, "compile_layers": True},
    "padded": {"packed": False, "compile_layers": True},
    "eager": {"packed": False, "compile_layers": False},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--tokens", type=int, default=32768)
    parser.add_argument("--rows", type=int, default=25)
    parser.add_argument("--variants", default="packed,padded", help="comma-separated: " + ", ".join(VARIANTS))
    parser.add_argument("--tokenizer", help="directory of a built Qwen tokenizer (default: build it)")
    args = parser.parse_args()
    args.tiny, args.device, args.cache = False, "cuda", ".cache"
    model, tokenizer = load_model_and_tokenizer(args)
    pairs = make_pairs(args.batch, seed=1)
    sections = []
    for variant in args.variants.split(","):
        backend = make_backend(model, tokenizer, GPU, args.batch, args.tokens, **VARIANTS[variant])
        backend.score(pairs)
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA, ProfilerActivity.CPU]) as prof:
            backend.score(pairs)
            torch.cuda.synchronize()
        table = prof.key_averages().table(sort_by="self_cuda_time_total", row_limit=args.rows, max_name_column_width=70)
        sections.append(f"## {variant} ({VARIANTS[variant]}), batch {args.batch}\n\n```\n{table}\n```\n")
        print(sections[-1], flush=True)
        release(backend)
    Path(args.out).write_text("\n".join(sections), encoding="utf-8")


if __name__ == "__main__":
    main()
