"""`ea-judge filter`: judge a JSONL file of {question, chunk} records, resumably, losing nothing.

Every input line ends up exactly once in one of three places: the output (the record with its decision and its
line number), the rejects file (line number, reason, the line's text), or the blank count (whitespace-only
lines). Lines are read by ``ea_plugin.jsonl`` (bad bytes, bad JSON and lone surrogates reject that line only).
Records are written as they are judged; a rerun skips the line numbers already in the output or the rejects
file, and cuts off a torn last line a killed run left behind (that record is judged again).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from ea_plugin.errors import USAGE, EAPluginError, InvalidPairError
from ea_plugin.jsonl import Line, LineCounts, complete_lines, dumps_line, read_file
from ea_plugin.judge import AlignmentJudge
from ea_plugin.policy import Decision

FIELDS = ("question", "chunk")


class FilterError(EAPluginError, ValueError):
    """The filter cannot start: a missing input, an output that cannot be written, a bad option."""

    exit_status = USAGE


class ResumeError(EAPluginError, ValueError):
    """An existing output or rejects file holds a line that is not one this command wrote."""

    exit_status = USAGE


@dataclass
class FilterCounts:
    judged: int = 0
    kept: int = 0
    dropped: int = 0
    rejected: int = 0
    blank: int = 0  # whitespace-only input lines (not records)
    skipped: int = 0  # lines already in the output or rejects file from an earlier run

    def summary(self) -> str:
        return " ".join(f"{k}={v}" for k, v in asdict(self).items())


@dataclass(frozen=True)
class FilterPaths:
    input: Path
    output: Path
    rejects: Path


def default_rejects(output: str | Path) -> Path:
    return Path(output).with_suffix(".rejects.jsonl")


def check_paths(source: str | Path, output: str | Path, rejects: str | Path | None = None) -> FilterPaths:
    """The three paths, or a FilterError saying in one line what is wrong with them."""
    source, output = Path(source), Path(output)
    rejects = Path(rejects) if rejects else default_rejects(output)
    if not source.exists():
        raise FilterError(f"input not found: {source}")
    if source.is_dir():
        raise FilterError(f"input is a directory: {source}")
    for name, path in (("output", output), ("rejects file", rejects)):
        if path.is_dir():
            raise FilterError(f"{name} is a directory: {path}")
        if _same_file(path, source):
            raise FilterError(f"{name} is the input file ({path}): it would overwrite what it reads")
        if not path.parent.is_dir():
            raise FilterError(f"{name}'s directory does not exist: {path.parent}")
        try:  # the one honest test of "writable" (os.access says yes to root on a read-only mount)
            path.open("a", encoding="utf-8").close()
        except OSError as exc:
            raise FilterError(f"{name} is not writable: {path} ({exc.strerror})") from exc
    if _same_file(output, rejects):
        raise FilterError(f"output and rejects file are the same file: {output}")
    return FilterPaths(source, output, rejects)


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return a.samefile(b)
    return a.resolve() == b.resolve()


def done_lines(*paths: Path) -> set[int]:
    """Input line numbers already written by an earlier run (a torn last line is cut off and not counted)."""
    done: set[int] = set()
    for path in paths:
        for index, raw in enumerate(complete_lines(path), start=1):
            if not raw.strip():
                continue
            try:
                number = json.loads(raw)["line"]
            except (ValueError, TypeError, KeyError) as exc:
                raise ResumeError(f"{path} line {index} is not a record this command wrote ({exc}); "
                                  "remove it or pass another output") from exc
            done.add(number)
    return done


def record_problem(line: Line) -> str | None:
    """Why a readable line is still not a record to judge, or None."""
    if not line.ok:
        return line.error
    if not isinstance(line.value, dict):
        return "record is not a JSON object"
    if not all(isinstance(line.value.get(k), str) and line.value[k].strip() for k in FIELDS):
        return "record needs non-empty string fields 'question' and 'chunk'"
    return None


# What the filter writes about a decision: the one place that reads the judge's result type.
def decision_row(record: dict[str, Any], number: int, decision: Decision) -> dict[str, Any]:
    return {**record, "line": number, **decision.to_dict()}


def reject_row(number: int, reason: str, text: str) -> dict[str, Any]:
    return {"line": number, "reason": reason, "text": text}


def _write(handle: TextIO, row: dict[str, Any]) -> None:
    handle.write(dumps_line(row))


def _judge_each(judge: AlignmentJudge, lines: Sequence[Line]) -> list[Decision | str]:
    """Decisions for the lines in order; where the judge refuses a pair as invalid input, the reason instead."""
    pairs = [(line.value["question"], line.value["chunk"]) for line in lines]
    try:
        return list(judge.judge_pairs(pairs))
    except InvalidPairError:  # some pair of the step is invalid to the judge: find which, judge the rest
        results: list[Decision | str] = []
        for pair in pairs:
            try:
                results.append(judge.judge_pairs([pair])[0])
            except InvalidPairError as exc:
                results.append(f"invalid pair: {exc}")
        return results


def filter_file(
    judge: AlignmentJudge,
    paths: FilterPaths,
    records_per_step: int = 256,
    progress: Callable[[int], Any] | None = None,
) -> FilterCounts:
    """Judge every record of ``paths.input`` not yet in the output; returns what happened to each line.

    ``progress(total)`` makes a progress bar (a context manager with ``update(n)``), e.g. tqdm's.
    """
    if records_per_step < 1:
        raise FilterError(f"records per step must be >= 1, got {records_per_step}")
    done = done_lines(paths.output, paths.rejects)
    line_counts = LineCounts()
    todo = [line for line in read_file(paths.input, line_counts) if line.number not in done]
    counts = FilterCounts(blank=line_counts.blank, skipped=line_counts.lines - line_counts.blank - len(todo))
    with paths.output.open("a", encoding="utf-8") as out, paths.rejects.open("a", encoding="utf-8") as bad, \
            (progress(len(todo)) if progress else nullcontext(_NoBar())) as bar:
        for start in range(0, len(todo), records_per_step):
            step = todo[start : start + records_per_step]
            good = []
            for line in step:
                problem = record_problem(line)
                if problem:
                    _write(bad, reject_row(line.number, problem, line.text))
                    counts.rejected += 1
                else:
                    good.append(line)
            for line, result in zip(good, _judge_each(judge, good), strict=True):
                if isinstance(result, str):
                    _write(bad, reject_row(line.number, result, line.text))
                    counts.rejected += 1
                    continue
                row = decision_row(line.value, line.number, result)
                counts.judged += 1
                counts.kept += result.kept
                counts.dropped += not result.kept
                _write(out, row)
            out.flush()
            bad.flush()
            bar.update(len(step))
    return counts


class _NoBar:
    def update(self, n: int) -> None:
        pass
