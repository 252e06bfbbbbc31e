"""How a backend does on the phrasing probe set (tests/data/phrasing): accuracy per pair kind and per vendor, the
misses, and accuracy per question form (the ``variant`` field: order, case, script, code forms...).

    python scripts/phrasing_report.py                   # rules backend
    python scripts/phrasing_report.py --misses 100 --option catalog=my_products.yaml
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from devtools.devsets.devset_report import load_split
from devtools.devsets.phrasing import DATA
from devtools.devsets.realtext_report import report
from ea_plugin.judge import AlignmentJudge
from training.evaluate import evaluate
from training.judge_metrics import per_kind

SPLIT = "phrasing"


def per_form(judge: AlignmentJudge) -> str:
    """Accuracy by the question's form: the same pairs grouped by ``variant`` instead of kind."""
    rows = load_split(SPLIT, DATA)
    _, items = evaluate(judge, [r.pair for r in rows], show_progress=False)
    groups = per_kind([replace(item, kind=row.record["variant"]) for row, item in zip(rows, items, strict=True)])
    return "\n".join([f"  {'question form':<34} {'n':>5} {'accuracy':>9}",
                      *(f"  {name:<34} {g['n']:5d} {g['accuracy']:9.3f}" for name, g in groups.items())])


def main(argv: Sequence[str] | None = None) -> int:
    return report(argv, SPLIT, DATA, __doc__, per_form)


if __name__ == "__main__":
    raise SystemExit(main())
