"""Packed fast-mode attention alone: FlexAttention's kernel options, and a split alternative, on one GPU.

    python -m benchmarks.flex_attention --out flex.md

One layer's attention for a packed forward of Qwen3-8B's shape (32 query heads, 8 K/V heads, head_dim 128,
bf16): ``--rows`` rows of ``--row-tokens`` tokens after a ``--prefix``-token cached system prompt (the
project's v2 prompt: ~1,450 tokens). Rows (each the median of ``--repeat`` timed calls after warm-up):

* FlexAttention over ``[prefix | packed]`` with the backend's block mask, default kernel options (what
  ``hf.packed`` runs; the baseline), then with other ``kernel_options``;
* split: the prefix through the flash kernel (dense, every query folded into one call) and the rows' own keys
  through FlexAttention's block-diagonal mask, merged by their log-sum-exps (``hf.attention.merge``);
* flash over the prefix alone: the floor for the part every query shares.

Each variant's output is checked against the dense masked oracle in float32.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.nn.attention.flex_attention import flex_attention

from ea_plugin.backends.transformers.hf.attention import dense_attention_lse, merge
from ea_plugin.backends.transformers.hf.kvcache import PrefixKV
from ea_plugin.backends.transformers.hf.packed import dense_attention, pack

OPTIONS: dict[str, dict[str, Any]] = {
    "default": {},
    "M128 N64 w8 s3": {"BLOCK_M": 128, "BLOCK_N": 64, "num_warps": 8, "num_stages": 3},
    "M128 N128 w8 s2": {"BLOCK_M": 128, "BLOCK_N": 128, "num_warps": 8, "num_stages": 2},
    "M64 N128 w4 s3": {"BLOCK_M": 64, "BLOCK_N": 128, "num_warps": 4, "num_stages": 3},
    "M128 N64 w4 s3": {"BLOCK_M": 128, "BLOCK_N": 64, "num_warps": 4, "num_stages": 3},
    "M64 N64 w4 s3": {"BLOCK_M": 64, "BLOCK_N": 64, "num_warps": 4, "num_stages": 3},
}


def timed(fn: Callable[[], torch.Tensor], repeat: int) -> tuple[float, torch.Tensor]:
    out = fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        out = fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--row-tokens", type=int, default=258)
    parser.add_argument("--prefix", type=int, default=1450)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    device = torch.device("cuda")
    gen = torch.Generator(device=device).manual_seed(0)
    heads, kv_heads, dim, scale = 32, 8, 128, 128**-0.5

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(shape, generator=gen, device=device).to(torch.bfloat16)

    prefix = PrefixKV(list(range(args.prefix)), [rand(1, kv_heads, args.prefix, dim)],
                      [rand(1, kv_heads, args.prefix, dim)])
    batch = pack([list(range(args.row_tokens))] * args.rows, [[1], [2]], prefix=prefix, device=device)
    tokens = batch.length
    q, k_own, v_own = rand(1, heads, tokens, dim), rand(1, kv_heads, tokens, dim), rand(1, kv_heads, tokens, dim)
    keys = torch.cat([prefix.keys[0], k_own], dim=2)
    values = torch.cat([prefix.values[0], v_own], dim=2)
    block_mask = batch.block_mask()
    own_batch = pack([list(range(args.row_tokens))] * args.rows, [[1], [2]], prefix=None, device=device)
    own_mask = own_batch.block_mask()
    truth = dense_attention(q.float(), keys.float(), values.float(), batch.dense_mask(), scale)
    flex = torch.compile(flex_attention, dynamic=True)
    flex_lse = torch.compile(flex_attention, dynamic=True)
    merged = torch.compile(merge, dynamic=True)

    def split() -> torch.Tensor:
        own, own_lse = flex_lse(q, k_own, v_own, block_mask=own_mask, scale=scale, enable_gqa=True, return_lse=True)
        folded = q.reshape(1, kv_heads, (heads // kv_heads) * tokens, dim)
        shared, shared_lse = dense_attention_lse(folded, prefix.keys[0], prefix.values[0], scale)
        shared = shared.reshape(1, heads, tokens, dim)
        shared_lse = shared_lse.reshape(1, heads, tokens)
        return merged(own, own_lse, shared, shared_lse)

    def prefix_only() -> torch.Tensor:
        folded = q.reshape(1, kv_heads, (heads // kv_heads) * tokens, dim)
        return dense_attention_lse(folded, prefix.keys[0], prefix.values[0], scale)[0]

    rows = []
    for name, options in OPTIONS.items():
        try:
            ms, out = timed(lambda o=options: flex(q, keys, values, block_mask=block_mask, scale=scale,
                                                   enable_gqa=True, kernel_options=o or None), args.repeat)
            error = (out.float() - truth).abs().max().item()
            rows.append((f"FlexAttention [prefix | packed], {name}", ms, f"max |d| vs float32 {error:.2e}"))
        except Exception as exc:  # noqa: BLE001 - an option this torch/triton refuses: say so, go on
            rows.append((f"FlexAttention [prefix | packed], {name}", float("nan"), f"failed: {type(exc).__name__}"))
        print(rows[-1], flush=True)
    ms, out = timed(split, args.repeat)
    rows.append(("split: flash over the prefix + FlexAttention own keys + merge", ms,
                 f"max |d| vs float32 {(out.float() - truth).abs().max().item():.2e}"))
    ms, _ = timed(prefix_only, args.repeat)
    rows.append(("flash over the prefix alone (floor of the shared part)", ms, ""))
    base = rows[0][1]
    lines = [
        f"Packed attention, one layer, {datetime.date.today()}, {torch.cuda.get_device_name()}, "
        f"torch {torch.__version__}",
        f"{args.rows} rows x {args.row_tokens} tokens = {tokens} packed tokens, prefix {args.prefix}, "
        "32/8 heads, d 128",
        "", "| variant | ms | x default | check |", "| --- | ---: | ---: | --- |",
    ]
    lines += [f"| {name} | {ms:.3f} | {base / ms:.2f} | {note} |" for name, ms, note in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
