"""`ea-judge filter`: judge a JSONL file of {question, chunk} records, resumably, losing nothing.

Every input line ends up exactly once in one of three places: the output (the record as it was, with the
filter's own fields under the one key ``"ea"``: line number, kept, why, judgement), the rejects file (line
number, reason, the line's text), or the blank count (whitespace-only lines). Lines are read by
``ea_plugin.jsonl`` (bad bytes, bad JSON, numbers out of range, deep nesting and lone surrogates reject that
line only), as they come: records are judged and written step by step, so an interrupted run keeps what it
wrote. A rerun skips the line numbers already in the output or the rejects file (after checking that each
still holds the record written for it: a changed input is refused, never silently skipped), and cuts off a
torn last line a killed run left behind (that record is judged again); with ``retry_errors`` it also judges
again the records whose judgement failed (a wrong server, say) instead of keeping their ``kept_on_error`` rows.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ea_plugin.errors import USAGE, EAPluginError
from ea_plugin.jsonl import JsonLine, LineCounts, complete_lines, count_lines, dumps_line, parse_line, read_file
from ea_plugin.judge import AlignmentJudge
from ea_plugin.outputs import refuse_overwrite, same_file
from ea_plugin.parallel import Engine, InProcess, StepResult
from ea_plugin.policy import DROPPED_ON_ERROR, KEPT_ON_ERROR, Decision

FIELDS = ("question", "chunk")
NAMESPACE = "ea"  # the output record's one key for the filter's own fields: the record's own are never touched
ERROR_WHY = frozenset({KEPT_ON_ERROR, DROPPED_ON_ERROR})
MAX_ERROR_SHARE = 0.5  # past this share of failed judgements a run is reported as failed (exit 1)


class FilterError(EAPluginError, ValueError):
    """The filter cannot start: a missing input, an output that cannot be written, a bad option."""

    exit_status = USAGE


class ResumeError(EAPluginError, ValueError):
    """An existing output or rejects file holds a line that is not one this command wrote."""

    exit_status = USAGE


@dataclass
class FilterCounts:
    judged: int = 0  # records judged this run, each written to the output
    kept: int = 0  # of them, the chunks kept
    dropped: int = 0  # of them, the chunks dropped
    rejected: int = 0  # lines that are no record to judge, or that the judge refused (to the rejects file)
    blank: int = 0  # whitespace-only input lines (not records)
    skipped: int = 0  # lines already in the output or rejects file from an earlier run
    errors: int = 0  # judged records whose judgement failed (written kept_on_error / dropped_on_error)
    retried: int = 0  # failed rows of an earlier run taken out of the output to be judged again
    earlier_errors: int = 0  # failed rows of an earlier run still in the output (no --retry-errors)
    first_error: str | None = field(default=None, repr=False)
    earlier_judged: int = field(default=0, repr=False)  # rows an earlier run wrote to the output

    def summary(self) -> str:
        hidden = {"first_error", "earlier_judged"}
        return " ".join(f"{k}={v}" for k, v in asdict(self).items() if k not in hidden)

    def mostly_failed(self, share: float = MAX_ERROR_SHARE) -> bool:
        """Whether more than ``share`` of the output's judgements failed (this run's and those an earlier run
        left there): a run that only looks like success."""
        errors = self.errors + self.earlier_errors
        return errors > 0 and errors > share * (self.judged + self.earlier_judged)

    def failure_warning(self) -> str:
        errors, judged = self.errors + self.earlier_errors, self.judged + self.earlier_judged
        first = f" (first: {self.first_error})" if self.first_error else ""
        return (f"{errors} of {judged} judgements in the output failed{first}; fix the backend (e.g. --base-url, "
                "--model) and rerun with --retry-errors to judge them again")


class FilterInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: what was written is safe (``counts``), and a rerun resumes after it."""

    def __init__(self, counts: FilterCounts) -> None:
        super().__init__("interrupted")
        self.counts = counts


@dataclass(frozen=True)
class FilterPaths:
    input: Path
    output: Path
    rejects: Path


def default_rejects(output: str | Path) -> Path:
    return Path(output).with_suffix(".rejects.jsonl")


def check_paths(source: str | Path, output: str | Path, rejects: str | Path | None = None,
                reads: Sequence[str | Path] = ()) -> FilterPaths:
    """The three paths, or a FilterError (OverwriteError) saying in one line what is wrong with them; ``reads``:
    other files the run reads (the judge's catalogs), which no output may be either."""
    source, output = Path(source), Path(output)
    rejects = Path(rejects) if rejects else default_rejects(output)
    if not source.exists():
        raise FilterError(f"input not found: {source}")
    if source.is_dir():
        raise FilterError(f"input is a directory: {source}")
    refuse_overwrite([source, *reads], [output, rejects])
    for name, path in (("output", output), ("rejects file", rejects)):
        if path.is_dir():
            raise FilterError(f"{name} is a directory: {path}")
        # A rerun reads it back: a pipe or a terminal would block forever (/dev/null reads as empty: fine).
        if path.exists() and not path.is_file() and not same_file(path, os.devnull):
            raise FilterError(f"{name} must be a regular file, got {path} (a pipe, a device or /dev/stdout): it is "
                              "read back to resume; write to a file")
    for name, path in (("output", output), ("rejects file", rejects)):
        if not path.parent.is_dir():
            raise FilterError(f"{name}'s directory does not exist: {path.parent}")
        try:  # the one honest test of "writable" (os.access says yes to root on a read-only mount)
            path.open("a", encoding="utf-8").close()
        except OSError as exc:
            raise FilterError(f"{name} is not writable: {path} ({exc.strerror})") from exc
    if same_file(output, rejects):
        raise FilterError(f"output and rejects file are the same file: {output}")
    return FilterPaths(source, output, rejects)


@dataclass(frozen=True)
class _Written:
    """One row of an earlier run's output or rejects file: its input line, whether its judgement failed, and a
    fingerprint of the input line it was written for (None for rows written before the namespace)."""

    line: int
    failed: bool
    fingerprint: bytes | None = None
    where: str = ""  # "PATH line N", for messages


def fingerprint(record: Any = None, text: str | None = None) -> bytes:
    """What identifies an input line in the rows written for it: its record (an output row without our namespace)
    or, for a rejected line, its text."""
    shown = json.dumps(["text", text] if text is not None else ["record", record], sort_keys=True,
                       ensure_ascii=False)
    return hashlib.blake2b(shown.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def line_fingerprint(line: JsonLine) -> tuple[bytes, bytes]:
    """The fingerprints an input line's row may carry: as an output row (its record) and as a reject (its text)."""
    return fingerprint(line.value) if line.record is not None else b"", fingerprint(text=line.text)


def _written_rows(path: Path) -> Iterator[tuple[bytes, _Written]]:
    for index, raw in enumerate(complete_lines(path), start=1):
        if not raw.strip():
            continue
        row = parse_line(index, raw).value
        ours = row.get(NAMESPACE) if isinstance(row, dict) else None
        mark: bytes | None
        if isinstance(ours, dict):
            mark = fingerprint({k: v for k, v in row.items() if k != NAMESPACE})
        else:  # a rejects row, or an output row written before the namespace (fields at the top level)
            ours = row
            text = ours.get("text") if isinstance(ours, dict) and "reason" in ours else None
            mark = fingerprint(text=text) if isinstance(text, str) else None
        number = ours.get("line") if isinstance(ours, dict) else None
        if not isinstance(number, int) or isinstance(number, bool):
            raise ResumeError(f"{path} line {index} is not a record this command wrote (no input line number); "
                              "remove it or pass another output")
        yield raw, _Written(number, ours.get("why") in ERROR_WHY, mark, f"{path} line {index}")


def earlier_rows(output: Path) -> tuple[int, int]:
    """(rows, rows whose judgement failed) that earlier runs wrote to ``output``."""
    rows = [written for _, written in _written_rows(output)]
    return len(rows), sum(written.failed for written in rows)


def done_lines(*paths: Path) -> set[int]:
    """Input line numbers already written by an earlier run (a torn last line is cut off and not counted)."""
    return set(written_lines(*paths))


def written_lines(*paths: Path) -> dict[int, _Written]:
    """The rows an earlier run wrote, by input line number (a torn last line is cut off and not counted)."""
    return {written.line: written for path in paths for _, written in _written_rows(path)}


def check_same_line(line: JsonLine, written: _Written, source: Path) -> None:
    """ResumeError unless ``written`` was written for this very line: resuming skips by line number, so a changed
    input (another file, lines added or removed) would otherwise leave its records unjudged, silently."""
    if written.fingerprint is None or written.fingerprint in line_fingerprint(line):
        return
    raise ResumeError(f"{written.where} was written for line {line.number} of another input: line {line.number} "
                      f"of {source} now holds another record (the input changed since that run, or is another "
                      "file); write to a new output, or delete the output and rejects file to start over")


def take_out_failed(output: Path) -> int:
    """Remove the rows whose judgement failed from ``output`` (so they are judged again); how many.

    The file is rewritten beside itself and renamed over the old one: a kill leaves the old file or the new.
    """
    rows = list(_written_rows(output))
    failed = sum(written.failed for _, written in rows)
    if failed:
        handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.writelines(raw + b"\n" for raw, written in rows if not written.failed)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, output)
    return failed


def record_problem(line: JsonLine) -> str | None:
    """Why a readable line is still not a record to judge, or None."""
    if line.record_error:
        return line.record_error if line.ok else line.error
    if not all(isinstance(line.value.get(k), str) and line.value[k].strip() for k in FIELDS):
        return "record needs non-empty string fields 'question' and 'chunk'"
    if NAMESPACE in line.value:
        return f"record has a field {NAMESPACE!r}, the one the filter writes its decision under: rename it"
    return None


# What the filter writes about a decision: the one place that reads the judge's result type.
def decision_row(record: dict[str, Any], number: int, decision: Decision) -> dict[str, Any]:
    return {**record, NAMESPACE: {"line": number, **decision.to_dict()}}


def reject_row(number: int, reason: str, text: str) -> dict[str, Any]:
    return {"line": number, "reason": reason, "text": text}


def _write(handle: TextIO, row: dict[str, Any]) -> None:
    handle.write(dumps_line(row))


@dataclass
class _Sinks:
    out: TextIO
    bad: TextIO
    counts: FilterCounts


def _good_lines(step: Sequence[JsonLine], sinks: _Sinks) -> list[JsonLine]:
    """The step's lines that are records to judge; the others are written to the rejects file now."""
    good = []
    for line in step:
        problem = record_problem(line)
        if problem:
            _write(sinks.bad, reject_row(line.number, problem, line.text))
            sinks.counts.rejected += 1
        else:
            good.append(line)
    return good


def _write_results(good: Sequence[JsonLine], results: StepResult, sinks: _Sinks) -> None:
    """Write each judged line to the output, or to the rejects file where the judge refused it (then flush)."""
    counts = sinks.counts
    for line, result in zip(good, results, strict=True):
        if isinstance(result, str):
            _write(sinks.bad, reject_row(line.number, result, line.text))
            counts.rejected += 1
            continue
        _write(sinks.out, decision_row(line.value, line.number, result))
        counts.judged += 1
        counts.kept += result.kept
        counts.dropped += not result.kept
        if result.why in ERROR_WHY:
            counts.errors += 1
            counts.first_error = counts.first_error or (result.error or result.why)
    sinks.out.flush()
    sinks.bad.flush()


def _pairs(lines: Sequence[JsonLine]) -> list[tuple[str, str]]:
    return [(line.value["question"], line.value["chunk"]) for line in lines]


def filter_file(
    judge: AlignmentJudge | None,
    paths: FilterPaths,
    records_per_step: int = 256,
    progress: Callable[[int | None], Any] | None = None,
    *,
    retry_errors: bool = False,
    engine: Engine | None = None,
) -> FilterCounts:
    """Judge every record of ``paths.input`` not yet in the output; returns what happened to each line.

    The input is streamed: steps of ``records_per_step`` records are judged and written in input order, with
    no more read ahead than the steps in flight. ``engine`` judges the steps (``ea_plugin.parallel``: worker
    processes or Ray actors; default: ``judge`` in this process). ``progress(total)`` makes a progress bar over
    the input's lines (a context manager with ``update(n)``; total None for a pipe), e.g. tqdm's.
    ``retry_errors`` first takes the failed rows of an earlier run out of the output, so they are judged again.
    Ctrl-C raises FilterInterrupted with the counts of what was written.
    """
    if records_per_step < 1:
        raise FilterError(f"records per step must be >= 1, got {records_per_step}")
    if engine is None:
        if judge is None:
            raise FilterError("filter_file needs a judge or an engine")
        engine = InProcess(judge)
    counts = FilterCounts()
    if retry_errors:
        counts.retried = take_out_failed(paths.output)
    counts.earlier_judged, counts.earlier_errors = earlier_rows(paths.output)
    done = written_lines(paths.output, paths.rejects)
    line_counts = LineCounts()

    def steps(sinks: _Sinks) -> Iterator[tuple[tuple[list[JsonLine], int], list[tuple[str, str]]]]:
        """(the step's good lines and the input lines read so far, its pairs), rejects written on the way."""
        step: list[JsonLine] = []
        for line in read_file(paths.input, line_counts):
            if line.number in done:
                check_same_line(line, done[line.number], paths.input)
                counts.skipped += 1
                continue
            step.append(line)
            if len(step) == records_per_step:
                good = _good_lines(step, sinks)
                yield (good, line_counts.lines), _pairs(good)
                step = []
        good = _good_lines(step, sinks)
        yield (good, line_counts.lines), _pairs(good)  # the last step, or none, ends the progress bar

    with paths.output.open("a", encoding="utf-8") as out, paths.rejects.open("a", encoding="utf-8") as bad, \
            (progress(count_lines(paths.input)) if progress else nullcontext(_NoBar())) as bar:
        sinks, shown = _Sinks(out, bad, counts), 0
        try:
            for (good, read), results in engine.map(steps(sinks)):
                _write_results(good, results, sinks)
                bar.update(read - shown)
                shown = read
        except KeyboardInterrupt as exc:
            counts.blank = line_counts.blank
            raise FilterInterrupted(counts) from exc
    counts.blank = line_counts.blank
    return counts


class _NoBar:
    def update(self, n: int) -> None:
        pass
