"""How a backend does on the realtext probe set (tests/data/realtext): accuracy per pair kind and per vendor,
and the misses. The same report as scripts/devset_report.py, over the harder pairs.

    python scripts/realtext_report.py                   # rules backend
    python scripts/realtext_report.py --misses 100 --option catalog=my_products.yaml
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from devtools.devsets.devset_report import describe, run
from devtools.devsets.realtext import DATA
from ea_plugin.arguments import parse_options
from ea_plugin.judge import AlignmentJudge, load_judge

SPLIT = "realtext"


def report(argv: Sequence[str] | None, split: str, data: Path, doc: str,
           more: Callable[[AlignmentJudge], str] | None = None) -> int:
    """The command line of a probe set's report (this one, scripts/phrasing_report.py): ``more`` adds a table."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--backend", default="rules")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="load_judge options")
    parser.add_argument("--misses", type=int, default=30, help="how many misses to print")
    args = parser.parse_args(argv)
    judge = load_judge(args.backend, **parse_options(args.option))
    print(describe(run(judge, split, data), args.misses))
    if more is not None:
        print(more(judge))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return report(argv, SPLIT, DATA, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
