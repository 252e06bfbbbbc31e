"""How a backend does on the realtext probe set (tests/data/realtext): accuracy per pair kind and per vendor,
and the misses. The same report as scripts/devset_report.py, over the harder pairs.

    python scripts/realtext_report.py                   # rules backend
    python scripts/realtext_report.py --misses 100 --option catalog=my_products.yaml
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ea_plugin.judge import load_judge
from scripts.build_realtext import DATA
from scripts.devset_report import describe, run
from training.evaluate import parse_options

SPLIT = "realtext"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="rules")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="load_judge options")
    parser.add_argument("--misses", type=int, default=30, help="how many misses to print")
    args = parser.parse_args(argv)
    print(describe(run(load_judge(args.backend, **parse_options(args.option)), SPLIT, DATA), args.misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
