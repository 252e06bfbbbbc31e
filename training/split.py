"""Which validated examples go where: duplicate removal, 1:1 class balancing, the grouped split.

Every example a step drops comes back as a Rejection with its reason, so the converter's counts
reconcile. All choices are seeded: the same input and seed give the same files.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Sequence

from ea_plugin.errors import OptionError
from ea_plugin.prompts import LABELS
from training.teacher import Example, Rejection

SPLITS = ("train", "val", "test")


def _pair_key(example: Example) -> tuple[str, str]:
    return example.question.strip(), example.chunk.strip()


def question_group(question: str) -> str:
    """The key that keeps one question on one side of the split (case and spacing ignored)."""
    return re.sub(r"\s+", "", question).lower()


def drop_duplicate_examples(examples: Sequence[Example]) -> tuple[list[Example], list[Rejection]]:
    """Keep the first example of each (question, chunk); a pair labelled both ways is rejected entirely."""
    by_pair: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for example in examples:
        by_pair[_pair_key(example)].append(example)
    kept: list[Example] = []
    rejected: list[Rejection] = []
    for group in by_pair.values():
        labels = {e.label for e in group}
        if len(labels) > 1:
            reason = f"conflicting labels for the same question and chunk ({', '.join(e.id for e in group)})"
            rejected += [Rejection(e.id, "conflicting_pair", reason, e.record) for e in group]
            continue
        kept.append(group[0])
        rejected += [Rejection(e.id, "duplicate", f"duplicate of {group[0].id}", e.record) for e in group[1:]]
    order = {e.id: i for i, e in enumerate(examples)}
    kept.sort(key=lambda e: order[e.id])
    return kept, rejected


def balance(examples: Sequence[Example], seed: int) -> tuple[list[Example], list[Rejection]]:
    """Drop random examples of the larger class until both labels have the same count."""
    by_label = {label: [e for e in examples if e.label == label] for label in LABELS}
    target = min(len(group) for group in by_label.values())
    rng = random.Random(seed)
    dropped: set[str] = set()
    for group in by_label.values():
        if len(group) > target:
            dropped.update(e.id for e in rng.sample(group, len(group) - target))
    kept = [e for e in examples if e.id not in dropped]
    reason = f"class balancing: dropped to make 对齐:不对齐 1:1 ({target} each)"
    return kept, [Rejection(e.id, "balancing", reason, e.record) for e in examples if e.id in dropped]


def split(examples: Sequence[Example], val: float, test: float, seed: int) -> dict[str, list[Example]]:
    """Train/val/test by question group: the same question never sits in two splits.

    Groups are shuffled (seeded) and dealt to val and test until each holds its share of examples;
    the rest is train. Shares are of examples, so they hold approximately when groups differ in size.
    """
    if val < 0 or test < 0 or val + test >= 1:
        raise OptionError(f"val and test shares must be >= 0 and sum to < 1, got val={val}, test={test}", option="val")
    groups: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        groups[question_group(example.question)].append(example)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    targets = {"val": round(val * len(examples)), "test": round(test * len(examples))}
    out: dict[str, list[Example]] = {name: [] for name in SPLITS}
    for key in keys:
        name = next((s for s in ("val", "test") if len(out[s]) < targets[s]), "train")
        out[name] += groups[key]
    order = {e.id: i for i, e in enumerate(examples)}
    for name in SPLITS:
        out[name].sort(key=lambda e: order[e.id])
    return out

