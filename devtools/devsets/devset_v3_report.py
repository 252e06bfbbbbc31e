"""How a backend does on the spec v3 dev sets: accuracy, aligned pairs dropped, unaligned kept, by kind and vendor.

    python scripts/devset_v3_report.py                              # rules backend, dev split
    python scripts/devset_v3_report.py --misses 50 --kind sign_dropped
    python scripts/devset_v3_report.py --catalog learned.yaml       # a catalog (built-in, user or learned)
    python scripts/devset_v3_report.py --learn                      # learn one from the split's corpus first
    python scripts/devset_v3_report.py --split holdout              # only at the end of a session: do not tune on it
    python scripts/devset_v3_report.py --split fresh [--learn]      # the fresh set: scored once, by the lead

The held-out split comes from other vendors' tables; it is scored once, at the end, to see how the rules generalise.
The fresh set (tests/data/devset_fresh, devtools/devsets/fresh.py) comes from vendors none of our sets uses and is
scored once, at the end of issue 21; its report adds the score on the forms spec v2 left silent (`silent`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from devtools.devsets.devset_report import DevsetResult, describe, load_split, run
from devtools.devsets.devset_v3 import DATA, SPLITS
from ea_plugin.judge import AlignmentJudge, load_judge
from ea_plugin.prompts import ALIGNED, UNALIGNED
from training.evaluate import parse_options

# The fresh measurement set (devtools/devsets/fresh.py): other vendors, scored once, by the lead, at the end.
FRESH_DATA = DATA.parent / "devset_fresh"
FRESH = "fresh"
DATA_OF = {**dict.fromkeys(SPLITS, DATA), FRESH: FRESH_DATA}


def score(judge: AlignmentJudge, split: str, data: Path | None = None, kind: str | None = None) -> DevsetResult:
    """The split (optionally one pair kind) judged by `judge`: training.evaluate's metrics, per vendor, misses."""
    result = run(judge, split, data or DATA_OF[split])
    if kind is not None:
        misses = [(row, item) for row, item in result.misses if row.record["kind"] == kind]
        result = replace(result, misses=misses)
    return result


# The spec v3 form each pair kind checks (issue 21 asks for the forms spec v2 left silent apart).
FORMS = {
    "mnemonic": ("mnemonic_", "number_vs_pair_"), "table rows": ("table_row_", "code_then_newline_"),
    "signed": ("signed_", "sign_"), "parameter": ("parameter_",), "series names": ("series_spelling", "alias_"),
    "products apart": ("sibling_series", "other_vendor", "two_series_"), "brand": ("brand_",),
    "software": ("software_",), "codes decide": ("same_product_", "chunk_no_product", "question_no_product",
                                                 "two_codes_"), "default": ("question_no_entity",),
}


def form_of(kind: str) -> str:
    return next((form for form, prefixes in FORMS.items() if kind.startswith(prefixes)), "other")


def breakdown(result: DevsetResult, field: str, data: Path | None = None) -> list[str]:
    """Per kind, form, vendor or formerly silent form (`silent`, the fresh set's rows): pairs, accuracy, aligned
    pairs dropped and unaligned pairs kept (counts)."""
    rows = load_split(result.split, data or DATA_OF[result.split])

    def key(record: dict[str, str]) -> str:
        if field == "silent":  # every formerly silent form apart, and the rest
            return record["silent"] or "(spec v2 and v3 spelling forms)"
        return form_of(record["kind"]) if field == "form" else record[field]

    total = Counter((key(r.record), r.record["label"]) for r in rows)
    missed = Counter((key(row.record), row.record["label"]) for row, _ in result.misses)
    names = sorted({name for name, _ in total})
    lines = [f"  {field:<32} {'n':>5} {'accuracy':>9} {'dropped':>9} {'kept':>9}"]
    for name in names:
        n = total[name, ALIGNED] + total[name, UNALIGNED]
        wrong = missed[name, ALIGNED] + missed[name, UNALIGNED]
        lines.append(f"  {name:<32} {n:5d} {(n - wrong) / n:9.3f} {missed[name, ALIGNED]:>4}/{total[name, ALIGNED]:<4}"
                     f" {missed[name, UNALIGNED]:>4}/{total[name, UNALIGNED]:<4}")
    return lines


def report(result: DevsetResult, misses: int = 30) -> str:
    """The header and misses of devset_report.describe, with dropped/kept counts per kind, form and vendor (and, on
    the fresh set, per formerly silent form and on all of them together)."""
    text = describe(result, misses)
    head, _, rest = text.partition("\n")
    tail = rest[rest.index("first "):] if "first " in rest else ""
    silent = [*breakdown(result, "silent"), silent_total(result)] if result.split == FRESH else []
    return "\n".join([head, *breakdown(result, "kind"), *breakdown(result, "form"), *breakdown(result, "vendor"),
                      *silent, tail])


def silent_accuracy(result: DevsetResult) -> tuple[int, float]:
    """Pairs on the formerly silent forms (the fresh set's `silent` rows) and the accuracy on them."""
    rows = [r for r in load_split(result.split, DATA_OF[result.split]) if r.record.get("silent")]
    missed = sum(bool(row.record.get("silent")) for row, _ in result.misses)
    return len(rows), (len(rows) - missed) / len(rows) if rows else 0.0


def silent_total(result: DevsetResult) -> str:
    n, accuracy = silent_accuracy(result)
    return f"  {'all formerly silent forms':<32} {n:5d} {accuracy:9.3f}"


def learn_catalog_file(split: str, out: Path, data: Path | None = None) -> Path:
    """`ea-judge catalog learn` on the split's chunk-only corpus (no labels, no questions): the learned catalog."""
    corpus = (data or DATA_OF[split]) / f"{split}_corpus.jsonl"
    subprocess.run([sys.executable, "-m", "ea_plugin.cli", "catalog", "learn", str(corpus), "-o", str(out)],
                   check=True, capture_output=True, timeout=300)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=(*SPLITS, FRESH), default="devset")
    parser.add_argument("--backend", default="rules")
    parser.add_argument("--catalog", help="a product catalog file (YAML/JSON) for the rules backend")
    parser.add_argument("--learn", action="store_true", help="learn a catalog from the split's corpus and use it")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="more load_judge options")
    parser.add_argument("--misses", type=int, default=30, help="how many misses to print")
    parser.add_argument("--kind", help="print only the misses of this pair kind")
    args = parser.parse_args(argv)
    options = parse_options(args.option)
    with tempfile.TemporaryDirectory() as tmp:
        if args.learn:
            options["catalog"] = str(learn_catalog_file(args.split, Path(tmp) / "learned.yaml"))
        elif args.catalog:
            options["catalog"] = args.catalog
        judge = load_judge(args.backend, **options)
        print(report(score(judge, args.split, kind=args.kind), args.misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
