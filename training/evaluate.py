"""Run any backend on a labelled set and report how well it judges.

    ea-judge evaluate --data data/train_test.json --backend rules --out reports/rules
    ea-judge evaluate --data data/train_test.json --backend transformers --mode fast \\
        --model Qwen/Qwen3-8B --adapter saves/qwen3-8b-ea-lora --out reports/lora-fast
    python -m training.evaluate ...                 # the same command

The labelled set is either converted data (``training.convert`` output: one pair per ``id``, its
``label`` and ``kind``) or teacher output (``question``, ``chunk`` and ``llm_analysis`` with its
``<label>``, or a plain ``label``). Writes ``metrics.json`` (accuracy, precision/recall/F1 for 不对齐,
the rate of aligned chunks wrongly dropped, parse failures, per-kind breakdown, and for scored
backends the reliability table and threshold sweep), ``predictions.jsonl`` and ``report.png``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ea_plugin.arguments import BackendChoice, Command, add_backend_arguments, decisions_failed, int_at_least
from ea_plugin.arguments import parse_options as parse_options  # its old import path, kept
from ea_plugin.errors import USAGE
from ea_plugin.jsonl import make_folder, write_json, write_jsonl
from ea_plugin.judge import AlignmentJudge
from ea_plugin.judgement import Pair
from ea_plugin.outputs import refuse_overwrite
from ea_plugin.prompts import LABELS
from training.judge_metrics import Scored, classification, confusion, per_kind, reliability, threshold_sweep
from training.plots import write_report_png
from training.records import DataFileError
from training.teacher import RawRecord, Rejection, read_records, validate


@dataclass(frozen=True)
class LabelledPair:
    id: str
    question: str
    chunk: str
    label: str
    kind: str = ""


def load_labelled(path: str | Path) -> tuple[list[LabelledPair], list[Rejection]]:
    """Pairs with gold labels from converted or teacher data, and the records skipped with their reason."""
    pairs: list[LabelledPair] = []
    skipped: list[Rejection] = []
    seen: set[str] = set()
    for raw in read_records(path):
        pair = _labelled(raw)
        if isinstance(pair, Rejection):
            skipped.append(pair)
        elif pair.id not in seen:  # converted data holds think and fast copies of one pair
            seen.add(pair.id)
            pairs.append(pair)
    return pairs, skipped


def _labelled(raw: RawRecord) -> LabelledPair | Rejection:
    record = raw.value
    if isinstance(record, dict) and "llm_analysis" in record:
        result = validate(raw)
        if isinstance(result, Rejection):
            return result
        return LabelledPair(raw.id, result.question, result.chunk, result.label, result.kind or "")
    if not isinstance(record, dict):
        return Rejection(raw.id, "not_an_object", raw.parse_error or "not a JSON object", record)
    missing = [k for k in ("question", "chunk", "label") if not isinstance(record.get(k), str)]
    if missing or record["label"] not in LABELS:
        reason = f"needs question, chunk and a label in {LABELS} (missing or invalid: {missing or ['label']})"
        return Rejection(raw.id, "no_label", reason, record)
    return LabelledPair(str(record.get("id", raw.id)), record["question"], record["chunk"], record["label"],
                        str(record.get("kind") or ""))


class NoLabelledPairs(DataFileError):
    """A labelled set with nothing to evaluate: no record has a question, a chunk and a label."""

    exit_status = USAGE


def evaluate(judge: AlignmentJudge, pairs: Sequence[LabelledPair], show_progress: bool = True
             ) -> tuple[dict[str, Any], list[Scored]]:
    """Judge every pair (in the judge's batches) and compute the report."""
    from tqdm import tqdm

    if not pairs:  # the metrics of nothing would be None everywhere (and `ea-judge run` formats them)
        raise NoLabelledPairs("no labelled pair to evaluate: the set needs question, chunk and a label per record")

    decisions = []
    started = time.perf_counter()
    step = max(1, judge.batch_size)
    for start in tqdm(range(0, len(pairs), step), desc="judging", unit="batch", disable=not show_progress):
        chunk = pairs[start : start + step]
        decisions += judge.judge_pairs([Pair(p.question, p.chunk) for p in chunk])
    elapsed = time.perf_counter() - started
    items = [Scored(p.label, d, p.kind) for p, d in zip(pairs, decisions, strict=True)]
    report: dict[str, Any] = {
        "backend": judge.backend_name,
        "mode": judge.mode,
        "threshold": judge.policy.threshold,
        "on_error": judge.policy.on_error,
        **classification(items),
        "confusion": confusion(items),
        "per_kind": per_kind(items),
        "seconds": elapsed,
        "pairs_per_second": len(items) / elapsed if elapsed > 0 else None,
    }
    if any(item.decision.score is not None for item in items):
        report["reliability"] = reliability(items)
        report["threshold_sweep"] = threshold_sweep(items)
    return report, items


def output_paths(out_dir: str | Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    return {"metrics": out_dir / "metrics.json", "predictions": out_dir / "predictions.jsonl",
            "png": out_dir / "report.png"}


def write_outputs(out_dir: str | Path, report: dict[str, Any], pairs: Sequence[LabelledPair],
                  items: Sequence[Scored]) -> dict[str, Path]:
    paths = output_paths(out_dir)
    paths["metrics"].parent.mkdir(parents=True, exist_ok=True)
    write_json(paths["metrics"], report, indent=2)
    write_jsonl(paths["predictions"], ({"id": pair.id, "kind": pair.kind, "gold": pair.label,
                                        "predicted": item.predicted, "label": item.decision.label,
                                        "score": item.decision.score, "error": item.decision.error,
                                        "reasoning": item.decision.reasoning}
                                       for pair, item in zip(pairs, items, strict=True)))
    title = f"{report['backend']} ({report['mode']} mode): accuracy {report['accuracy']:.3f}, n={report['n']}"
    try:
        write_report_png(paths["png"], report, title)
    except ImportError:  # the metrics, judged at length, stand without the picture: say how to get it
        del paths["png"]
        print('report.png left out: matplotlib is not installed (pip install "ea-plugin[report]" to get it)',
              file=sys.stderr)
    return paths


def summary(report: dict[str, Any]) -> str:
    def fmt(value: Any) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    keys = ("n", "accuracy", "precision_unaligned", "recall_unaligned", "f1_unaligned", "wrongly_dropped_rate",
            "parse_failures")
    lines = [f"{report['backend']} / {report['mode']}: " + ", ".join(f"{k} {fmt(report[k])}" for k in keys)]
    if report.get("skipped"):
        lines.append(f"  skipped {len(report['skipped'])} records without a usable label (see metrics.json)")
    lines += [f"  {kind:<24} n {row['n']:4d}  accuracy {fmt(row['accuracy'])}"
              for kind, row in report["per_kind"].items()]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="labelled set: converted or teacher JSON/JSONL")
    add_backend_arguments(parser, judge_flags=("mode", "threshold", "batch_size"), what="the judge to evaluate")
    parser.add_argument("--limit", type=int_at_least(0), help="evaluate only the first N pairs")
    parser.add_argument("--out", required=True, help="folder for metrics.json, predictions.jsonl, report.png")
    parser.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    refuse_overwrite([args.data, *BackendChoice.from_args(args).files_read], output_paths(args.out).values())
    pairs, skipped = load_labelled(args.data)
    pairs = pairs[: args.limit]
    if not pairs:  # before judging: the metrics of nothing are a traceback, not a report
        first = f" (first skipped: {skipped[0].id}: {skipped[0].reason})" if skipped else ""
        raise NoLabelledPairs(f"{args.data} holds no labelled pair to evaluate{' within --limit' * (args.limit == 0)}"
                              f"{first}: it needs converted data or teacher records (question, chunk and a label)")
    for rejection in skipped:
        print(f"skipped {rejection.id}: {rejection.reason}", file=sys.stderr)
    make_folder(args.out)  # before judging: a folder that cannot be made fails now, not after every pair
    judge = BackendChoice.from_args(args).load(mode="fast", threshold=0.5, batch_size=16)
    report, items = evaluate(judge, pairs)
    report["skipped"] = [r.to_dict() for r in skipped]
    paths = write_outputs(args.out, report, pairs, items)
    print(summary(report))
    print("written: " + ", ".join(str(p) for p in paths.values()))
    return decisions_failed("ea-judge evaluate", [item.decision for item in items])


COMMAND = Command("evaluate", "run any backend on a labelled set: accuracy, F1, calibration, report.png",
                  add_arguments, description=__doc__)


def main(argv: Sequence[str] | None = None) -> int:
    return COMMAND.main(argv, prog="python -m training.evaluate")


if __name__ == "__main__":
    sys.exit(main())
