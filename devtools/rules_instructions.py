"""Instructions a cold rules judgement costs, counted by callgrind: the A/B measure for rules speed work
(instruction counts do not swing with a shared host's load, as CPU time does).

    python -m devtools.rules_instructions                 # built-in catalog, 500 never-seen pairs
    python -m devtools.rules_instructions --learned --pairs 1000

Runs this module twice under ``valgrind --tool=callgrind`` in fresh processes (``PYTHONHASHSEED=0``): both build
the catalog and generate the same pairs as ``benchmarks.rules_cold`` (devtools.manual_pages); one judges them, one
does not. The difference over the pairs is the marginal cost of a cold judgement (reading two never-seen texts,
deciding, writing the judgement). Needs valgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile


def _child(pairs: int, judge: bool, learned: bool) -> None:
    from devtools.manual_pages import corpus, vendors
    from devtools.manual_pages import pairs as make_pairs
    from ea_plugin.backends.rules import RulesBackend
    from ea_plugin.judgement import Pair
    from ea_plugin.rules.learn import catalog_from_corpus

    series = vendors(120)
    catalog = None
    if learned:
        pages = corpus(series, 20_000, seed=0)
        catalog = catalog_from_corpus([text for _, text in pages], [title for title, _ in pages])
    backend = RulesBackend(catalog=catalog)
    batch = [Pair(q, c) for q, c in make_pairs(series, pairs, seed=1000)]
    if judge:
        backend.score(batch)


def _instructions(pairs: int, judge: bool, learned: bool) -> int:
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "callgrind.out")
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-m",
                   "devtools.rules_instructions", "--child", "--pairs", str(pairs)]
        command += ["--judge"] if judge else []
        command += ["--learned"] if learned else []
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
                              check=True)
    match = re.search(r"Collected : (\d+)", done.stderr)
    if match is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--learned", action="store_true", help="with a catalog learned from 20,000 pages")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--judge", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.pairs, args.judge, args.learned)
        return
    judged = _instructions(args.pairs, True, args.learned)
    base = _instructions(args.pairs, False, args.learned)
    catalog = "built-in + learned" if args.learned else "built-in"
    print(f"{catalog}: {(judged - base) / args.pairs / 1000:,.1f} k instructions per cold pair "
          f"({judged - base:,} over {args.pairs} pairs)")


if __name__ == "__main__":
    main()
