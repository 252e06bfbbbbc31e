"""`ea-judge filter` past one process: records/s of the rules backend on 1 and N worker processes and on Ray actors.

    python -m benchmarks.filter_workers                           # 20,000 records; 1 and 2 processes, 2 Ray actors
    python -m benchmarks.filter_workers --records 50000 --workers 1 2 4 --ray 2 4

Each row runs ``filter_file`` (the code behind ``ea-judge filter``) over the same JSONL file of manual-like pairs
(``devtools.pairs``, unique texts: no cache hits across records) into a fresh output, and times it on the wall
clock from the call to the last record written: the engine's start (spawning the worker processes, creating the
Ray actors and building their judges) is inside the time, the Ray cluster's own start is not (it is started once,
as a cluster is). The output files of every row are checked byte-identical to the in-process row's. The
in-process row (engine ``local``, 1 worker) is the same-run baseline. records/s per core = records/s / workers.
records per CPU-s counts the CPU time of this process and its worker processes (not Ray's), which other load on a
shared machine does not change: it shows what the parallelism itself costs (start, pickling the steps and
decisions). The load average beside each row says how busy the machine was.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

from devtools.pairs import make_pairs
from ea_plugin.filter_file import check_paths, filter_file
from ea_plugin.jsonl import write_jsonl
from ea_plugin.parallel import engine

CONFIG = {"backend": "rules", "options": {"mode": "think"}}  # what `ea-judge filter` runs by default


def write_records(path: Path, count: int) -> None:
    write_jsonl(path, ({"question": pair.question, "chunk": pair.chunk} for pair in make_pairs(count, seed=3)))


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the worker processes, once shut down)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(source: Path, work: Path, name: str, kind: str, workers: int, step: int) -> tuple[float, float, bytes]:
    """(wall seconds, CPU seconds of this process and its worker processes, the output's bytes) of one run."""
    output = work / f"{name}.jsonl"
    paths = check_paths(source, output)
    start, start_cpu = time.perf_counter(), cpu_seconds()
    with engine(kind, CONFIG, workers) as judging:
        filter_file(None, paths, step, engine=judging)
    return time.perf_counter() - start, cpu_seconds() - start_cpu, output.read_bytes()


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--records-per-step", type=int, default=256)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker process counts (1: in-process)")
    parser.add_argument("--ray", type=int, nargs="*", default=[2], help="Ray actor counts (none: skip Ray)")
    args = parser.parse_args(argv)
    print(f"{cpu_name()}, {os.cpu_count()} cores; {args.records:,} records, {args.records_per_step} per step")
    print("| engine | workers | s (wall) | records/s | records/s per core | records per CPU-s | x in-process | "
          "load avg | same output |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "records.jsonl"
        write_records(source, args.records)
        runs = [("local", n) for n in args.workers]
        if args.ray:
            import ray

            ray.init(num_cpus=max(args.ray), include_dashboard=False, log_to_driver=False)
            runs += [("ray", n) for n in args.ray]
        baseline: tuple[float, bytes] | None = None
        for index, (kind, workers) in enumerate(runs):
            seconds, cpu, output = run(source, work, f"run{index}", kind, workers, args.records_per_step)
            baseline = baseline or (seconds, output)
            rate = args.records / seconds
            # Ray's workers are not this process's children: their CPU time is not counted here.
            per_cpu = "n/a" if kind == "ray" else f"{args.records / cpu:,.0f}"
            print(f"| {kind if workers > 1 or kind == 'ray' else 'in-process'} | {workers} | {seconds:.2f} | "
                  f"{rate:,.0f} | {rate / workers:,.0f} | {per_cpu} | {baseline[0] / seconds:.2f} | "
                  f"{os.getloadavg()[0]:.1f} | {'yes' if output == baseline[1] else 'NO'} |")


if __name__ == "__main__":
    main()
