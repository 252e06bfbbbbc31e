"""How a backend does on the real-table dev set: accuracy per pair kind and per vendor, and the misses.

    python scripts/devset_report.py                      # rules backend, dev set and held-out split
    python scripts/devset_report.py --split holdout --misses 50
    python scripts/devset_report.py --catalog my_products.yaml   # any load_judge option: --option key=value

The held-out split comes from other vendors' tables: read it to see how the rules generalise, do not tune on it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from devtools.devsets.devset import DATA, SPLITS
from ea_plugin.arguments import parse_options
from ea_plugin.jsonl import read_file
from ea_plugin.judge import AlignmentJudge, load_judge
from training.evaluate import LabelledPair, evaluate
from training.judge_metrics import Scored, per_kind


@dataclass(frozen=True)
class DevsetRow:
    pair: LabelledPair
    record: dict[str, str]  # the whole row: rule, vendor, source, why


@dataclass(frozen=True)
class DevsetResult:
    split: str
    metrics: dict[str, Any]  # training.evaluate's report: accuracy, wrongly_dropped_rate, per_kind, ...
    per_vendor: dict[str, dict[str, Any]]
    misses: list[tuple[DevsetRow, Scored]]

    @property
    def accuracy(self) -> float:
        return self.metrics["accuracy"]

    @property
    def aligned_dropped(self) -> float:
        return self.metrics["wrongly_dropped_rate"]


def load_split(split: str, data: Path = DATA) -> list[DevsetRow]:
    rows = []
    for line in read_file(data / f"{split}.jsonl"):
        record = line.record
        if record is None:  # the dev set is ours: a bad line is a bug in its builder
            raise SystemExit(f"{split}.jsonl line {line.number}: {line.record_error}")
        pair = LabelledPair(f"{split}:{line.number}", record["question"], record["chunk"], record["label"],
                            record["kind"])
        rows.append(DevsetRow(pair, record))
    return rows


def run(judge: AlignmentJudge, split: str, data: Path = DATA) -> DevsetResult:
    rows = load_split(split, data)
    metrics, items = evaluate(judge, [r.pair for r in rows], show_progress=False)
    by_vendor = [replace(item, kind=row.record["vendor"]) for row, item in zip(rows, items, strict=True)]
    misses = [(row, item) for row, item in zip(rows, items, strict=True) if item.gold != item.predicted]
    return DevsetResult(split, metrics, per_kind(by_vendor), misses)


def _table(title: str, groups: dict[str, dict[str, Any]]) -> list[str]:
    lines = [f"  {title:<34} {'n':>5} {'accuracy':>9}"]
    lines += [f"  {name:<34} {row['n']:5d} {row['accuracy']:9.3f}" for name, row in groups.items()]
    return lines


def describe(result: DevsetResult, misses: int = 30) -> str:
    """The breakdown a failing test prints and the report script shows."""
    m = result.metrics
    lines = [f"{result.split}: {m['n']} pairs, accuracy {m['accuracy']:.4f}, aligned pairs dropped "
             f"{m['wrongly_dropped_rate']:.4f}, unaligned pairs kept {1 - (m['recall_unaligned'] or 0):.4f}"]
    lines += _table("kind", m["per_kind"]) + _table("vendor", result.per_vendor)
    lines.append(f"first {min(misses, len(result.misses))} of {len(result.misses)} misses:")
    for row, item in result.misses[:misses]:
        lines += [f"- [{row.record['kind']} | {row.record['vendor']} | {row.record['source']}]",
                  f"  question: {row.pair.question}", f"  chunk:    {row.pair.chunk!r}",
                  f"  expected: {row.pair.label} ({row.record['rule']}: {row.record['why']})",
                  f"  got:      {item.predicted}; {(item.decision.reasoning or '').strip()!r}"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS, action="append", help="default: both")
    parser.add_argument("--backend", default="rules")
    parser.add_argument("--catalog", help="a product catalog file for the rules backend")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="more load_judge options")
    parser.add_argument("--misses", type=int, default=30, help="how many misses to print per split")
    args = parser.parse_args(argv)
    options = parse_options(args.option)
    if args.catalog:
        options["catalog"] = args.catalog
    judge = load_judge(args.backend, **options)
    for split in args.split or SPLITS:
        print(describe(run(judge, split), args.misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
