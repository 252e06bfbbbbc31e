"""Does running text ever make a product? A probe over the chunks of every set, with no labels of its own.

    python scripts/running_text_probe.py              # both probes, the spans that dropped a chunk
    python scripts/running_text_probe.py --limit 300  # a quick look (the first 300 chunks and pairs)

1. Every chunk that names a fault code, against questions that name a product no set uses and that code: where
   the chunk names no product, the pair is relevant by its code and must be kept (default keep); where it does,
   dropping it is right. The table lists every product span that dropped a pair by the product rule: each must
   be a real model or brand, never a word of running text (``Sync0``, ``I2T-Model``, ``Troubleshooting N5``).
2. Every aligned pair, its question extended by a phrase of running text (units, steps, interfaces, software, a
   word before a number): none may be dropped. Exit 1 if one is.

Sets: tests/data/devset (dev and held-out), realtext, phrasing, the dev split of devset_v3 (never its held-out
split), the training examples and the spec's worked examples.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ea_plugin.backends.rules import RulesBackend
from ea_plugin.examples import WORKED_EXAMPLES
from ea_plugin.jsonl import read_file
from ea_plugin.judgement import Pair
from ea_plugin.prompts import ALIGNED, UNALIGNED
from ea_plugin.rules import extract_entities

ROOT = Path(__file__).resolve().parents[2]
SETS = ("tests/data/devset/devset.jsonl", "tests/data/devset/holdout.jsonl", "tests/data/realtext/realtext.jsonl",
        "tests/data/phrasing/phrasing.jsonl", "tests/data/devset_v3/devset.jsonl")
TRAINING = ("training/examples/aligned.json", "training/examples/unaligned.json")
# Products of no vendor any set uses, in the forms of the spec (a series word, a hyphenated model, a product word).
UNRELATED = ("ZQ-7300系列", "Voltrix P86 drive", "KX900变频器")
# Running text a user adds to a question: none of it names a product or a code.
PHRASES = (" during 50Hz run", " after the 3.5kW motor was replaced", "Troubleshooting: ",
           " (check whether it comes back)", " Step 2 done", " on Axis 3", " sensor 1 low", " with DC24V supply",
           " at 100ms cycle", " via RS485", " in TwinCAT 3", " while Sync0 is on", "Please help: ", " Rev B")


def rows() -> Iterator[tuple[str, str, str, str]]:
    """(set, question, chunk, label) of every set."""
    for name in SETS:
        for line in read_file(ROOT / name):
            row = line.value
            yield name.split("/")[2], row["question"], row["chunk"], row["label"]
    for name in TRAINING:  # the label ends the teacher's answer
        for row in json.loads((ROOT / name).read_text("utf-8")):
            label = UNALIGNED if row["llm_analysis"].rstrip().endswith(f"{UNALIGNED}</label>") else ALIGNED
            yield "training", row["question"], row["chunk"], label
    for ex in WORKED_EXAMPLES:
        yield "spec", ex.question, ex.chunk, ex.label


def probe(limit: int | None = None) -> tuple[str, int]:
    """The report, and how many aligned pairs a phrase of running text dropped."""
    backend = RulesBackend()
    data = list(rows())
    chunks = list(dict.fromkeys(chunk for _, _, chunk, _ in data))[:limit]
    spans: Counter[str] = Counter()
    first: dict[str, str] = {}
    pairs = 0
    for chunk in chunks:
        faults = extract_entities(chunk).faults
        if not faults:
            continue
        judged = backend.generate([Pair(f"{product}报{faults[0].text}怎么办", chunk) for product in UNRELATED])
        pairs += len(judged)
        for j in judged:
            if j.label == UNALIGNED and j.extra["rule"] == "product":
                for text in j.extra["entities"]["chunk"]:
                    spans[text] += 1
                    first.setdefault(text, chunk[:100])
    out = [f"probe 1: {pairs} pairs (chunks with a code vs an unrelated product); "
           f"{len(spans)} product spans of chunks dropped a pair (each must be a real model or brand):"]
    out += [f"  {n:6d}  {text!r:28}  e.g. {first[text]!r}" for text, n in spans.most_common()]
    aligned = [(q, c) for _, q, c, label in data if label == ALIGNED][:limit]
    extended = [Pair(p + q if p.endswith(": ") else q + p, c) for q, c in aligned for p in PHRASES]
    dropped = [pair for pair, j in zip(extended, backend.generate(extended), strict=True) if j.label != ALIGNED]
    out.append(f"probe 2: {len(extended)} aligned pairs with a phrase of running text added to the question; "
               f"dropped: {len(dropped)}")
    out += [f"  {pair.question!r} | {pair.chunk[:100]!r}" for pair in dropped[:20]]
    return "\n".join(out), len(dropped)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N chunks and aligned pairs")
    args = parser.parse_args()
    report, dropped = probe(args.limit)
    print(report)
    return 1 if dropped else 0


if __name__ == "__main__":
    raise SystemExit(main())
