"""Judge throughput: the transformers backend against plain transformers, same model, same pairs, same run.

    python -m benchmarks.judge_throughput --out judge_throughput.md                 # GPU: Qwen3-8B shape
    python -m benchmarks.judge_throughput --tiny --out /tmp/judge_throughput.md     # CPU smoke: tiny model

The GPU model has Qwen3-8B's shape with random bf16 weights (nothing is downloaded); the tokenizer is
the real Qwen one (devtools.tiny_model.build_tokenizer, or --tokenizer DIR). Baselines are what people
write with plain transformers: a batched forward over the full left-padded prompts with last-position
logits (fast mode), and ``model.generate`` (think mode). Random weights never stop on their own, so
think mode forces ``--new-tokens`` tokens in both (min_new_tokens) and compares the token ids.

Checks: fast-mode scores against P(对齐) from plain forwards over prompt+label (full label sequences) of
a float32 copy of the model, within twice plain bf16 transformers' own error against it (random weights
make many pairs near ties, so bf16 rounding moves P(对齐) by several hundredths); think-mode token ids
against ``generate``'s (identical sequences, first differing step), and teacher-forced: one plain
forward over prompt + produced tokens gives, for every produced token, how far its logit is below the
argmax (0 for a greedy choice; a small gap is a near tie that bf16 rounding can flip, for
``generate``'s own output as well).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gc
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from devtools.pairs import make_pairs
from ea_plugin import load_judge
from ea_plugin.backends.transformers import TransformersBackend
from ea_plugin.judgement import Pair
from ea_plugin.prompts import LABELS, render_prompt

QWEN3_8B = dict(
    hidden_size=4096, intermediate_size=12288, num_hidden_layers=36, num_attention_heads=32,
    num_key_value_heads=8, head_dim=128, max_position_embeddings=40960, rope_theta=1_000_000.0,
    rms_norm_eps=1e-6, tie_word_embeddings=False,
)
EOS_IDS, PAD_ID = [151645, 151643], 151643
GAP_ROWS = 32  # rows of the teacher-forced greedy check


@dataclass
class Settings:
    """What one run measures: pair counts, batch sizes and tolerances (GPU and tiny CPU presets)."""

    fast_pairs: int
    think_pairs: int
    new_tokens: int
    plain_fast_batches: tuple[int, ...]
    plain_think_batches: tuple[int, ...]
    backend_fast: tuple[tuple[int, int], ...]  # (forward_batch_size, max_batch_tokens)
    backend_think: tuple[tuple[int, int], ...]
    check_pairs: int
    score_tolerance: float
    skip_ablations: bool = False


GPU = Settings(
    fast_pairs=256, think_pairs=256, new_tokens=128, plain_fast_batches=(1, 64), plain_think_batches=(1, 64),
    backend_fast=((64, 16384), (32, 16384), (128, 32768)), backend_think=((64, 65536), (128, 131072)),
    check_pairs=64, score_tolerance=0.05,
)
TINY = Settings(
    fast_pairs=4, think_pairs=3, new_tokens=6, plain_fast_batches=(1, 4), plain_think_batches=(1, 4),
    backend_fast=((4, 4096),), backend_think=((4, 4096),), check_pairs=4, score_tolerance=1e-4,
)


@dataclass
class Row:
    mode: str
    method: str
    batch: int
    pairs: int
    seconds: float
    peak_gib: float | None
    note: str = ""
    baseline: bool = False

    @property
    def rate(self) -> float:
        return self.pairs / self.seconds


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    on_change: Callable[[Report], None] | None = None  # rewrites the output file: a killed run keeps its rows

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(row, flush=True)
        if self.on_change is not None:
            self.on_change(self)


# -- models --------------------------------------------------------------------------------------------
def load_model_and_tokenizer(args: argparse.Namespace) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    if args.tiny:
        from devtools.tiny_model import build_tiny_qwen3

        model_dir = build_tiny_qwen3(Path(args.cache) / "tiny-qwen3")
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="sdpa")
        return model.eval(), AutoTokenizer.from_pretrained(args.tokenizer or model_dir)
    from transformers import Qwen3Config, Qwen3ForCausalLM

    config = Qwen3Config(vocab_size=151936, bos_token_id=PAD_ID, eos_token_id=EOS_IDS[0], pad_token_id=PAD_ID,
                         **QWEN3_8B)
    torch.manual_seed(0)
    with torch.device(args.device):  # random init directly on the GPU: no download, no host copy
        model = Qwen3ForCausalLM._from_config(config, dtype=torch.bfloat16, attn_implementation="sdpa")
    model.generation_config = GenerationConfig(eos_token_id=EOS_IDS, pad_token_id=PAD_ID, do_sample=False)
    return model.eval(), AutoTokenizer.from_pretrained(args.tokenizer or build_tokenizer_dir())


def build_tokenizer_dir() -> Path:
    from devtools.tiny_model import build_tokenizer

    out = Path(tempfile.mkdtemp(prefix="qwen-tokenizer-"))
    build_tokenizer(out)
    return out


# -- plain transformers ----------------------------------------------------------------------------
def padded(tokenizer: Any, rows: Sequence[Sequence[int]], device: Any) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), PAD_ID if tokenizer.pad_token_id is None else tokenizer.pad_token_id)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, width - len(row):] = torch.tensor(row)
        mask[i, width - len(row):] = 1
    return ids.to(device), mask.to(device)


def plain_forward(model: Any, tokenizer: Any, rows: Sequence[Sequence[int]], keep: int = 1) -> torch.Tensor:
    """Left-padded batched forward as people write it (positions from the mask), last ``keep`` logits."""
    ids, mask = padded(tokenizer, rows, model.device)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return model(input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=keep).logits


def plain_fast(model: Any, tokenizer: Any, prompts: list[list[int]], batch: int) -> None:
    for start in range(0, len(prompts), batch):
        plain_forward(model, tokenizer, prompts[start:start + batch])


def plain_label_scores(model: Any, tokenizer: Any, prompts: list[list[int]], batch: int) -> list[float]:
    """Reference P(对齐): plain forwards over prompt + each full label sequence, normalised over the labels."""
    label_ids = [tokenizer(label, add_special_tokens=False)["input_ids"] for label in LABELS]
    scores = []
    for start in range(0, len(prompts), batch):
        chunk = prompts[start:start + batch]
        per_label = []
        for ids in label_ids:
            logits = plain_forward(model, tokenizer, [p + ids for p in chunk], keep=len(ids) + 1)
            logp = torch.log_softmax(logits[:, :-1].float(), dim=-1)  # position k predicts label token k
            index = torch.tensor(ids, device=logp.device)
            per_label.append(logp.gather(2, index.expand(len(chunk), -1)[..., None])[..., 0].sum(dim=1))
        scores += torch.softmax(torch.stack(per_label, dim=1), dim=1)[:, 0].tolist()
    return scores


def plain_generate(model: Any, tokenizer: Any, prompts: list[list[int]], batch: int, new: int) -> list[list[int]]:
    out = []
    for start in range(0, len(prompts), batch):
        ids, mask = padded(tokenizer, prompts[start:start + batch], model.device)
        generated = model.generate(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=new,
                                   min_new_tokens=new, pad_token_id=PAD_ID)
        out += generated[:, ids.shape[1]:].tolist()
    return out


# -- measuring -------------------------------------------------------------------------------------
def synchronize(device: Any) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def measure(device: Any, fn: Callable[[], Any], warmup: Callable[[], Any] | None = None) -> tuple[Any, float, Any]:
    """(result, seconds, peak GiB or None) of ``fn`` after ``warmup``; peak counts everything allocated."""
    cuda = torch.device(device).type == "cuda"
    with torch.inference_mode():
        if warmup is not None:
            warmup()
        synchronize(device)
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        result = fn()
        synchronize(device)
        seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
    return result, seconds, peak


def release(*objects: Any) -> None:
    del objects
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def attempt(report: Report, what: str, fn: Callable[[], None]) -> None:
    """Run one measurement; a failure is reported in the table's notes instead of ending the run."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the benchmark reports every failure and goes on
        report.errors.append(f"{what}: {type(exc).__name__}: {exc}")
        print(f"FAILED {what}: {type(exc).__name__}: {exc}", flush=True)
        release()


# -- the run ---------------------------------------------------------------------------------------
def run(args: argparse.Namespace, report: Report) -> Report:
    overrides = {k: getattr(args, k) for k in ("fast_pairs", "think_pairs", "new_tokens") if getattr(args, k)}
    settings = dataclasses.replace(TINY if args.tiny else GPU, skip_ablations=args.no_ablations, **overrides)
    model, tokenizer = load_model_and_tokenizer(args)
    fast_pairs = make_pairs(settings.fast_pairs, seed=1)
    think_pairs = make_pairs(settings.think_pairs, seed=2)
    fast_prompts = [tokenizer(render_prompt(p.question, p.chunk, "fast"), add_special_tokens=False)["input_ids"]
                    for p in fast_pairs]
    think_prompts = [tokenizer(render_prompt(p.question, p.chunk, "think"), add_special_tokens=False)["input_ids"]
                     for p in think_pairs]
    from ea_plugin.backends.transformers.hf.attention import fused_kernels_ok

    if model.device.type == "cuda":
        report.checks.append(f"fused attention kernels (flash, memory-efficient) agree with math: "
                             f"{fused_kernels_ok(model.device)}")
    lengths = sorted(map(len, fast_prompts))
    report.checks.append(f"prompt tokens: min {lengths[0]}, median {lengths[len(lengths) // 2]}, max {lengths[-1]}")

    if "fast" in args.modes:
        attempt(report, "fast mode", lambda: run_fast(settings, model, tokenizer, fast_pairs, fast_prompts, report))
    if "think" in args.modes:
        attempt(report, "think mode",
                lambda: run_think(settings, model, tokenizer, think_pairs, think_prompts, report))
    return report


def make_backend(model: Any, tokenizer: Any, settings: Settings, batch: int, tokens: int, **kwargs: Any) -> Any:
    return TransformersBackend(model, tokenizer=tokenizer, forward_batch_size=batch, max_batch_tokens=tokens,
                               max_new_tokens=settings.new_tokens, min_new_tokens=settings.new_tokens,
                               coalesce=False, **kwargs)


def run_fast(settings: Settings, model: Any, tokenizer: Any, pairs: list[Pair],
             prompts: list[list[int]], report: Report) -> None:
    device = model.device
    for batch in settings.plain_fast_batches:
        subset = prompts if batch > 1 else prompts[: max(4, len(prompts) // 32)]
        _, seconds, peak = measure(device, lambda b=batch, s=subset: plain_fast(model, tokenizer, s, b),
                                   warmup=lambda b=batch: plain_fast(model, tokenizer, prompts[:b], b))
        report.add(Row("fast", "plain forward, last-position logits", batch, len(subset), seconds, peak,
                               baseline=batch == max(settings.plain_fast_batches)))

    check = prompts[: settings.check_pairs]
    reference, seconds, peak = measure(device, lambda: plain_label_scores(model, tokenizer, check, 16))
    report.add(Row("fast", "plain forwards over prompt+label (reference scores)", 16, len(check),
                           seconds, peak))
    few = check[:16]
    floor = max(abs(a - b) for a, b in zip(plain_label_scores(model, tokenizer, few, 1), reference, strict=False))
    report.checks.append(f"fast: plain batch 1 vs plain batch 16 reference scores, max |d score| = {floor:.2e} "
                         f"(rounding floor, {len(few)} pairs)")
    truth = float32_scores(model, tokenizer, check) if model.dtype != torch.float32 else reference
    plain_error = max(abs(a - b) for a, b in zip(reference, truth, strict=True))
    tolerance = max(settings.score_tolerance, 2 * plain_error)
    report.checks.append(
        f"fast: plain bf16 transformers (batch 16) vs the same model in float32, max |d score| = {plain_error:.2e} "
        f"over {len(check)} pairs; backend rows pass within {tolerance:.2e} (the larger of "
        f"{settings.score_tolerance} and twice plain bf16's own error) of the float32 scores")

    def score_check(judgements: list[Any]) -> str:
        diffs = [abs(v.score - r) for v, r in zip(judgements, truth, strict=False)]
        ok = max(diffs) <= tolerance and all(v.error is None for v in judgements)
        return (f"|d score| vs float32 max {max(diffs):.2e}, mean {sum(diffs) / len(diffs):.1e} over {len(diffs)} "
                f"({'ok' if ok else 'FAIL'})")

    first = settings.backend_fast[0]
    variants: list[tuple[str, dict[str, Any], tuple[int, int]]] = []
    if not settings.skip_ablations:
        variants += [("backend, no prefix cache", {"prefix_cache": False}, first)]
    if device.type == "cuda" and not settings.skip_ablations:  # the same-run effect of compiling the layers
        variants += [("backend, eager layers", {"compile_layers": False}, first)]
    if device.type == "cuda":  # the same-run effect of packing the rows
        variants += [("backend, padded rows (v2's path)", {"packed": False}, (32, 16384))]
    variants += [(f"backend (<= {tokens} tokens a forward)", {}, (batch, tokens))
                 for batch, tokens in settings.backend_fast]
    for label, options, (batch, tokens) in variants:

        def one(label: str = label, options: dict = options, batch: int = batch, tokens: int = tokens) -> None:
            backend = make_backend(model, tokenizer, settings, batch, tokens, **options)
            (judgements, seconds, peak), first_s = measure_warm(device, lambda: backend.score(pairs),
                                                              lambda: backend.score(pairs[:batch]))
            note = (score_check(judgements) + f"; first call (compiles) {first_s:.1f} s; "
                    f"{'packed' if backend.packed else 'padded'} rows")
            report.add(Row("fast", label, batch, len(pairs), seconds, peak, note))
            release(backend)

        attempt(report, f"fast {label}", one)

    def defaults(batch_size: int | None) -> None:
        options = {} if batch_size is None else {"batch_size": batch_size}
        judge = load_judge("transformers", model=model, tokenizer=tokenizer, **options)
        (judgements, seconds, peak), first_s = measure_warm(device, lambda: judge.judge_pairs(pairs),
                                                          lambda: judge.judge_pairs(pairs[:64]))
        sizes = judge.backend.batching("fast")
        label = (f"load_judge defaults{'' if batch_size is None else f' + batch_size={batch_size}'} "
                 f"(judge batch {judge.batch_size}, {sizes.pairs} pairs / {sizes.tokens} tokens a forward)")
        note = score_check(judgements) + f"; first call {first_s:.1f} s"
        report.add(Row("fast", label, judge.batch_size, len(pairs), seconds, peak, note))
        judge.backend.close()
        release(judge)

    attempt(report, "fast load_judge defaults", lambda: defaults(None))
    attempt(report, "fast load_judge bulk", lambda: defaults(len(pairs)))


def float32_scores(model: Any, tokenizer: Any, prompts: list[list[int]]) -> list[float]:
    """The reference scores from a float32 copy of the model: the truth that bf16 paths round away from."""
    import copy

    with torch.inference_mode():
        exact = copy.deepcopy(model).float()
        try:
            return plain_label_scores(exact, tokenizer, prompts, 8)
        finally:
            release(exact)


def measure_warm(device: Any, fn: Callable[[], Any], warmup: Callable[[], Any]) -> tuple[tuple[Any, float, Any], float]:
    """``measure(fn)`` after a timed warm-up call (compilation and graph capture happen there)."""
    _, first, _ = measure(device, warmup)
    return measure(device, fn), first


def run_think(settings: Settings, model: Any, tokenizer: Any, pairs: list[Pair],
              prompts: list[list[int]], report: Report) -> None:
    device, new = model.device, settings.new_tokens
    reference: list[list[int]] = []
    for batch in settings.plain_think_batches:
        subset = prompts[:batch]
        ids, seconds, peak = measure(device, lambda b=batch, s=subset: plain_generate(model, tokenizer, s, b, new),
                                     warmup=lambda: plain_generate(model, tokenizer, prompts[:1], 1, 2))
        if len(ids) > len(reference):
            reference = ids
        note = greedy_gaps(model, tokenizer, subset, ids) if batch > 1 else ""
        report.add(Row("think", f"model.generate, {new} new tokens", batch, len(subset), seconds, peak, note,
                       baseline=batch == max(settings.plain_think_batches)))

    variants: list[tuple[str, dict[str, Any], tuple[int, int]]] = []
    base = settings.backend_think[-1]
    if not settings.skip_ablations:
        variants += [("backend, eager steps (no CUDA graphs)", {"cuda_graphs": False}, base)]
    variants += [("backend", {}, bt) for bt in settings.backend_think]
    for label, options, (batch, tokens) in variants:

        def one(label: str = label, options: dict = options, batch: int = batch, tokens: int = tokens) -> None:
            one_batch = "eager steps" in label  # the slow ablation runs one batch
            work = pairs[:batch] if one_batch else pairs
            backend = make_backend(model, tokenizer, settings, batch, tokens, **options)
            # The warm-up captures each batch shape's step once (and compiles the prefill layers).
            judgements, seconds, peak = measure(device, lambda: backend.generate(work),
                                              warmup=lambda: backend.generate(work[:batch]))
            ids = backend_token_ids(backend, pairs[: len(reference)], batch)
            note = compare_tokens(reference, ids) + "; " + greedy_gaps(model, tokenizer, prompts, ids)
            note += f"; CUDA graphs {'on' if backend.cuda_graphs else 'off'}"
            report.add(Row("think", label, batch, len(work), seconds, peak, note))
            del judgements
            release(backend)

        attempt(report, f"think {label} batch {batch}", one)

    def defaults() -> None:
        judge = load_judge("transformers", model=model, tokenizer=tokenizer, mode="think", batch_size=len(pairs),
                           max_new_tokens=new, min_new_tokens=new)
        sizes = judge.backend.batching("think")
        _, seconds, peak = measure(device, lambda: judge.judge_pairs(pairs),
                                   warmup=lambda: judge.judge_pairs(pairs[: sizes.pairs]))
        label = f"load_judge defaults ({sizes.pairs} pairs / {sizes.tokens} tokens a forward)"
        report.add(Row("think", label, sizes.pairs, len(pairs), seconds, peak))
        judge.backend.close()
        release(judge)

    attempt(report, "think load_judge defaults", defaults)


def backend_token_ids(backend: Any, pairs: list[Pair], batch: int) -> list[list[int]]:
    """The new token ids the backend's decoder produces (what generate() decodes and parses), batch by batch."""
    ids: list[list[int]] = []
    with torch.inference_mode():
        for start in range(0, len(pairs), batch):
            ids += [g.ids for g in backend.decoder.generate(backend.encode(pairs[start:start + batch], "think"))]
    return ids


def greedy_gaps(model: Any, tokenizer: Any, prompts: list[list[int]], produced: list[list[int]]) -> str:
    """Teacher-forced check: how far each produced token's plain-forward logit is below the argmax's."""
    rows = [(p, ids) for p, ids in zip(prompts, produced, strict=False) if ids][:GAP_ROWS]
    gaps = []
    with torch.inference_mode():
        for start in range(0, len(rows), 8):
            part = rows[start:start + 8]
            new = max(len(ids) for _, ids in part)
            part = [(p, ids) for p, ids in part if len(ids) == new]  # same length: one keep window
            logits = plain_forward(model, tokenizer, [p + ids for p, ids in part], keep=new + 1)[:, :-1].float()
            chosen = torch.tensor([ids for _, ids in part], device=logits.device)
            gaps.append((logits.max(dim=-1).values - logits.gather(2, chosen[..., None])[..., 0]).flatten())
    if not gaps:
        return "teacher-forced: no rows to check"
    every = torch.cat(gaps)
    exact = (every == 0).float().mean().item()
    return f"teacher-forced: {100 * exact:.1f}% of tokens are the plain argmax, max gap {every.max().item():.3f}"


def compare_tokens(reference: list[list[int]], produced: list[list[int]]) -> str:
    """Identical sequences, and where they differ, the step of the first difference."""
    same, firsts = 0, []
    for ref, ids in zip(reference, produced, strict=False):
        if ref == ids:
            same += 1
        else:
            firsts.append(next((i for i, (a, b) in enumerate(zip(ref, ids, strict=False)) if a != b),
                               min(len(ref), len(ids))))
    note = f"{same}/{min(len(reference), len(produced))} identical to generate"
    if firsts:
        firsts.sort()
        note += f"; others first differ at step {firsts[0]} to {firsts[-1]} (median {firsts[len(firsts) // 2]})"
    return note


# -- output ----------------------------------------------------------------------------------------
def table(report: Report, args: argparse.Namespace, device_name: str) -> str:
    baseline = {row.mode: row.rate for row in report.rows if row.baseline}
    lines = [
        f"Judge throughput, {datetime.date.today().isoformat()}, {device_name}, torch {torch.__version__}, "
        f"transformers {__import__('transformers').__version__}, model: "
        f"{'tiny random Qwen3 (float32)' if args.tiny else 'Qwen3-8B shape, random bf16 weights'}",
        "",
        "| mode | method | batch | pairs | s | pairs/s | x baseline | peak GiB | check |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in report.rows:
        ratio = row.rate / baseline[row.mode] if row.mode in baseline else float("nan")
        peak = "-" if row.peak_gib is None else f"{row.peak_gib:.1f}"
        mark = " (baseline)" if row.baseline else ""
        lines.append(f"| {row.mode} | {row.method}{mark} | {row.batch} | {row.pairs} | {row.seconds:.2f} | "
                     f"{row.rate:.1f} | {ratio:.2f} | {peak} | {row.note} |")
    lines += [""] + [f"- {c}" for c in report.checks] + [f"- ERROR {e}" for e in report.errors]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="file the table is written to")
    parser.add_argument("--tiny", action="store_true", help="CPU smoke run: tiny random Qwen3, a few pairs")
    parser.add_argument("--device", default=None, help="default: cuda if available (cpu with --tiny)")
    parser.add_argument("--tokenizer", help="directory of a built Qwen tokenizer (default: build it)")
    parser.add_argument("--cache", default=".cache", help="where the tiny model is built (--tiny)")
    parser.add_argument("--fast-pairs", type=int)
    parser.add_argument("--think-pairs", type=int)
    parser.add_argument("--new-tokens", type=int)
    parser.add_argument("--modes", default="fast,think", help="comma-separated: fast, think")
    parser.add_argument("--no-ablations", action="store_true", help="skip the slow ablation rows")
    args = parser.parse_args(argv)
    if args.device is None:
        args.device = "cpu" if args.tiny or not torch.cuda.is_available() else "cuda"
    return args


def main(argv: Sequence[str] | None = None) -> Report:
    args = parse_args(argv)
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else f"CPU ({platform.processor() or 'cpu'})"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = Report(on_change=lambda r: out.write_text(table(r, args, name), encoding="utf-8"))
    run(args, report)
    text = table(report, args, name)
    out.write_text(text, encoding="utf-8")
    print(text)
    return report


if __name__ == "__main__":
    main()
