"""Every rules judgement on the project's fixed pairs, as JSON lines: an equivalence check for speed work.

    python scripts/rules_snapshot.py > before.jsonl      # on the old code
    python scripts/rules_snapshot.py --compare before.jsonl

Pairs: every dev, held-out, fresh, realtext and phrasing set, the training worked examples
(aligned/unaligned.json), the spec's worked examples, the benchmark's manual-like pairs and the cold benchmark's
manual pages; the v3 and fresh sets and the cold pages are judged again with a catalog learned from their own
corpus. Each line holds the label, the deciding rule, its entities and the full reasoning; ``--compare``
matches lines by their pair key (file and index), lists the pairs whose line differs (moved labels first),
counts new and gone keys, and exits 1 if any pair differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

if __package__ in (None, ""):  # `python scripts/X.py`: the checkout on the path, as `python -m scripts.X` has it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devtools.manual_pages import corpus as cold_corpus
from devtools.manual_pages import pairs as cold_pairs
from devtools.manual_pages import vendors
from devtools.pairs import make_pairs
from ea_plugin.backends.rules import RulesBackend
from ea_plugin.examples import WORKED_EXAMPLES
from ea_plugin.jsonl import dumps, read_file
from ea_plugin.judgement import Pair
from ea_plugin.rules.catalog import Catalog
from ea_plugin.rules.learn import catalog_from_corpus

ROOT = Path(__file__).resolve().parents[1]
_JSONL = ("tests/data/devset/devset.jsonl", "tests/data/devset/holdout.jsonl", "tests/data/devset_v3/devset.jsonl",
          "tests/data/devset_v3/holdout.jsonl", "tests/data/devset_fresh/fresh.jsonl",
          "tests/data/realtext/realtext.jsonl", "tests/data/phrasing/phrasing.jsonl")
# (pairs, corpus) judged again with the catalog learned from the corpus
_LEARNED = (("tests/data/devset_v3/devset.jsonl", "tests/data/devset_v3/devset_corpus.jsonl"),
            ("tests/data/devset_v3/holdout.jsonl", "tests/data/devset_v3/holdout_corpus.jsonl"),
            ("tests/data/devset_fresh/fresh.jsonl", "tests/data/devset_fresh/fresh_corpus.jsonl"))
_COLD_PAIRS, _COLD_PAGES = 2000, 5000  # the cold benchmark's pairs, and the pages its catalog is learned from
_JSON = ("training/examples/aligned.json", "training/examples/unaligned.json")


def pairs() -> Iterator[tuple[str, Pair]]:
    for name in _JSONL:
        yield from _jsonl_pairs(name)
    for name in _JSON:  # keyed by content: the generator rewrites these files (a regenerated pair is a new key)
        for row in json.loads((ROOT / name).read_text("utf-8")):
            digest = hashlib.sha1(f"{row['question']}\0{row['chunk']}".encode()).hexdigest()[:12]
            yield f"{name}#{digest}", Pair(row["question"], row["chunk"])
    for i, ex in enumerate(WORKED_EXAMPLES):
        yield f"spec:{i}", Pair(ex.question, ex.chunk)
    for i, pair in enumerate(make_pairs(2000, seed=1)):
        yield f"bench:{i}", pair
    for i, (question, chunk) in enumerate(cold_pairs(vendors(120), _COLD_PAIRS, seed=1000)):
        yield f"cold:{i}", Pair(question, chunk)


def _jsonl_pairs(name: str, prefix: str = "") -> Iterator[tuple[str, Pair]]:
    for line in read_file(ROOT / name):
        yield f"{prefix}{name}:{line.number - 1}", Pair(line.value["question"], line.value["chunk"])


def learned_pairs() -> Iterator[tuple[str, Catalog, Pair]]:
    """Pairs judged with a catalog learned from their corpus (no labels), keyed ``learned:``."""
    for name, corpus in _LEARNED:
        pages = [line.value for line in read_file(ROOT / corpus)]
        catalog = catalog_from_corpus([p["text"] for p in pages], [p.get("title") for p in pages])
        for where, pair in _jsonl_pairs(name, "learned:"):
            yield where, catalog, pair
    series = vendors(120)
    pages = cold_corpus(series, _COLD_PAGES, seed=0)
    catalog = catalog_from_corpus([text for _, text in pages], [title for title, _ in pages])
    for i, (question, chunk) in enumerate(cold_pairs(series, _COLD_PAIRS, seed=1000)):
        yield f"learned:cold:{i}", catalog, Pair(question, chunk)


def snapshot() -> list[str]:
    built_in = RulesBackend()
    backends: dict[int, RulesBackend] = {}
    lines = [_line(built_in, where, pair) for where, pair in pairs()]
    for where, catalog, pair in learned_pairs():
        backend = backends.setdefault(id(catalog), RulesBackend(catalog=catalog))
        lines.append(_line(backend, where, pair))
    return lines


def _line(backend: RulesBackend, where: str, pair: Pair) -> str:
    (j,) = backend.generate([pair])
    return dumps({"pair": where, "label": j.label, "rule": j.extra["rule"], "entities": j.extra["entities"],
                  "reasoning": j.reasoning})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", type=Path, help="a snapshot written before: report every difference")
    args = parser.parse_args()
    lines = snapshot()
    if args.compare is None:
        print("\n".join(lines))
        return
    before = {_key(line): line for line in args.compare.read_text("utf-8").rstrip("\n").split("\n")}
    now = {_key(line): line for line in lines}  # one line per pair (U+2028 is escaped)
    common = [k for k in now if k in before]
    differ = [k for k in common if before[k] != now[k]]
    moved = [k for k in differ if json.loads(before[k])["label"] != json.loads(now[k])["label"]]
    for k in (moved + [k for k in differ if k not in moved])[:20]:
        print(f"before: {before[k]}\nnow:    {now[k]}\n")
    new, gone = len(now) - len(common), len(before) - len(common)
    print(f"{len(common)} pairs in both, {len(differ)} differ ({len(moved)} labels moved); {new} new, {gone} gone "
          "(a regenerated or extended file adds and drops keys)")
    sys.exit(1 if differ else 0)


def _key(line: str) -> str:
    return json.loads(line)["pair"]


if __name__ == "__main__":
    main()
