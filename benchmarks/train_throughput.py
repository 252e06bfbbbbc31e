"""Training throughput of the LLaMA-Factory recipe: the seed config against each profile, same run, same data.

    python benchmarks/train_throughput.py --out results.md                 # Qwen3-8B shape, GPU
    python benchmarks/train_throughput.py --tiny --steps 2 --configs seed,tiny_lora --out smoke.md   # CPU

Builds a model with random weights (the Qwen3-8B shape, bf16, on the GPU; or the tiny test model),
writes a realistic-length dataset through the project's own converter and recipe (teacher records
with chunks of 100-600 characters, the fast-mode share of the default conversion), then trains each
config for ``--steps`` optimizer steps with LLaMA-Factory (``llamafactory-cli train``, or
``python -m training.lf_train`` where the config says so) and reads its own logs:

- effective tokens/s: non-padding tokens per second over the steps after ``--warmup`` (transformers'
  ``num_input_tokens_seen`` and ``train_runtime`` at each logged step, so start-up is not counted);
- peak GPU memory: LLaMA-Factory's RECORD_VRAM readout (torch's peak allocated / reserved);
- the loss at step 1 and at the last step. Every config sees the same samples in the same order
  (the same sampler seed; optimizer steps of 16 sequences), so equal step-1 losses show that a
  config trains on the same tokens.

Runs with any GPU count: with several GPUs visible the multi-GPU configs (ddp, ds_z3) launch one
process per GPU, and tokens/s is the total over all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from devtools.dev_machine import MULTICAST_OFF  # noqa: E402
from ea_plugin.jsonl import read_file  # noqa: E402
from ea_plugin.prompts import ALIGNED, UNALIGNED  # noqa: E402
from training import recipe  # noqa: E402
from training.convert import ConvertOptions, Source, convert  # noqa: E402
from training.examples import generate as gen  # noqa: E402
from training.lf_train import train_command  # noqa: E402

# Qwen3-8B's shape (config.json of Qwen/Qwen3-8B), with random weights.
QWEN3_8B = dict(hidden_size=4096, intermediate_size=12288, num_hidden_layers=36, num_attention_heads=32,
                num_key_value_heads=8, head_dim=128, max_position_embeddings=40960, tie_word_embeddings=False,
                rope_theta=1_000_000.0, rms_norm_eps=1e-6)

# Measurement settings added to every config: log every step, count real tokens, same sample order.
MEASURE: dict[str, Any] = {
    "logging_steps": 1, "save_strategy": "no", "plot_loss": False, "include_num_input_tokens_seen": "non_padding",
    "include_effective_tokens_per_second": recipe.REMOVE, "num_train_epochs": 100.0, "overwrite_output_dir": True,
    "warmup_steps": 0, "lr_scheduler_type": "constant", "preprocessing_num_workers": recipe.REMOVE,
}


@dataclass(frozen=True)
class BenchConfig:
    name: str
    profile: str
    overrides: dict[str, Any] = field(default_factory=dict)
    launcher: str = "llamafactory-cli"  # or "lf_train": LLaMA-Factory + logits only at labelled positions
    note: str = ""
    env: dict[str, str] = field(default_factory=dict)  # e.g. EA_COMPILE_LAYERS for lf_train


# The baseline every profile is measured against: the seed YAML as the issue gave it (2 x 8, gradient
# checkpointing, LLaMA-Factory's default; no bf16 key). Only the benchmark needs it, so it lives here.
BENCH_PROFILES: dict[str, dict[str, Any]] = {"seed": {"bf16": recipe.REMOVE}}

CONFIGS: dict[str, BenchConfig] = {c.name: c for c in (
    BenchConfig("seed", "seed", note="seed YAML as written: 2 x 8, checkpointing, no bf16 key"),
    BenchConfig("seed_bf16", "seed", {"bf16": True}, note="seed + bf16"),
    BenchConfig("seed_glen", "seed", {"train_sampling_strategy": "group_by_length"},
                note="seed + batches grouped by length"),
    BenchConfig("lora", "lora", launcher="lf_train",
                note="lora profile: 4 x 4, no checkpointing, compiled decoder layers, bf16, "
                     "logits only at labelled positions"),
    BenchConfig("lora_cli", "lora", note="lora profile's YAML through plain llamafactory-cli (eager, all logits)"),
    BenchConfig("lora_liger", "lora", {"enable_liger_kernel": True}, launcher="lf_train",
                env={"EA_COMPILE_LAYERS": "0"}, note="lora with Liger kernels, eager (the profile before compiling)"),
    BenchConfig("lora_glen", "lora", {"train_sampling_strategy": "group_by_length"}, launcher="lf_train",
                note="lora + batches grouped by length (less padding)"),
    BenchConfig("lora_8x2", "lora", {"per_device_train_batch_size": 8, "gradient_accumulation_steps": 2},
                launcher="lf_train", note="lora at 8 x 2"),
    BenchConfig("qlora", "qlora", launcher="lf_train", note="qlora profile: 4-bit base, 2 x 8, checkpointing"),
    BenchConfig("ddp", "ddp", launcher="lf_train", note="data parallel over every visible GPU"),
    BenchConfig("ds_z3", "ds_z3", launcher="lf_train", note="DeepSpeed ZeRO-3 over every visible GPU"),
    # CPU smoke configs on the tiny model
    BenchConfig("tiny_seed", "tiny", {"per_device_train_batch_size": 2, "gradient_accumulation_steps": 2},
                note="tiny model, plain llamafactory-cli"),
    BenchConfig("tiny_lora", "tiny", {"per_device_train_batch_size": 2, "gradient_accumulation_steps": 2},
                launcher="lf_train", note="tiny model, lf_train"),
    BenchConfig("tiny_compile", "tiny", {"per_device_train_batch_size": 2, "gradient_accumulation_steps": 2},
                launcher="lf_train", env={"EA_COMPILE_LAYERS": "1"}, note="tiny model, lf_train, compiled layers"),
)}
DEFAULT_GPU_CONFIGS = "seed,lora,lora_liger,seed_glen,lora_glen,qlora"


@dataclass
class Result:
    config: BenchConfig
    tokens_per_s: float | None = None
    peak_allocated_gb: float | None = None
    peak_reserved_gb: float | None = None
    first_loss: float | None = None
    last_loss: float | None = None
    steps: int = 0
    seconds: float = 0.0
    error: str | None = None


# -- data -----------------------------------------------------------------------------------------
def realistic_records(count: int, seed: int = 7) -> tuple[list[dict], list[dict]]:
    """Teacher records like the sample data, with chunks padded to a realistic 100-600 characters."""
    rng = random.Random(seed)
    files: dict[str, list[dict]] = {ALIGNED: [], UNALIGNED: []}
    makers = [make for make, _ in gen.CASES.values()]
    kinds = list(gen.CASES)
    for i in range(count):
        kind = kinds[i % len(kinds)]
        question, chunk, label, reason = makers[i % len(makers)](rng)
        target = rng.randint(100, 600)
        while len(chunk) < target:
            chunk += gen.filler(rng, 1, 3)
        files[label].append(gen.teacher_record(question, chunk[:target], label, reason, kind))
    return files[ALIGNED], files[UNALIGNED]


def write_dataset(root: Path, count: int) -> Path:
    aligned, unaligned = realistic_records(count)
    root.mkdir(parents=True, exist_ok=True)
    for name, records in (("aligned.json", aligned), ("unaligned.json", unaligned)):
        (root / name).write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    out = root / "data" / "train.json"
    if out.parent.exists():
        shutil.rmtree(out.parent)
    convert([Source(root / "aligned.json", ALIGNED), Source(root / "unaligned.json", UNALIGNED)], out,
            ConvertOptions(val=0.0, test=0.0))
    recipe.write_dataset_info(out.parent, out.name)
    return out.parent


# -- model ----------------------------------------------------------------------------------------
def build_model(out: Path, tiny: bool) -> Path:
    """The tiny test model, or the Qwen3-8B shape with random bf16 weights made on the GPU."""
    from devtools.tiny_model import build_tiny_qwen3, build_tokenizer

    if tiny:
        return build_tiny_qwen3(out)
    if (out / ".complete").exists():
        return out
    import torch
    from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM

    from devtools.tiny_model import VOCAB_SIZE

    config = Qwen3Config(vocab_size=VOCAB_SIZE, bos_token_id=151643, eos_token_id=151645, pad_token_id=151643,
                         torch_dtype="bfloat16", **QWEN3_8B)
    torch.manual_seed(0)
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device("cuda"):
            model = Qwen3ForCausalLM(config)  # initialised on the GPU in bf16: seconds, not minutes
    finally:
        torch.set_default_dtype(torch.float32)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    GenerationConfig(eos_token_id=[151645, 151643], pad_token_id=151643).save_pretrained(out)
    build_tokenizer(out)
    del model
    torch.cuda.empty_cache()
    (out / ".complete").write_text("ok\n")
    return out


# -- running --------------------------------------------------------------------------------------
def run_config(cfg: BenchConfig, model: Path, data_dir: Path, work: Path, steps: int, warmup: int,
               timeout: int) -> Result:
    out = work / cfg.name
    if out.exists():
        shutil.rmtree(out)
    overrides = {**MEASURE, "max_steps": steps, **cfg.overrides}
    config = recipe.train_config(cfg.profile, dataset_dir=data_dir, output_dir=out / "model", model=model,
                                 with_eval=False, overrides=overrides, profiles=BENCH_PROFILES)
    yaml_path = out / "train.yaml"
    recipe.write_yaml(yaml_path, recipe.with_deepspeed_file(yaml_path, config))
    command = train_command(cfg.launcher, yaml_path)
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    env = recipe.lf_environ({**MULTICAST_OFF, **recipe.profile_env(cfg.profile), **cfg.env, "RECORD_VRAM": "1",
                             "PYTHONPATH": path})
    started = time.perf_counter()
    with (out / "log.txt").open("w") as log:
        try:
            proc = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env, timeout=timeout, cwd=REPO)
        except subprocess.TimeoutExpired:
            return Result(cfg, error=f"timeout after {timeout} s", seconds=time.perf_counter() - started)
    result = Result(cfg, seconds=time.perf_counter() - started)
    if proc.returncode != 0:
        tail = (out / "log.txt").read_text(errors="replace").strip().splitlines()[-3:]
        result.error = "OOM" if any("out of memory" in line.lower() for line in tail) else " | ".join(tail)[-300:]
        return result
    return read_metrics(result, out / "model", warmup)


def read_metrics(result: Result, model_dir: Path, warmup: int) -> Result:
    history = json.loads((model_dir / "trainer_state.json").read_text())["log_history"]
    steps = [h for h in history if "loss" in h and "num_input_tokens_seen" in h]
    result.steps = len(steps)
    if steps:
        result.first_loss, result.last_loss = steps[0]["loss"], steps[-1]["loss"]
    if len(steps) > warmup:
        start, end = steps[warmup - 1] if warmup else {"num_input_tokens_seen": 0, "train_runtime": 0.0}, steps[-1]
        tokens = end["num_input_tokens_seen"] - start["num_input_tokens_seen"]
        result.tokens_per_s = tokens / (end["train_runtime"] - start["train_runtime"])
    vram = [line.record for line in read_file(model_dir / "trainer_log.jsonl") if line.record is not None]
    allocated = [row["vram_allocated"] for row in vram if "vram_allocated" in row]
    reserved = [row["vram_reserved"] for row in vram if "vram_reserved" in row]
    result.peak_allocated_gb = max(allocated) if allocated and max(allocated) > 0 else None  # None on CPU
    result.peak_reserved_gb = max(reserved) if reserved and max(reserved) > 0 else None
    return result


def table(results: list[Result], baseline: str) -> str:
    base = next((r.tokens_per_s for r in results if r.config.name == baseline), None)
    lines = ["| config | launcher | tokens/s | vs seed | peak alloc GiB | peak reserved GiB | loss step 1 | "
             "loss last | note |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        def fmt(value: float | None, spec: str) -> str:
            return format(value, spec) if value is not None else "—"

        ratio = f"{r.tokens_per_s / base:.2f}x" if r.tokens_per_s and base else "—"
        note = r.config.note + (f" (error: {r.error})" if r.error else "")
        lines.append(f"| {r.config.name} | {r.config.launcher} | {fmt(r.tokens_per_s, ',.0f')} | {ratio} | "
                     f"{fmt(r.peak_allocated_gb, '.1f')} | {fmt(r.peak_reserved_gb, '.1f')} | "
                     f"{fmt(r.first_loss, '.4f')} | {fmt(r.last_loss, '.4f')} | {note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="tiny model on CPU (smoke run)")
    parser.add_argument("--configs", help=f"comma-separated, from {sorted(CONFIGS)}")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2, help="steps left out of the tokens/s")
    parser.add_argument("--records", type=int, default=600)
    parser.add_argument("--work", default=".cache/bench-train")
    parser.add_argument("--model-dir", help="reuse a model directory (default: <work>/model)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per config")
    parser.add_argument("--out", help="write the table (markdown) here too")
    args = parser.parse_args(argv)
    names = (args.configs or ("tiny_seed,tiny_lora" if args.tiny else DEFAULT_GPU_CONFIGS)).split(",")
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        parser.error(f"unknown configs {unknown}")
    work = Path(args.work)
    model = build_model(Path(args.model_dir) if args.model_dir else work / ("tiny" if args.tiny else "model-8b"),
                        args.tiny)
    data_dir = write_dataset(work / "dataset", args.records)
    results = []
    for name in names:
        print(f"== {name}", flush=True)
        result = run_config(CONFIGS[name], model, data_dir, work / "runs", args.steps, args.warmup, args.timeout)
        results.append(result)
        print(f"   {result.tokens_per_s} tokens/s, {result.peak_allocated_gb} GB, losses {result.first_loss} -> "
              f"{result.last_loss}, {result.seconds:.0f} s{', ' + result.error if result.error else ''}", flush=True)
        if args.out:  # after every config: a run cut short still leaves its table
            Path(args.out).write_text(table(results, names[0]) + "\n")
    print(table(results, names[0]))
    return 0 if all(r.error is None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
