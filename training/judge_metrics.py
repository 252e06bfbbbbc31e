"""Evaluation metrics for the judge (pure functions over gold labels and the judge's decisions).

不对齐 (drop the chunk) is the positive class: precision/recall/F1 are for dropping. The costly error
is dropping an aligned chunk, so its rate is reported on its own. A judgement without a label (parse
failure, backend error) counts as a failure, and its prediction is whatever the judge's policy decided.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ea_plugin.policy import Decision
from ea_plugin.prompts import ALIGNED, UNALIGNED


@dataclass(frozen=True)
class Scored:
    """One evaluated pair: gold label and the judge's decision (with what the backend said)."""

    gold: str
    decision: Decision
    kind: str = ""

    @property
    def predicted(self) -> str:
        return ALIGNED if self.decision.kept else UNALIGNED

    @property
    def failed(self) -> bool:
        return self.decision.label is None or self.decision.error is not None


def confusion(items: Sequence[Scored]) -> dict[str, dict[str, int]]:
    """gold -> predicted -> count."""
    table = {gold: {pred: 0 for pred in (ALIGNED, UNALIGNED)} for gold in (ALIGNED, UNALIGNED)}
    for item in items:
        table[item.gold][item.predicted] += 1
    return table


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def classification(items: Sequence[Scored]) -> dict[str, float | int | None]:
    table = confusion(items)
    tp = table[UNALIGNED][UNALIGNED]  # correctly dropped
    fp = table[ALIGNED][UNALIGNED]  # aligned chunk wrongly dropped
    fn = table[UNALIGNED][ALIGNED]
    correct = tp + table[ALIGNED][ALIGNED]
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * precision * recall, precision + recall) if precision and recall else 0.0
    failures = sum(item.failed for item in items)
    return {
        "n": len(items),
        "accuracy": _ratio(correct, len(items)),
        "precision_unaligned": precision,
        "recall_unaligned": recall,
        "f1_unaligned": f1,
        "wrongly_dropped_rate": _ratio(fp, sum(table[ALIGNED].values())),
        "parse_failures": failures,
        "parse_failure_rate": _ratio(failures, len(items)),
    }


def per_kind(items: Sequence[Scored]) -> dict[str, dict[str, float | int | None]]:
    groups: dict[str, list[Scored]] = defaultdict(list)
    for item in items:
        groups[item.kind or "(none)"].append(item)
    return {kind: {"n": len(group), "accuracy": _ratio(sum(i.gold == i.predicted for i in group), len(group)),
                   "parse_failures": sum(i.failed for i in group)}
            for kind, group in sorted(groups.items())}


def _scored(items: Sequence[Scored]) -> list[tuple[float, bool]]:
    """(P(对齐), gold is 对齐) for the items with a score."""
    return [(i.decision.score, i.gold == ALIGNED) for i in items if i.decision.score is not None]


def reliability(items: Sequence[Scored], bins: int = 10) -> dict[str, object]:
    """Calibration of P(对齐): per score bin, mean score vs. share actually aligned; and the ECE."""
    pairs = _scored(items)
    rows = []
    ece = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [(s, y) for s, y in pairs if low <= s < high or (b == bins - 1 and s == 1.0)]
        if not inside:
            continue
        mean_score = sum(s for s, _ in inside) / len(inside)
        share = sum(y for _, y in inside) / len(inside)
        ece += len(inside) / len(pairs) * abs(mean_score - share)
        rows.append({"low": low, "high": high, "n": len(inside), "mean_score": mean_score, "aligned_share": share})
    return {"bins": rows, "ece": ece if pairs else None, "n": len(pairs)}


def threshold_sweep(items: Sequence[Scored], steps: int = 20) -> list[dict[str, float | None]]:
    """Keep a chunk when P(对齐) >= t: accuracy, F1 for 不对齐 and the wrongly-dropped rate per t."""
    pairs = _scored(items)
    rows = []
    for k in range(steps + 1):
        t = k / steps
        tp = sum(1 for s, y in pairs if s < t and not y)
        fp = sum(1 for s, y in pairs if s < t and y)
        fn = sum(1 for s, y in pairs if s >= t and not y)
        tn = sum(1 for s, y in pairs if s >= t and y)
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        f1 = _ratio(2 * precision * recall, precision + recall) if precision and recall else 0.0
        rows.append({"threshold": t, "accuracy": _ratio(tp + tn, len(pairs)), "f1_unaligned": f1,
                     "wrongly_dropped_rate": _ratio(fp, fp + tn)})
    return rows
