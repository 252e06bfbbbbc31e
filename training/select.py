"""Pick the pairs most worth a teacher call: what the trained judge is unsure of, where it and the rules disagree,
and a random share for calibration.

    ea-judge select runs/data/pairs.jsonl --out runs/data/next.jsonl --count 500 \\
        --backend transformers --model runs/ea/merged --exclude runs/data/labelled/aligned.json \\
        --exclude runs/data/labelled/unaligned.json
    ea-judge label runs/data/next.jsonl --out runs/data/labelled-2 --backend openai ...

``python -m training.select`` is the same command. The judge scores every pair in fast mode (P(对齐)); the rules
backend labels it too. Of the ``--count`` budget, ``--random-share`` (default 0.1) is drawn at random (seeded) so
the labelled set still shows the judge's real error rate; the rest goes half to judge-vs-rules disagreements (the
least confident first) and half to the scores nearest ``--threshold``, each half giving what it cannot use to the
other. A judge without scores (think mode only) contributes disagreements only. Each chosen pair keeps its fields
and gains ``select_reason`` (disagreement, uncertain, random), ``judge_score``, ``judge_label``, ``rules_label``
and ``rules_rule``. ``--exclude`` drops pairs already labelled (any teacher file or pairs JSONL). Unreadable lines
go to ``OUT.rejects.jsonl``; ``OUT.stats.json`` reconciles: ``input_lines == rejected + excluded + duplicates +
not_chosen + written``.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ea_plugin.arguments import (
    BackendChoice,
    Command,
    add_backend_arguments,
    fraction,
    judgements_failed,
    positive_int,
    print_counts,
)
from ea_plugin.jsonl import read_file, write_json, write_jsonl
from ea_plugin.options import check_int, check_number
from ea_plugin.outputs import refuse_overwrite
from training.mine import outputs, rules_groups
from training.records import pair_key, reject, text_field


@dataclass(frozen=True)
class Candidate:
    record: dict[str, Any]
    judge_label: str | None
    judge_score: float | None
    rules_label: str
    rules_rule: str
    judge_error: str | None = None  # why the judge failed on this pair (a server down, say)

    @property
    def disagrees(self) -> bool:
        return self.judge_label is not None and self.judge_label != self.rules_label

    def distance(self, threshold: float) -> float:
        return math.inf if self.judge_score is None else abs(self.judge_score - threshold)


def judged(records: list[dict[str, Any]], judge: Any) -> list[Candidate]:
    """The one place that reads the judge's decisions here (label and fast score)."""
    pairs = [(r["question"], r["chunk"]) for r in records]
    decisions = judge.judge_pairs(pairs)
    groups = rules_groups(pairs)
    return [Candidate(r, v.label, v.score, *g, judge_error=v.error)
            for r, v, g in zip(records, decisions, groups, strict=True)]


def choose(candidates: Sequence[Candidate], count: int, random_share: float, threshold: float,
           seed: int) -> list[tuple[int, str]]:
    """(index, reason) of the chosen candidates, in input order."""
    n_random = min(round(count * random_share), len(candidates))
    informed = min(count - n_random, len(candidates))
    order = sorted(range(len(candidates)), key=lambda i: candidates[i].distance(threshold))
    disagreeing = [i for i in order if candidates[i].disagrees]
    uncertain = [i for i in order if not candidates[i].disagrees and candidates[i].judge_score is not None]
    first = min(len(disagreeing), max(math.ceil(informed / 2), informed - len(uncertain)))
    chosen = {i: "disagreement" for i in disagreeing[:first]}
    chosen.update({i: "uncertain" for i in uncertain[: informed - first]})
    rest = [i for i in range(len(candidates)) if i not in chosen]
    rng = random.Random(seed)
    chosen.update({i: "random" for i in rng.sample(rest, min(count - len(chosen), len(rest)))})
    return sorted(chosen.items())


@dataclass(frozen=True)
class SelectOptions:
    count: int  # how many pairs to choose (the teacher budget)
    random_share: float = 0.1  # share of ``count`` drawn at random
    threshold: float = 0.5  # the judge's decision threshold
    exclude: tuple[str | Path, ...] = ()  # teacher or pairs files already labelled
    seed: int = 0

    def __post_init__(self) -> None:
        check_int("count", self.count)
        check_number("random_share", self.random_share, 0.0, 1.0)
        check_number("threshold", self.threshold, 0.0, 1.0)


def select(pairs: str | Path, out: str | Path, judge_choice: BackendChoice, options: SelectOptions
           ) -> dict[str, Any]:
    """Choose ``options.count`` pairs of ``pairs`` for the teacher (written to ``out``); returns the counts."""
    from training.teacher import read_records

    out = Path(out)
    refuse_overwrite([pairs, *options.exclude, *judge_choice.files_read], outputs(out))
    stats: Counter[str] = Counter()
    rejects, records = [], []
    excluded = {pair_key(r.value["question"], r.value["chunk"]) for path in options.exclude
                for r in read_records(path) if isinstance(r.value, dict) and _has_pair(r.value)}
    seen: set[tuple[str, str]] = set()
    for line in read_file(pairs):
        stats["input_lines"] += 1
        if line.record is None or not _has_pair(line.record):
            stats["rejected"] += 1
            rejects.append(reject(pairs, line, line.record_error
                                  or "needs non-empty string fields 'question' and 'chunk'"))
            continue
        key = pair_key(line.record["question"], line.record["chunk"])
        if key in excluded or key in seen:
            stats["excluded" if key in excluded else "duplicates"] += 1
            continue
        seen.add(key)
        records.append(line.record)
    judge = judge_choice.load(mode="fast", threshold=options.threshold, batch_size=32)
    candidates = judged(records, judge)
    picked = choose(candidates, options.count, options.random_share, options.threshold, options.seed)
    rows = [{**candidates[i].record, "select_reason": reason, "judge_score": candidates[i].judge_score,
             "judge_label": candidates[i].judge_label, "rules_label": candidates[i].rules_label,
             "rules_rule": candidates[i].rules_rule} for i, reason in picked]
    stats["written"] = write_jsonl(out, rows)
    stats["not_chosen"] = len(candidates) - len(rows)
    stats.update({f"chosen_{reason}": n for reason, n in Counter(r for _, r in picked).items()})
    stats["disagreements_seen"] = sum(c.disagrees for c in candidates)
    stats["judge_errors"] = sum(c.judge_error is not None for c in candidates)
    stats["first_judge_error"] = next((c.judge_error for c in candidates if c.judge_error), None)
    write_jsonl(out.with_suffix(".rejects.jsonl"), rejects)
    parts = ("rejected", "excluded", "duplicates", "not_chosen", "written")
    if stats["input_lines"] != sum(stats[k] for k in parts):
        raise AssertionError(f"select counts do not reconcile: {dict(stats)}")
    write_json(out.with_suffix(".stats.json"), dict(stats))
    return dict(stats)


def _has_pair(record: dict[str, Any]) -> bool:
    return text_field(record, "question") is not None and text_field(record, "chunk") is not None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pairs", help="pairs JSONL ({question, chunk, ...})")
    p.add_argument("--out", required=True, help="JSONL of the chosen pairs (input for ea-judge label)")
    p.add_argument("--count", type=positive_int, required=True, help="how many pairs to choose (the teacher budget)")
    p.add_argument("--random-share", type=fraction(), default=0.1, help="share of --count drawn at random (0.1)")
    p.add_argument("--threshold", type=fraction(), default=0.5, help="the judge's decision threshold (0.5)")
    add_backend_arguments(p, default="transformers", judge_flags=("batch_size",), what="the trained judge")
    p.add_argument("--exclude", action="append", default=[], help="teacher or pairs file already labelled")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    options = SelectOptions(count=args.count, random_share=args.random_share, threshold=args.threshold,
                            exclude=tuple(args.exclude), seed=args.seed)
    stats = select(args.pairs, args.out, BackendChoice.from_args(args), options)
    print_counts({k: v for k, v in stats.items() if k != "first_judge_error"})
    # Failed judgements leave only random picks: a run that looks like success unless said.
    return judgements_failed("ea-judge select", stats["judge_errors"], stats["written"] + stats["not_chosen"],
                             stats["first_judge_error"])


COMMAND = Command("select", "choose the pairs most worth a teacher call: the judge unsure, judge and rules apart",
                  add_arguments, description=__doc__)


def main(argv: Sequence[str] | None = None) -> int:
    return COMMAND.main(argv, prog="python -m training.select")


if __name__ == "__main__":
    sys.exit(main())
