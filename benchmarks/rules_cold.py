"""Rules backend on texts it has never seen, in a fresh process, with and without a learned catalog (issue 21
part 5); and learning a catalog from 100,000 chunks.

    python -m benchmarks.rules_cold                       # the table of issue 21 part 5 (~2 minutes)
    python -m benchmarks.rules_cold --core 3 --out rules_cold.md   # pinned to core 3; the table also to a file

The corpus is generated (deterministic, made-up vendors no catalog knows): ``--series`` series of ~60 brands
(Latin and Chinese names), each series word with one to three parts (``Voltrix P86``), each series with its codes
(numbers, family codes, panel mnemonics). Pages are manual pages of 150+ characters holding several entities: a
heading naming the series (with its brand, glued, spaced or hyphenated), two to four table rows, a running-text
note (``DC24V``, ``第2步``), sometimes a parameter or a software name. Questions name a series, a code, a mnemonic
or a parameter. A catalog is learned once from ``--chunks`` pages (timed: ``learn_catalog``, one thread); the
judged pairs are other pages and questions (``--seed`` apart), never seen by the learner.

Each judging row runs in a fresh Python process (``--child``): imports, then the catalog built (not timed: a
judge builds it once), then three timed passes over pairs whose texts occur once each:
* cold: the first pass; every cache of the process empty (per-text readings and per-token readings);
* new texts, warm tokens: a second set of never-seen pairs, after the first pass (the per-token caches warm, as
  in a running service);
* RAG-shaped: never-seen questions, each against 10 never-seen chunks (what a retriever hands the judge: the
  question is read once and cached for its other 9 chunks). Repeating a pass would not hit the per-text cache
  (4,096 texts) at these sizes;
* warm (the same-run baseline): pairs already judged, every text's reading cached: 1,500 pairs of the cold pass
  (3,000 texts) read again (untimed), then judged as often as makes ``--pairs`` judgements; what is left is the
  decision and the judgement's text.
pairs/s is per CPU-second of the child (time.process_time; other load on a shared machine does not count), wall
beside it. Goal: >= 10,000 pairs/s cold on one idle core, with and without a learned catalog of 100+ series; the
table names the CPU and the load average when it ran. ``--core N`` pins this process and its children to core N
(Linux); ``--out FILE`` writes the Markdown table to FILE as well. Needs only ea_plugin's core install. The table
says whether the rules ran compiled (``ea-judge rules compile``) or as pure Python: compile, run, remove the build
(``--remove``) and run again for the two side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devtools.manual_pages import corpus, pairs, rag_pairs, vendors
from ea_plugin import compiled_rules

GOAL = 10_000
WARM_PAIRS = 1_500  # pairs judged again in the warm pass: their 3,000 texts fit the per-text cache (4,096)
PASSES = {"cold": "cold (fresh process, every cache empty)", "new texts, warm tokens": "new texts, warm tokens",
          "RAG-shaped": "RAG-shaped (new question x 10 new chunks)", "warm": "warm (texts judged before: baseline)"}


# -- the child: one fresh process per row --------------------------------------------------------------------
def child(args: argparse.Namespace) -> None:
    start = time.process_time()
    from ea_plugin.backends.rules import RulesBackend
    from ea_plugin.judgement import Pair
    from ea_plugin.rules.catalog import load_catalog

    imported = time.process_time() - start
    series = vendors(args.series)
    first = pairs(series, args.pairs, seed=1000 + args.seed)
    seen = {t for p in first for t in p}
    second = pairs(series, args.pairs, seed=2000 + args.seed, seen=seen)
    seen.update(t for p in second for t in p)
    rag = rag_pairs(series, args.pairs, seed=3000 + args.seed, seen=seen)
    first_pairs, second_pairs, rag_pairs_ = ([Pair(q, c) for q, c in batch] for batch in (first, second, rag))
    start = time.process_time()
    backend = RulesBackend(catalog=load_catalog(args.catalog) if args.catalog else load_catalog())
    built = time.process_time() - start
    rates = {}
    seen_before = first_pairs[:WARM_PAIRS] * max(1, args.pairs // WARM_PAIRS)  # after the cold pass: all cached
    for name, batch in (("cold", first_pairs), ("new texts, warm tokens", second_pairs), ("RAG-shaped", rag_pairs_),
                        ("warm", seen_before)):
        if name == "warm":
            backend.score(first_pairs[:WARM_PAIRS])  # read again (the passes since evicted them), then cached
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        backend.score(batch)
        cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
        rates[name] = (len(batch) / cpu, len(batch) / wall)
    chars = sum(len(q) + len(c) for q, c in first) / len(first)
    print(json.dumps({"rates": rates, "import_s": imported, "catalog_s": built, "series": len(backend.catalog.series),
                      "chars_per_pair": chars}))


def _run_child(catalog: str | None, args: argparse.Namespace) -> dict:
    command = [sys.executable, "-m", "benchmarks.rules_cold", "--child", "--pairs", str(args.pairs),
               "--series", str(args.series), "--seed", str(args.seed)] + (["--catalog", catalog] if catalog else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_model() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what ``platform`` says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # not on this platform
        return "n/a"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=10_000, help="pairs per timed pass")
    parser.add_argument("--chunks", type=int, default=100_000, help="pages the catalog is learned from")
    parser.add_argument("--series", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per row (the best is shown)")
    parser.add_argument("--core", type=int, help="pin to this CPU core (Linux), the children too")
    parser.add_argument("--out", help="write the Markdown table to this file as well")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--catalog", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return
    if args.core is not None:
        os.sched_setaffinity(0, {args.core})  # inherited by the children
    from ea_plugin.rules.learn import learn_catalog, write_learned

    lines = [f"CPU: {cpu_model()} ({os.cpu_count()} logical CPUs"
             + (f", pinned to core {args.core})" if args.core is not None else ", not pinned)")
             + f"; load average at the start {_load()}; Python {platform.python_version()}; the rules run "
             + f"{compiled_rules.state().running} (`ea-judge rules compile`)", ""]
    series = vendors(args.series)
    pages = corpus(series, args.chunks, seed=args.seed)
    titles, texts = [t for t, _ in pages], [x for _, x in pages]
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    mapping = learn_catalog(texts, titles)
    learn_cpu, learn_wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    learned = [e for e in mapping["series"] if e["id"].startswith("learned/")]
    lines += ["| catalog | pass | pairs | pairs/s (CPU) | pairs/s (wall) |", "| --- | --- | ---: | ---: | ---: |"]
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "learned.yaml")
        write_learned(mapping, path)
        for label, catalog in (("built-in", None), (f"built-in + learned ({len(learned)} series)", path)):
            results = [_run_child(catalog, args) for _ in range(args.runs)]
            for name, shown in PASSES.items():
                cpu = max(r["rates"][name][0] for r in results)
                wall = max(r["rates"][name][1] for r in results)
                lines.append(f"| {label} | {shown} | {args.pairs:,} | {cpu:,.0f} | {wall:,.0f} |")
    r = results[0]
    lines += ["", "| learning | pages | characters a page | CPU s | wall s | learned |",
              "| --- | ---: | ---: | ---: | ---: | --- |",
              f"| `learn_catalog`, one thread (goal: under a minute) | {len(pages):,} | "
              f"{sum(map(len, texts)) / len(texts):.0f} | {learn_cpu:.1f} | {learn_wall:.1f} | {len(learned)} series "
              f"of {len(series)} generated, {len(mapping['brands'])} brands, "
              f"{len(mapping['software'])} software names |",
              "", f"{r['chars_per_pair']:.0f} characters per pair; catalog built in {r['catalog_s']:.2f} s; imports "
              f"{r['import_s']:.2f} s; best of {args.runs} fresh processes per row; load average at the end {_load()}.",
              f"Goal: >= {GOAL:,} pairs/s cold on one idle core, with and without a learned catalog of 100+ series."]
    table = "\n".join(lines) + "\n"
    print(table, end="")
    if args.out:
        Path(args.out).write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
