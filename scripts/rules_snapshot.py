"""Every rules verdict on the project's fixed pairs, as JSON lines: an equivalence check for speed work.

    python scripts/rules_snapshot.py > before.jsonl      # on the old code
    python scripts/rules_snapshot.py --compare before.jsonl

Pairs: the real-table dev and held-out sets, the training worked examples (aligned/unaligned.json), the
spec's worked examples and the benchmark's manual-like pairs. Each line holds the label, the deciding rule,
its entities and the full reasoning; ``--compare`` lists every pair whose line differs and exits 1 if any do.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

if __package__ in (None, ""):  # `python scripts/X.py`: the checkout on the path, as `python -m scripts.X` has it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devtools.pairs import make_pairs
from ea_plugin.backends.rules import RulesBackend
from ea_plugin.examples import WORKED_EXAMPLES
from ea_plugin.jsonl import dumps, read_file
from ea_plugin.judgement import Pair

ROOT = Path(__file__).resolve().parents[1]
_JSONL = ("tests/data/devset/devset.jsonl", "tests/data/devset/holdout.jsonl")
_JSON = ("training/examples/aligned.json", "training/examples/unaligned.json")


def pairs() -> Iterator[tuple[str, Pair]]:
    for name in _JSONL:
        for line in read_file(ROOT / name):
            yield f"{name}:{line.number - 1}", Pair(line.value["question"], line.value["chunk"])
    for name in _JSON:
        for i, row in enumerate(json.loads((ROOT / name).read_text("utf-8"))):
            yield f"{name}:{i}", Pair(row["question"], row["chunk"])
    for i, ex in enumerate(WORKED_EXAMPLES):
        yield f"spec:{i}", Pair(ex.question, ex.chunk)
    for i, pair in enumerate(make_pairs(2000, seed=1)):
        yield f"bench:{i}", pair


def snapshot() -> list[str]:
    backend = RulesBackend()
    lines = []
    for where, pair in pairs():
        (j,) = backend.generate([pair])
        lines.append(dumps({"pair": where, "label": j.label, "rule": j.extra["rule"],
                            "entities": j.extra["entities"], "reasoning": j.reasoning}))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", type=Path, help="a snapshot written before: report every difference")
    args = parser.parse_args()
    lines = snapshot()
    if args.compare is None:
        print("\n".join(lines))
        return
    before = args.compare.read_text("utf-8").rstrip("\n").split("\n")  # one line per pair (U+2028 is escaped)
    if len(before) != len(lines):
        sys.exit(f"{len(before)} pairs before, {len(lines)} now")
    differ = [(b, a) for b, a in zip(before, lines, strict=True) if b != a]
    for b, a in differ[:20]:
        print(f"before: {b}\nnow:    {a}\n")
    print(f"{len(lines)} pairs, {len(differ)} differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
