"""Worst-case scaling of the rules backend: µs per character against text size, per adversarial input kind.

    python -m benchmarks.rules_scaling                      # sizes 1k 4k 16k 64k, best of 3
    python -m benchmarks.rules_scaling --sizes 1000 4000 --only digits_then_x,manual
    python -m benchmarks.rules_scaling --budget 20          # skip a size predicted to take longer (quadratic guess)

A RAG service hands the judge whatever retrieval returns, so no text may make it slow. Each generator makes a
text of exactly n characters (deterministic); each row times, on one core (CPU time):

* ``extract``: ``extract_entities(text)``, every cache cleared first (per-text and per-token: adversarial text
  is new to the service, and a per-token cache would hide a slow token on the repeats);
* ``score``: ``RulesBackend().score([Pair(question, text)])`` with a short real question, caches cleared;
* ``pair``: both sides long (question and chunk two different texts of the generator), caches cleared.

The ``manual`` row (real dev-set and realtext chunks concatenated) is the same-run baseline. ``slope`` is the
log-log slope of time against size between the two largest sizes measured: 1.0 is linear, 2.0 quadratic.
``x base`` is the row's µs/char at the largest size over the baseline's. A size is skipped (``-``) when the
previous one, scaled quadratically, would exceed ``--budget`` seconds; the slope then uses the sizes measured.
The memory section reads many distinct texts and reports the per-text and per-token caches' entries and the
memory tracemalloc sees them retain.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import math
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from ea_plugin.backends.rules import RulesBackend
from ea_plugin.jsonl import read_file
from ea_plugin.judgement import Pair
from ea_plugin.rules import codes, extract, products
from ea_plugin.rules.catalog import load_catalog
from ea_plugin.rules.extract import extract_entities

ROOT = Path(__file__).resolve().parents[1]
_SOURCES = ("tests/data/devset/devset.jsonl", "tests/data/realtext/realtext.jsonl")
QUESTION = "SV660N伺服驱动器报警E100.1怎么处理？参数H02-00如何设置"


def clear_caches() -> None:
    """Every reading cache of extraction (the catalog and compiled patterns stay, as in use)."""
    extract.clear_cache()
    for cached in (codes._token_reading, codes._number_reading, products._reading):
        cached.cache_clear()
    for table in (codes._MNEMONIC_TOKENS, codes._TOKEN_KINDS, codes._AFTER_CUE):
        table.clear()


# -- generators: (seed, n) -> text of exactly n characters ------------------------------------------------
def _fill(unit: Callable[[int], str], n: int) -> str:
    parts, size, i = [], 0, 0
    while size < n:
        part = unit(i)
        parts.append(part)
        size += len(part)
        i += 1
    return "".join(parts)[:n]


def _chunks() -> list[str]:
    out = []
    for name in _SOURCES:
        path = ROOT / name
        if path.exists():
            out += [line.value["chunk"] for line in read_file(path)]
    return out


_CHUNKS: list[str] = []


def manual(seed: int, n: int) -> str:
    """Realistic long manual text: real dev-set and realtext chunks concatenated (the baseline)."""
    if not _CHUNKS:
        _CHUNKS.extend(_chunks())
    rng = random.Random(seed)
    return _fill(lambda i: rng.choice(_CHUNKS) + "\n", n)


def _aliases() -> list[str]:
    catalog = load_catalog()
    names = [a for b in catalog.brands.values() for a in b.aliases]
    return names + [a for s in catalog.series.values() for a in s.aliases + s.context_aliases]


def base64_blob(seed: int, n: int) -> str:
    return base64.b64encode(random.Random(seed).randbytes(n))[:n].decode("ascii")


def minified_json(seed: int, n: int) -> str:
    rng = random.Random(seed)
    rows = lambda i: json.dumps({"id": i, "code": f"E{rng.randrange(1000)}", "param": f"H{rng.randrange(10):02d}-"  # noqa: E731
                                 f"{rng.randrange(100):02d}", "v": rng.random(), "ok": True}, separators=(",", ":"))
    return _fill(lambda i: rows(i) + ",", n)


def ocr_garbage(seed: int, n: int) -> str:
    rng = random.Random(seed)
    alphabet = "报警故障代码显示参数伺服驱动器0123456789ABCDEFGHabcdefxyz.-_:;,()[]|/\\ \n°%#Il1O0—–·•"
    return "".join(rng.choice(alphabet) for _ in range(n))


def _run(text: str) -> Callable[[int, int], str]:
    def gen(seed: int, n: int) -> str:
        return _fill(lambda i: text, n)
    gen.__doc__ = f"{text!r} repeated"
    return gen


def _one_token(head: str, body: str, tail: str) -> Callable[[int, int], str]:
    def gen(seed: int, n: int) -> str:
        return head + body * ((n - len(head) - len(tail)) // len(body)) + tail
    return gen


def codes_spaced(seed: int, n: int) -> str:
    return _fill(lambda i: f"E{seed}{i % 10000:04d} ", n)  # seeds 1 and 2 share no code


def mixed_codes(seed: int, n: int) -> str:
    forms = ("AL.{:03d}", "Err{}", "E{}.1", "F{:04d}", "0x{:04X}", "{:04X}h", "A.{:03d}", "Pn{:03d}", "H{:02d}-{:02d}")
    return _fill(lambda i: forms[i % len(forms)].format(seed * 100 + i % 97, seed * 10 + i % 9) + " ", n)


def cue_numbers(seed: int, n: int) -> str:
    return _fill(lambda i: f"报警{i % 1000}，故障码 {i % 777}；error code {i % 99}: ", n)


def aliases_dense(seed: int, n: int) -> str:
    names = _aliases()
    return _fill(lambda i: names[(2 * i + seed) % len(names)] + " ", n)


def aliases_and_codes(seed: int, n: int) -> str:
    names = _aliases()
    return _fill(lambda i: f"{names[(2 * i + seed) % len(names)]} E{seed}{i % 1000:03d} ", n)


def models_dense(seed: int, n: int) -> str:
    return _fill(lambda i: f"XYZ{seed}{i % 10000}-{i % 7}A MG {seed}{i % 50:02d} ", n)


def zalgo(seed: int, n: int) -> str:
    return ("a" + "\u0301\u0316" * n)[:n]  # one letter under a run of marks of two classes (Zalgo text)


def unicode_mix(seed: int, n: int) -> str:
    rng = random.Random(seed)
    pieces = ("\u200b", "\u200d", "\u202e", "\u0627\u0644\u062e\u0637\u0623", "😀", "👩‍🔧", "Ｅ１００", "ⅰ", "①",
              "ﬁ", "e\u0301", "E\u200b100", "报警\u2028", "\ufeff", "㎜")
    return _fill(lambda i: rng.choice(pieces), n)


GENERATORS: dict[str, Callable[[int, int], str]] = {
    "manual": manual,  # the baseline: first
    "base64": base64_blob,
    "minified_json": minified_json,
    "ocr_garbage": ocr_garbage,
    "digits": _run("1"),
    "hyphens": _run("-"),
    "dots": _run("."),
    "letters": _run("a"),
    "spaces": _one_token("12", " ", ":x"),
    "digits_then_x": _one_token("", "1", "x"),
    "al_digits_then_g": _one_token("al", "1", "g"),
    "model_digits_then_dot": _one_token("ab", "1", ".1"),
    "letters_then_digit": _one_token("", "a", "1"),
    "dotted_token": _run("a1."),
    "hyphen_token": _run("ab1-"),
    "codes_spaced": codes_spaced,
    "mixed_codes": mixed_codes,
    "cue_repeat": _run("报警"),
    "cue_numbers": cue_numbers,
    "aliases_dense": aliases_dense,
    "aliases_and_codes": aliases_and_codes,
    "models_dense": models_dense,
    "zalgo": zalgo,
    "unicode_mix": unicode_mix,
}


# -- timing ---------------------------------------------------------------------------------------------
def _best(run: Callable[[], object], repeat: int) -> float:
    """Best CPU seconds of ``repeat`` runs, caches cleared before each."""
    best = float("inf")
    for _ in range(repeat):
        clear_caches()
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def measure(name: str, sizes: list[int], repeat: int, budget: float, modes: list[str]) -> dict[str, list]:
    gen, backend, catalog = GENERATORS[name], RulesBackend(), load_catalog()
    out: dict[str, list] = {}
    for mode in modes:
        times: list[float | None] = []
        for n in sizes:
            last = next((t for t in reversed(times) if t is not None), None)
            if last is not None and last * (n / sizes[len(times) - 1]) ** 2 > budget:
                times.append(None)
                continue
            text = gen(1, n)
            assert len(text) == n, (name, n, len(text))
            if mode == "extract":
                run = lambda text=text: extract_entities(text, catalog)  # noqa: E731
            elif mode == "score":
                run = lambda text=text: backend.score([Pair(QUESTION, text)])  # noqa: E731
            else:
                other = gen(2, n)
                run = lambda text=text, other=other: backend.score([Pair(other, text)])  # noqa: E731
            times.append(_best(run, repeat if n < 60_000 else max(1, repeat - 1)))
        out[mode] = times
    return out


def slope(sizes: list[int], times: list[float | None]) -> float | None:
    known = [(n, t) for n, t in zip(sizes, times, strict=True) if t]
    if len(known) < 2:
        return None
    (n1, t1), (n2, t2) = known[-2:]
    return math.log(t2 / t1) / math.log(n2 / n1)


def table(results: dict[str, dict[str, list]], sizes: list[int], mode: str) -> str:
    base = results.get("manual", {}).get(mode)
    base_last = base[-1] / sizes[-1] if base and base[-1] else None
    head = " | ".join(f"{n // 1000}k µs/char" for n in sizes)
    lines = [f"| generator | {head} | slope | x base |", "| --- |" + " ---: |" * (len(sizes) + 2)]
    for name, modes in results.items():
        times = modes[mode]
        cells = [f"{t * 1e6 / n:.2f}" if t else "-" for n, t in zip(sizes, times, strict=True)]
        s = slope(sizes, times)
        last = next(((t, n) for t, n in zip(reversed(times), reversed(sizes), strict=True) if t), None)
        ratio = f"{last[0] / last[1] / base_last:.1f}" if last and base_last else "-"
        lines.append(f"| {name} | {' | '.join(cells)} | {s:.2f} | {ratio} |" if s is not None else
                     f"| {name} | {' | '.join(cells)} | - | {ratio} |")
    return "\n".join(lines)


# -- memory ---------------------------------------------------------------------------------------------
def cache_memory(count: int, size: int) -> str:
    """Read ``count`` distinct code-dense texts of ``size`` characters with tokens of ~50 and ~150 characters;
    report the caches' entries and the memory tracemalloc sees them retain (the caches are all that is kept)."""
    clear_caches()
    catalog = load_catalog()
    gc.collect()
    tracemalloc.start()
    rows = []
    checkpoints = {count // 4, count // 2, count}
    for i in range(1, count + 1):
        words = (f"E{i}{j} Zq{i}x{j}{'7' * 40}y {i}{j}{'8' * (j % 3 * 70)}x " for j in range(size // 60))
        text = f"#{i} " + "".join(words)
        extract_entities(text[:size], catalog)
        if i in checkpoints:
            gc.collect()
            current = tracemalloc.get_traced_memory()[0]
            long_cache = getattr(extract, "_extract_long", None)  # absent before the text cache had tiers
            text_cache = extract._extract.cache_info().currsize + (long_cache.cache_info().currsize
                                                                   if long_cache else 0)
            sizes = (text_cache, codes._token_reading.cache_info().currsize, products._reading.cache_info().currsize)
            rows.append(f"| {i} | {size} | {sizes[0]} | {sizes[1]} | {sizes[2]} | {current / 2**20:.1f} |")
    tracemalloc.stop()
    clear_caches()
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000, 64000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds a size may be predicted to take")
    parser.add_argument("--only", default="", help="comma-separated generator names")
    parser.add_argument("--modes", default="extract,score,pair")
    parser.add_argument("--memory", type=int, default=3000, help="distinct texts for the memory check (0: skip)")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(GENERATORS)
    modes = args.modes.split(",")
    load_catalog()
    results = {}
    for name in names:
        results[name] = measure(name, args.sizes, args.repeat, args.budget, modes)
        print(f"measured {name}", file=sys.stderr, flush=True)
    for mode in modes:
        print(f"\n### {mode}\n")
        print(table(results, args.sizes, mode))
    if args.memory:
        print("\n### caches after many distinct texts\n")
        print("| texts read | chars each | text cache | token cache | model cache | traced MiB |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        print(cache_memory(args.memory, 2000))
        print(cache_memory(max(4, args.memory // 20), 32000))


if __name__ == "__main__":
    main()
