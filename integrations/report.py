"""``ea-judge report``: how often a retriever returns chunks about another product or fault code.

    ea-judge report retrieved.jsonl -o report/                              # rules backend, no model
    ea-judge report retrieved.jsonl -o report/ --compare filtered.jsonl     # before/after the filter
    ea-judge report retrieved.jsonl -o report/ --backend openai --base-url http://127.0.0.1:8000/v1 --model ea

Input: one JSONL record per question, ``{"question": str, "contexts": [str | {"text", "id"?, "score"?}]}``,
contexts in rank order (``python -m integrations.retrieve`` writes them). Each question's contexts are judged
in one batched call (``integrations.retrieval_metric``). Written to the output directory: ``report.json`` (overall and
per-question figures), ``report.md`` (precision@k, questions with off-entity chunks, the worst questions
with their off-entity chunks and the judge's reasons), PNG plots, and ``rejects.jsonl``: every unreadable
input line with its file, line number and reason (so each line is either reported or rejected).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ea_plugin.arguments import (
    BackendChoice,
    Command,
    add_backend_arguments,
    int_at_least,
    judge_from_args,
    judgements_failed,
    positive_int,
)
from ea_plugin.errors import USAGE, EAPluginError
from ea_plugin.jsonl import check_input, dumps_line, read_file, write_json
from ea_plugin.judge import AlignmentJudge
from ea_plugin.outputs import refuse_overwrite
from integrations.retrieval_metric import (
    DEFAULT_KS,
    STATUS_ALIGNED,
    STATUS_FAILED,
    STATUS_NOT_JUDGED,
    STATUS_OFF_ENTITY,
    Context,
    ContextError,
    RetrievalJudgement,
    RetrievalSummary,
    as_context,
    judge_retrieval,
    summarize,
)

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
REJECTS = "rejects.jsonl"
# Every file the report writes into its folder (the plots' names from integrations.report_plots).
OUTPUTS = (REPORT_JSON, REPORT_MD, REJECTS, "precision_by_rank.png", "precision_distribution.png", "before_after.png")
DEFAULT_WORST = 5
PLOTS_LEFT_OUT = 'Plots left out: matplotlib is not installed (pip install "ea-plugin[report]" to get them).'


class ReportInputError(EAPluginError, ValueError):
    """An input the report cannot use at all: missing, a directory, or not one {question, contexts} record."""

    exit_status = USAGE


# -- input ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetrievalRecord:
    line: int
    question: str
    contexts: list[Context]
    expected_ids: frozenset[str] | None = None  # the chunks that answer the question, where the input says


def _record(value: Any) -> tuple[str, list[Context], frozenset[str] | None]:
    """(question, contexts, expected ids) of one parsed input line; ValueError with the reason otherwise."""
    if not isinstance(value, dict):
        raise ValueError("record is not a JSON object")
    question, contexts, expected = value.get("question"), value.get("contexts"), value.get("expected_ids")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("record needs a non-empty string 'question'")
    if not isinstance(contexts, list):
        raise ValueError("record needs 'contexts': a list of strings or of {text, id?, score?}")
    if expected is not None and (not isinstance(expected, list) or not all(isinstance(e, str) for e in expected)):
        raise ValueError("'expected_ids', where given, must be a list of strings")
    try:
        items = [as_context(item) for item in contexts]
    except ContextError as exc:
        raise ValueError(str(exc)) from exc
    return question, items, None if expected is None else frozenset(expected)


def read_retrievals(path: Path) -> Iterator[tuple[int, RetrievalRecord | None, str | None]]:
    """(line number, record or None, reason it was rejected or None) for each non-blank line of ``path``
    (read by ``ea_plugin.jsonl``, as ``ea-judge filter`` reads its input)."""
    for line in read_file(path):
        if not line.ok:
            yield line.number, None, line.error
            continue
        try:
            question, contexts, expected = _record(line.value)
        except ValueError as exc:
            yield line.number, None, str(exc)
        else:
            yield line.number, RetrievalRecord(line.number, question, contexts, expected), None


@dataclass
class ReportInput:
    """One input file, read and checked before anything is judged: its records and its rejected lines."""

    path: Path
    records: list[RetrievalRecord] = field(default_factory=list)
    rejects: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def read_input(path: Path, what: str = "input") -> ReportInput:
    """Every line of ``path`` read and checked; ReportInputError when the file is missing or holds no usable
    record (an empty file, or one of another shape: every line rejected)."""
    try:
        check_input(path, what)
    except ValueError as exc:
        raise ReportInputError(str(exc)) from exc
    read = ReportInput(path)
    for number, record, reason in read_retrievals(path):
        if record is None:
            read.rejects.append((number, reason or "unreadable"))
        else:
            read.records.append(record)
    if not read.records:
        shape = "one JSONL record per question: {\"question\": str, \"contexts\": [str | {text, id?, score?}]}"
        if not read.rejects:
            raise ReportInputError(f"{what} {path} holds no record: it needs {shape}")
        number, reason = read.rejects[0]
        raise ReportInputError(f"{what} {path} holds no usable record (all {len(read.rejects)} lines rejected; "
                               f"line {number}: {reason}): it needs {shape}")
    return read


@dataclass
class JudgedFile:
    """One input file, judged: a result per readable record, and how many lines were rejected."""

    path: Path
    results: list[RetrievalJudgement] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # input line of each result
    expected: list[frozenset[str] | None] = field(default_factory=list)  # expected ids of each result
    rejected: int = 0

    def expected_found(self, index: int) -> int | None:
        """How many of the question's expected chunks were retrieved (None where the input names none)."""
        expected = self.expected[index]
        if expected is None:
            return None
        return len(expected & {c.context.id for c in self.results[index].chunks})

    def expected_total(self) -> tuple[int, int] | None:
        """(expected chunks retrieved, expected chunks) over the questions that name them."""
        named = [i for i, e in enumerate(self.expected) if e is not None]
        if not named:
            return None
        return sum(self.expected_found(i) or 0 for i in named), sum(len(self.expected[i] or ()) for i in named)


def judge_file(judge: AlignmentJudge, source: Path | ReportInput, rejects: TextIO, *,
               quiet: bool = False) -> JudgedFile:
    """Judge every readable record of ``source`` (a path, or a file read_input has read: one batched call per
    question); rejected lines go to ``rejects``."""
    from tqdm import tqdm

    read = source if isinstance(source, ReportInput) else read_input(source)
    judged = JudgedFile(read.path)
    for number, reason in read.rejects:
        rejects.write(dumps_line({"file": str(read.path), "line": number, "reason": reason}))
        judged.rejected += 1
    for record in tqdm(read.records, desc=f"judging {read.path.name}", unit="question", disable=quiet):
        judged.results.append(judge_retrieval(judge, record.question, record.contexts))
        judged.lines.append(record.line)
        judged.expected.append(record.expected_ids)
    return judged


# -- report.json ---------------------------------------------------------------------------------------
def file_report(judged: JudgedFile, ks: Sequence[int]) -> dict[str, Any]:
    return {
        "input": str(judged.path),
        "rejected_lines": judged.rejected,
        "summary": summarize(judged.results, ks).to_dict(),
        "expected_found": judged.expected_total(),
        "questions": [
            {"line": n, **r.to_dict(ks), "expected_ids": None if e is None else sorted(e),
             "expected_found": judged.expected_found(i)}
            for i, (n, r, e) in enumerate(zip(judged.lines, judged.results, judged.expected, strict=True))
        ],
    }


# -- report.md -----------------------------------------------------------------------------------------
def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


# Markdown's inline syntax (emphasis, code, links, raw HTML, table pipes): escaped, so text shows as it was typed.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~!])")


def _cell(text: str | None, width: int = 60) -> str:
    """``text`` as one line of literal Markdown text (a table cell, a heading): whitespace runs (newlines too)
    become one space, Markdown's syntax is escaped, and it is cut to ``width`` characters."""
    text = " ".join((text or "-").split())
    text = text if len(text) <= width else text[: width - 1] + "…"
    return _MARKDOWN.sub(r"\\\1", text)


def precision_table(before: RetrievalSummary, after: RetrievalSummary | None = None) -> str:
    """The precision@k table of report.md (also the worked example of docs/evaluation.md)."""
    if after is None:
        rows = ["| k | precision@k | questions with an off-entity chunk in the top k |", "|---|---|---|"]
        rows += [f"| {k} | {fmt(before.precision_at[k])} | {fmt(before.off_entity_share_at[k])} |" for k in before.ks]
        return "\n".join(rows)
    rows = [
        "| k | precision@k before | after | off-entity questions before | after |",
        "|---|---|---|---|---|",
    ]
    rows += [
        f"| {k} | {fmt(before.precision_at[k])} | {fmt(after.precision_at[k])} | "
        f"{fmt(before.off_entity_share_at[k])} | {fmt(after.off_entity_share_at[k])} |"
        for k in before.ks
    ]
    return "\n".join(rows)


def counts_table(runs: dict[str, RetrievalSummary]) -> str:
    rows = ["| | questions | chunks | aligned | off-entity | judge failures | empty |", "|---|---|---|---|---|---|---|"]
    for name, s in runs.items():
        c = s.counts
        rows.append(f"| {name} | {s.questions} | {sum(c.values())} | {c[STATUS_ALIGNED]} | {c[STATUS_OFF_ENTITY]} | "
                    f"{c[STATUS_FAILED]} | {c[STATUS_NOT_JUDGED]} |")
    return "\n".join(rows)


def _worst(results: Sequence[RetrievalJudgement], count: int) -> list[RetrievalJudgement]:
    with_off = [r for r in results if r.off_entity()]
    return sorted(with_off, key=lambda r: (r.precision() or 0.0, -len(r.off_entity())))[:count]


def worst_section(results: Sequence[RetrievalJudgement], count: int) -> str:
    worst = _worst(results, count)
    if not worst:
        return "No question has an off-entity chunk."
    parts = []
    for number, result in enumerate(worst, start=1):
        off = result.off_entity()
        heading = _cell(result.question, 200)  # one line of text: a newline or ``` in it is no Markdown
        parts.append(f"### {number}. {heading}\n\nprecision {fmt(result.precision())}: {len(off)} of "
                     f"{len(result.chunks)} retrieved chunks off-entity")
        rows = ["| rank | id | the judge's reason | chunk |", "|---|---|---|---|"]
        rows += [f"| {c.rank} | {_cell(c.context.id, 24)} | {_cell(c.reason, 70)} | {_cell(c.context.text, 40)} |"
                 for c in off]
        parts.append("\n".join(rows))
    return "\n\n".join(parts)


def changes_table(before: JudgedFile, after: JudgedFile) -> str:
    """Per question: chunks, off-entity chunks, precision and (where the input names them) the expected chunks
    retrieved, before and after."""
    after_index = {r.question: i for i, r in enumerate(after.results)}
    rows = ["| question | chunks | off-entity | precision | expected chunks retrieved |", "|---|---|---|---|---|"]
    for index, b in enumerate(before.results):
        if b.question not in after_index:
            rows.append(f"| {_cell(b.question, 40)} | {len(b.chunks)} → (missing) | | | |")
            continue
        a_index = after_index[b.question]
        a = after.results[a_index]
        found = (before.expected_found(index), after.expected_found(a_index))
        expected = "-" if found[0] is None else f"{found[0]} → {found[1]}"
        rows.append(f"| {_cell(b.question, 40)} | {len(b.chunks)} → {len(a.chunks)} | "
                    f"{len(b.off_entity())} → {len(a.off_entity())} | {fmt(b.precision())} → {fmt(a.precision())} "
                    f"| {expected} |")
    return "\n".join(rows)


def expected_line(before: JudgedFile, after: JudgedFile | None) -> str:
    """Expected chunks retrieved over the questions that name them (the filter's cost, with --compare)."""
    totals = before.expected_total()
    if totals is None:
        return ""
    line = f"Expected chunks retrieved: {totals[0]} of {totals[1]}"
    after_totals = after.expected_total() if after is not None else None
    if after_totals is not None:
        line += f" (after the filter: {after_totals[0]} of {after_totals[1]})"
    return line + "."


def overview(before: JudgedFile, after: JudgedFile | None, ks: Sequence[int]) -> str:
    """The figures at the top of report.md (and in the worked example of docs/evaluation.md): precision@k, chunk counts,
    questions with off-entity chunks, expected chunks retrieved."""
    s_before = summarize(before.results, ks)
    s_after = summarize(after.results, ks) if after is not None else None
    runs = {"retrieved": s_before, **({"filtered": s_after} if s_after is not None else {})}
    questions = (
        f"Questions with at least one off-entity chunk: {s_before.questions_with_off_entity} of {s_before.questions}"
        + (f" (after the filter: {s_after.questions_with_off_entity} of {s_after.questions})" if s_after else "")
        + f". Questions with judge failures: {s_before.questions_with_failures}."
        + (f" {expected_line(before, after)}" if before.expected_total() else "")
    )
    return "\n\n".join([precision_table(s_before, s_after), counts_table(runs), questions])


def render_markdown(before: JudgedFile, after: JudgedFile | None, backend: str, ks: Sequence[int],
                    worst: int, plots: Sequence[str]) -> str:
    rejected = before.rejected + (after.rejected if after else 0)
    lines = [
        "# Entity-alignment report",
        "",
        f"Input: `{before.path}`" + (f"; filtered: `{after.path}`" if after is not None else "")
        + f". Judge: {backend} backend. Rejected input lines: {rejected}"
        + (f" (see `{REJECTS}`)" if rejected else "") + ".",
        "",
        "Entity-alignment precision = the share of the judged chunks that the judge calls 对齐 (judge failures "
        "and empty chunks are counted apart); per question, then averaged over the questions.",
        "",
        "## Precision at k, chunks",
        "",
        overview(before, after, ks),
        "",
    ]
    if after is not None:
        lines += ["## What the filter changed", "", changes_table(before, after), ""]
    lines += [f"## Worst questions{' (retrieved, before the filter)' if after is not None else ''}", "",
              worst_section(before.results, worst), ""]
    shown = [f"![{Path(p).stem}]({Path(p).name})" for p in plots] or [PLOTS_LEFT_OUT]
    lines += ["## Plots", ""] + shown + [""]
    return "\n".join(lines)


def check_paths(source: Path, out: Path, compare: Path | None = None, reads: Sequence[str] = ()) -> None:
    """The inputs exist and no output would overwrite one, nor a file the judge reads (``reads``: its catalogs)
    (ReportInputError, OverwriteError)."""
    for path, what in ((source, "input"), (compare, "--compare file")):
        if path is not None:
            try:
                check_input(path, what)
            except ValueError as exc:
                raise ReportInputError(str(exc)) from exc
    refuse_overwrite([source, compare, *reads], [out / name for name in OUTPUTS])


# -- the whole report ----------------------------------------------------------------------------------
def write_report(
    judge: AlignmentJudge,
    source: Path,
    out: Path,
    *,
    compare: Path | None = None,
    ks: Sequence[int] = DEFAULT_KS,
    worst: int = DEFAULT_WORST,
    quiet: bool = False,
) -> dict[str, Any]:
    """Judge ``source`` (and ``compare``), write report.json, report.md, the plots and rejects.jsonl into
    ``out``; returns what report.json holds."""
    from integrations import report_plots

    check_paths(source, out, compare)
    # Both inputs are read and checked before anything is judged or written.
    reads = read_input(source), read_input(compare, "--compare file") if compare is not None else None
    out.mkdir(parents=True, exist_ok=True)
    with (out / REJECTS).open("w", encoding="utf-8") as rejects:
        before = judge_file(judge, reads[0], rejects, quiet=quiet)
        after = judge_file(judge, reads[1], rejects, quiet=quiet) if reads[1] is not None else None
    s_before = summarize(before.results, ks)
    summaries = {"retrieved": s_before}
    if after is not None:
        summaries["filtered"] = summarize(after.results, ks)
    report = {"backend": judge.backend_name, "ks": list(ks), **file_report(before, ks)}
    if after is not None:
        report["compare"] = file_report(after, ks)
    try:
        report_plots.pyplot()
    except ImportError:  # the numbers do not need matplotlib: write them, and say how to get the plots
        plots: list[Path] = []
        report["plots_left_out"] = PLOTS_LEFT_OUT
    else:
        plots = [report_plots.plot_precision_by_rank(out, summaries),
                 report_plots.plot_distribution(out, {"retrieved": before.results,
                                                      **({"filtered": after.results} if after else {})})]
        if after is not None:
            plots.append(report_plots.plot_before_after(out, s_before, summaries["filtered"]))
    write_json(out / REPORT_JSON, report, indent=2)
    markdown = render_markdown(before, after, judge.backend_name, ks, worst, [str(p) for p in plots])
    (out / REPORT_MD).write_text(markdown, encoding="utf-8")
    return report


# -- command -------------------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="JSONL of {question, contexts} records (one per question)")
    parser.add_argument("-o", "--output", required=True, help="directory for report.json, report.md and plots")
    parser.add_argument("--compare", help="the same questions after the filter (JSONL): before/after figures")
    parser.add_argument("--k", type=positive_int, nargs="+", default=list(DEFAULT_KS),
                        help="ranks for precision@k")
    parser.add_argument("--worst", type=int_at_least(0), default=DEFAULT_WORST,
                        help="how many worst questions report.md lists")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_backend_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """The report for parsed arguments (``ea-judge report`` and ``python -m integrations.report``); a failure is
    one error line (ea_plugin.arguments.run_command): 2 for an input it cannot use, 1 otherwise."""
    compare = Path(args.compare) if args.compare else None
    # the inputs, checked before judging
    check_paths(Path(args.input), Path(args.output), compare, BackendChoice.from_args(args).files_read)
    report = write_report(judge_from_args(args), Path(args.input), Path(args.output), compare=compare,
                          ks=sorted(set(args.k)), worst=args.worst, quiet=args.quiet)
    summary = report["summary"]
    figures = " ".join(f"P@{k}={fmt(v)}" for k, v in summary["precision_at"].items())
    print(f"{summary['questions']} questions, {report['rejected_lines']} rejected lines: {figures} -> "
          f"{Path(args.output) / REPORT_MD}", file=sys.stderr)
    if "plots_left_out" in report:
        print(f"ea-judge report: {report['plots_left_out']}", file=sys.stderr)
    counts = summary["counts"]
    judged = counts[STATUS_ALIGNED] + counts[STATUS_OFF_ENTITY] + counts[STATUS_FAILED]
    return judgements_failed("ea-judge report", counts[STATUS_FAILED], judged)


COMMAND = Command("report", "entity-alignment report of retrieved chunks", add_arguments, description=__doc__)


def main(argv: list[str] | None = None) -> int:
    return COMMAND.main(argv, prog="python -m integrations.report")


if __name__ == "__main__":
    raise SystemExit(main())
