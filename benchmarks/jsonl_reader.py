"""The one JSONL reader (``ea_plugin.jsonl``): lines/s with its policy checks, against a plain ``json.loads``.

    python -m benchmarks.jsonl_reader                     # the dev set's records, 50,000 lines, 7 rounds
    python -m benchmarks.jsonl_reader --lines 200000 --rounds 5

Rows, each over the same bytes (the dev set's records repeated, plus one line in 500 that the policy rejects:
a 5,000-digit integer, NaN, nesting 988 deep, a lone surrogate, bad UTF-8, in turn):
- ``json.loads per line``: ``data.split(b"\\n")`` and ``json.loads`` on each line, no checks (a line it cannot
  read is skipped): the same-run baseline, and what readers did before the shared one;
- ``read_lines (bytes)``: ``ea_plugin.jsonl.read_lines`` on the bytes in memory (what convert reads with);
- ``read_file (streamed)``: ``ea_plugin.jsonl.read_file`` from disk, line by line (what filter, report, label,
  mine and select read with).
Each row's best and median of the rounds, in lines/s; rounds alternate the rows so a busy machine slows each alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ea_plugin import jsonl

DEVSET = Path(__file__).resolve().parents[1] / "tests" / "data" / "devset" / "devset.jsonl"
HOSTILE = [b'{"question": "q", "chunk": "c", "n": ' + b"7" * 5000 + b"}", b'{"question": "q", "chunk": NaN}',
           b'{"x": ' + b"[" * 988 + b"]" * 988 + b"}", b'{"question": "\\ud800", "chunk": "c"}', b'{"q": "\xff"}']


def corpus(lines: int) -> bytes:
    records = [line for line in DEVSET.read_bytes().split(b"\n") if line]
    out = []
    for index in range(lines):
        out.append(HOSTILE[(index // 500) % len(HOSTILE)] if index % 500 == 499 else records[index % len(records)])
    return b"\n".join(out) + b"\n"


def plain(data: bytes) -> int:
    count = 0
    for raw in data.split(b"\n"):
        if raw.strip():
            try:
                json.loads(raw)
                count += 1
            except ValueError:  # JSONDecodeError, UnicodeDecodeError, the 4,300-digit limit
                pass
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    data = corpus(args.lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corpus.jsonl"
        path.write_bytes(data)
        rows: dict[str, Callable[[], object]] = {
            "json.loads per line (baseline)": lambda: plain(data),
            "read_lines (bytes)": lambda: sum(1 for _ in jsonl.read_lines(data)),
            "read_file (streamed)": lambda: sum(1 for _ in jsonl.read_file(path)),
        }
        rates: dict[str, list[float]] = {name: [] for name in rows}
        for _ in range(args.rounds):
            for name, work in rows.items():
                start = time.perf_counter()
                work()
                rates[name].append(args.lines / (time.perf_counter() - start))
    rejected = sum(1 for line in jsonl.read_lines(data) if not line.ok)
    print(f"{args.lines:,} lines, {len(data) / 1e6:.1f} MB, {rejected} rejected by the policy; {args.rounds} rounds; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print("| reader | best lines/s | median lines/s | median vs baseline |\n|---|---|---|---|")
    base = statistics.median(rates["json.loads per line (baseline)"])
    for name, values in rates.items():
        print(f"| {name} | {max(values):,.0f} | {statistics.median(values):,.0f} | "
              f"{statistics.median(values) / base:.2f}x |")


if __name__ == "__main__":
    main()
