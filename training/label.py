"""Label mined pairs with a teacher: pairs JSONL -> the teacher files training.convert reads.

    ea-judge label runs/data/pairs.jsonl --out runs/data/labelled                  # rules teacher
    ea-judge label runs/data/pairs.jsonl --out runs/data/labelled \\
        --backend openai --base-url http://127.0.0.1:8000/v1 --model Qwen3-235B-A22B          # an LLM teacher
    python -m training.convert --mode merge --aligned runs/data/labelled/aligned.json \\
        --unaligned runs/data/labelled/unaligned.json --include-unaligned --output data/train.json

A teacher is any registered backend, asked in think mode. The openai backend gets ``prompt=teacher``
(ea_plugin.prompts.TEACHER_PROMPT: the judge's rules, the four steps written in the visible answer with thinking
off, then ``<label>对齐</label>``); ``--prompt judge`` asks a served judge instead. The rules backend is a
teacher too: its four-step reasoning is already the seed's format. Concurrency, retries and timeouts are the
openai backend's (``--concurrency``, ``--max-retries``, ``--timeout``; other options with ``--option k=v``).
``python -m training.label`` is the same command.

Each record is checked exactly as training.convert checks it (a ``<label>`` tag, step 3 agreeing with it);
``--samples N`` asks N times (use ``--temperature``) and keeps a record only when at least ``--min-agreement``
of the votes give the same label. Output in ``--out``: ``aligned.json`` and ``unaligned.json`` (JSON arrays of
``{question, chunk, llm_analysis, ...}``), ``label_rejects.jsonl`` (category, reason, votes, the teacher's raw
answers) and ``label_stats.json`` (counts that reconcile, tokens in/out where the server reports usage, time).

A teacher spread over several vLLM servers: ``integrations.ray.judge_dataset(..., "openai", {..., "prompt":
"teacher", "mode": "think"}, base_urls=[...])`` asks it through Ray Data, one judge per server in each actor, and
the rows' ``ea_label``/``ea_reasoning`` become the teacher files (docs/training.md shows the few lines).

Resumable: every pair's outcome is appended to ``label_journal.jsonl`` as it is decided, keyed by the pair
(a hash of question and chunk, not the line number). A rerun skips the pairs already there (after a kill too),
and another input into the same ``--out`` is merged: its new pairs are labelled, pairs already labelled are
skipped, and the four files are written again from the whole journal (``label_stats.json`` says how many
pairs came from this input and how many from earlier ones).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ea_plugin.arguments import (
    BackendChoice,
    Command,
    Interrupted,
    add_backend_arguments,
    catalog_files,
    fraction,
    int_at_least,
    judgements_failed,
    positive_int,
    print_counts,
)
from ea_plugin.jsonl import (
    JsonLine,
    JsonPolicyError,
    dumps_line,
    read_file,
    read_journal,
    read_json,
    write_json,
    write_jsonl,
)
from ea_plugin.judge import AlignmentJudge, load_judge
from ea_plugin.options import check_int
from ea_plugin.outputs import refuse_overwrite
from ea_plugin.policy import Decision
from ea_plugin.prompts import ALIGNED, UNALIGNED, teacher_analysis
from training.records import DataFileError, text_field
from training.teacher import Example, RawRecord, validate

JOURNAL = "label_journal.jsonl"
SETTINGS = "label_settings.json"
OUTPUTS = {ALIGNED: "aligned.json", UNALIGNED: "unaligned.json"}
REJECTS = "label_rejects.jsonl"
STATS = "label_stats.json"
FILES = (JOURNAL, SETTINGS, *OUTPUTS.values(), REJECTS, STATS)  # everything label writes into --out
TEACHER_ERROR = "teacher_error"  # the request failed for good: no answer, asked again on a rerun
TRANSPORT_OPTIONS = frozenset({"api_key", "base_url", "concurrency", "timeout", "max_retries", "retry_backoff"})
PASS_THROUGH = ("chunk_id", "rank", "retrieval_score", "source", "rules_label", "rules_rule")


@dataclass(frozen=True)
class Sample:
    """One answer of the teacher for one pair: a validated teacher record, or why it is not one."""

    example: Example | None
    category: str | None  # teacher_error, empty_answer, no_label, or training.teacher's (step3_conflict, ...)
    reason: str | None
    raw: str
    usage: dict[str, int]

    @property
    def label(self) -> str | None:
        return self.example.label if self.example else None


@dataclass
class Settings:
    backend: str
    backend_options: dict[str, Any]
    samples: int
    min_agreement: float
    teacher_name: str = field(default="")

    def key(self) -> dict[str, Any]:
        # What a resumed run must share with the first one: what changes the labels, not how they travel.
        options = {k: v for k, v in self.backend_options.items() if k not in TRANSPORT_OPTIONS}
        return {"backend": self.backend, "options": options, "samples": self.samples,
                "min_agreement": self.min_agreement}


class SettingsChangedError(DataFileError):
    """--out holds a journal written with other teacher settings."""


# -- one pair ---------------------------------------------------------------------------------------
def teacher_record(pair: dict[str, Any], question: str, chunk: str, label: str, analysis: str,
                   teacher: str) -> dict[str, Any]:
    record = {"question": question, "chunk": chunk, "llm_analysis": teacher_analysis(analysis, label)}
    record.update({k: pair[k] for k in PASS_THROUGH if k in pair})
    record["teacher"] = teacher
    return record


def read_sample(pair: dict[str, Any], chunk: str, decision: Decision, teacher: str, record_id: str) -> Sample:
    """The one place that reads what the teacher said (the Judgement behind the judge's Decision)."""
    judgement = decision.judgement
    if judgement is None:
        return Sample(None, TEACHER_ERROR, f"not judged ({decision.why})", "", {})
    usage = {k: judgement.extra[k] for k in ("prompt_tokens", "completion_tokens")
             if isinstance(judgement.extra.get(k), int)}
    raw = judgement.raw or judgement.reasoning or ""  # a server may hand the text back as reasoning only
    if not judgement.ok:
        # A reply with no text still reports usage; a request that failed for good (after retries) does not.
        category = "no_label" if raw.strip() else "empty_answer" if usage else TEACHER_ERROR
        return Sample(None, category, judgement.error or "the teacher gave no label", raw, usage)
    record = teacher_record(pair, pair["question"], chunk, judgement.label, judgement.reasoning, teacher)
    checked = validate(RawRecord(record_id, record))
    if isinstance(checked, Example):
        return Sample(checked, None, None, raw, usage)
    return Sample(None, checked.category, checked.reason, raw, usage)


def agreed_example(samples: Sequence[Sample], min_agreement: float) -> tuple[Example | None, str | None, str | None]:
    """(kept example, reject category, reason): the majority label wins when enough votes agree."""
    votes = Counter(s.label for s in samples if s.label is not None)
    if not votes:
        first = samples[0]
        return None, first.category, first.reason
    label, count = votes.most_common(1)[0]
    tied = len(votes) > 1 and votes.most_common(2)[1][1] == count
    agreement = count / len(samples)
    if tied or agreement < min_agreement:
        reason = f"votes {dict(votes)} of {len(samples)} samples: agreement {agreement:.2f} < {min_agreement}"
        return None, "disagreement", reason + (" (tie)" if tied else "")
    return next(s.example for s in samples if s.label == label), None, None


# -- the run ----------------------------------------------------------------------------------------
def pair_hash(question: str, chunk: str) -> str:
    """The journal's key of a pair: the same question and chunk are the same pair, whatever line they are on."""
    return hashlib.sha256(f"{question}\x00{chunk}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def line_key(line: JsonLine) -> str:
    """The journal key of an input line: its pair's hash, or for a line that is no pair, its text's."""
    record = line.record or {}
    question, chunk = text_field(record, "question"), text_field(record, "chunk")
    if question is not None and chunk is not None:
        return pair_hash(question, chunk)
    return "line:" + hashlib.sha256(line.text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def entry_key(entry: dict[str, Any]) -> str | None:
    """An entry's key; a journal written before the keys (by line number) gives it from the pair it holds."""
    if isinstance(entry.get("key"), str):
        return entry["key"]
    record = entry.get("record") or entry.get("input")
    if isinstance(record, dict) and text_field(record, "question") and text_field(record, "chunk"):
        return pair_hash(record["question"], record["chunk"])
    return None  # an old entry for a line that was no pair: that line is looked at again


def journal_entries(path: Path) -> dict[str, dict[str, Any]]:
    """The journal's entries by key, in the order first written (a later entry for a key replaces an earlier
    one); a line cut short by a kill is cut off (that pair is labelled again)."""
    entries: dict[str, dict[str, Any]] = {}
    for line in read_journal(path):
        if line.record is not None and (key := entry_key(line.record)) is not None:
            entries[key] = line.record
    return entries


def check_settings(out: Path, settings: Settings, overwrite: bool) -> None:
    path = out / SETTINGS
    if overwrite:
        for name in FILES:
            (out / name).unlink(missing_ok=True)
    if path.exists():
        try:
            same = read_json(path) == settings.key()
        except JsonPolicyError:
            same = False
        if not same:
            raise SettingsChangedError(f"{out} holds labels made with other settings ({path}); "
                                       "use another --out or pass --overwrite")
    write_json(path, settings.key())


def label_entries(judge: AlignmentJudge, lines: Sequence[JsonLine], settings: Settings,
                  source: str = "") -> list[dict[str, Any]]:
    """Journal entries for ``lines``: every sample of every readable pair judged in one call."""
    entries: list[dict[str, Any]] = []
    readable: list[tuple[JsonLine, str, str]] = []
    for line in lines:
        record = line.record or {}
        question, chunk = text_field(record, "question"), text_field(record, "chunk")
        if line.record is None or question is None or chunk is None:
            reason = line.record_error or "needs non-empty string fields 'question' and 'chunk'"
            entries.append({"key": line_key(line), "line": line.number, "outcome": "rejected",
                            "category": "invalid_input", "reason": reason, "input": line.record})
        else:
            readable.append((line, question, chunk[: judge.max_chunk_chars]))
    started = time.perf_counter()
    asked = [(q, c) for _, q, c in readable for _ in range(settings.samples)]
    decisions = judge.judge_pairs(asked) if asked else []
    seconds = (time.perf_counter() - started) / max(len(readable), 1)
    for index, (line, _, shown) in enumerate(readable):
        record = line.record or {}
        mine = decisions[index * settings.samples : (index + 1) * settings.samples]
        samples = [read_sample(record, shown, v, settings.teacher_name, f"{source}:{line.number}") for v in mine]
        example, category, reason = agreed_example(samples, settings.min_agreement)
        entry: dict[str, Any] = {
            "key": line_key(line), "line": line.number, "seconds": round(seconds, 4),
            "prompt_tokens": sum(s.usage.get("prompt_tokens", 0) for s in samples),
            "completion_tokens": sum(s.usage.get("completion_tokens", 0) for s in samples),
            "usage_reported": sum(bool(s.usage) for s in samples), "samples": len(samples),
        }
        if example is not None:
            entry.update(outcome=example.label, record=example.record)
        else:
            entry.update(outcome="rejected", category=category, reason=reason, input=record,
                         votes=[s.label for s in samples], answers=[s.raw for s in samples])
        entries.append(entry)
    return entries


def materialise(out: Path, journal: dict[str, dict[str, Any]], input_keys: Sequence[str],
                skipped_as_done: int = 0) -> dict[str, Any]:
    """aligned.json, unaligned.json, label_rejects.jsonl and label_stats.json from the whole journal (this
    input's pairs and those of earlier inputs into the same --out)."""
    ordered = list(journal.values())
    for label, name in OUTPUTS.items():
        write_json(out / name, [e["record"] for e in ordered if e.get("outcome") == label])
    rejects = [{k: e.get(k) for k in ("line", "key", "category", "reason", "votes", "answers", "input")}
               for e in ordered if e.get("outcome") == "rejected"]
    write_jsonl(out / REJECTS, rejects)
    wanted = set(input_keys)
    stats = {
        "input_lines": len(input_keys),
        "duplicate_lines": len(input_keys) - len(wanted),  # lines holding a pair an earlier line holds
        "labelled": len(ordered),  # every pair in --out: this input's and earlier inputs'
        "from_this_input": sum(key in journal for key in wanted),
        "from_other_inputs": sum(key not in wanted for key in journal),
        "aligned": sum(e.get("outcome") == ALIGNED for e in ordered),
        "unaligned": sum(e.get("outcome") == UNALIGNED for e in ordered),
        "rejected": len(rejects),
        "rejected_by_category": dict(Counter(r["category"] for r in rejects)),
        "pending": sum(key not in journal for key in wanted),
        "teacher_calls": sum(e.get("samples", 0) for e in ordered),
        "usage_reported": sum(e.get("usage_reported", 0) for e in ordered),
        "prompt_tokens": sum(e.get("prompt_tokens", 0) for e in ordered),
        "completion_tokens": sum(e.get("completion_tokens", 0) for e in ordered),
        "teacher_seconds": round(sum(e.get("seconds", 0.0) for e in ordered), 3),
        "skipped_as_done": skipped_as_done,  # lines of this input not sent to the teacher: done, or repeated
    }
    reconciles = (stats["aligned"] + stats["unaligned"] + stats["rejected"] == stats["labelled"]
                  == stats["from_this_input"] + stats["from_other_inputs"]
                  and stats["input_lines"] == stats["from_this_input"] + stats["duplicate_lines"] + stats["pending"])
    if not reconciles:
        raise AssertionError(f"label counts do not reconcile: {stats}")
    write_json(out / STATS, stats)
    return stats


@dataclass(frozen=True)
class LabelOptions:
    """How a labelling run goes (not what it asks: that is ``Settings``)."""

    records_per_step: int = 64  # pairs labelled and written to the journal per step
    limit: int | None = None  # label only the first N input lines
    overwrite: bool = False  # start again: drop the journal and outputs in ``out``
    quiet: bool = False  # no progress bar

    def __post_init__(self) -> None:
        check_int("records_per_step", self.records_per_step)
        check_int("limit", self.limit, minimum=0, none_ok=True)


def label(pairs: str | Path, out: str | Path, settings: Settings, options: LabelOptions = LabelOptions()
          ) -> dict[str, Any]:
    """Label every pair of ``pairs`` not yet in ``out``'s journal; the four outputs written again from it."""
    from tqdm import tqdm

    out = Path(out)
    # before --overwrite deletes anything; the teacher's catalogs are inputs too
    refuse_overwrite([pairs, *catalog_files(settings.backend_options)], [out / name for name in FILES])
    lines = list(read_file(pairs))
    if options.limit is not None:
        lines = lines[: options.limit]
    check_settings(out, settings, options.overwrite)
    journal = out / JOURNAL
    entries = journal_entries(journal)
    keys = [line_key(line) for line in lines]
    # A request that failed for good (a wrong port, a server down) is no answer: its pair is asked again.
    todo, queued = [], {key for key, entry in entries.items() if entry.get("category") != TEACHER_ERROR}
    for line, key in zip(lines, keys, strict=True):
        if key not in queued:  # labelled already, or the same pair on an earlier line of this input
            todo.append(line)
            queued.add(key)
    judge = load_judge(settings.backend, mode="think", on_error="keep",
                       batch_size=max(options.records_per_step * settings.samples, 1), **settings.backend_options)
    settings.teacher_name = _teacher_name(judge, settings)
    with journal.open("a", encoding="utf-8") as sink, \
            tqdm(total=len(lines), initial=len(lines) - len(todo), desc="labelling", unit="pair",
                 disable=options.quiet) as progress:
        step = options.records_per_step
        for start in range(0, len(todo), step):
            batch = todo[start : start + step]
            new = label_entries(judge, batch, settings, Path(pairs).name)
            sink.writelines(dumps_line(e) for e in new)
            sink.flush()
            entries.update((e["key"], e) for e in new)
            progress.update(len(batch))
    return materialise(out, entries, keys, skipped_as_done=len(lines) - len(todo))


def _teacher_name(judge: AlignmentJudge, settings: Settings) -> str:
    model = settings.backend_options.get("model")
    return f"{judge.backend_name}:{model}" if model else judge.backend_name


# The openai teacher's usual options, as flags of their own (any other: --option KEY=VALUE).
TEACHER_FLAGS = ("concurrency", "timeout", "max_retries", "max_tokens", "temperature")


def backend_options(args: argparse.Namespace) -> dict[str, Any]:
    choice = BackendChoice.from_args(args)
    options = {name: getattr(args, name) for name in TEACHER_FLAGS}
    if choice.name == "openai":
        options["prompt"] = args.prompt
    return {**{k: v for k, v in options.items() if v is not None}, **choice.options}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pairs", help="pairs JSONL ({question, chunk, ...}; ea-judge mine writes it)")
    p.add_argument("--out", required=True, help="folder for aligned.json, unaligned.json, rejects, stats")
    add_backend_arguments(p, judge_flags=(), what="the teacher")
    teacher = p.add_argument_group("the openai teacher (shortcuts for --option KEY=VALUE)")
    teacher.add_argument("--prompt", choices=("teacher", "judge"), default="teacher",
                         help="the teacher prompt (default) or a served judge's prompt")
    teacher.add_argument("--concurrency", type=positive_int, help="requests in flight (default 16)")
    teacher.add_argument("--timeout", type=float, help="seconds per request (default 30)")
    teacher.add_argument("--max-retries", type=int_at_least(0), help="retries after timeouts, 429 and 5xx (default 2)")
    teacher.add_argument("--max-tokens", type=positive_int, help="answer length limit (default 1024)")
    teacher.add_argument("--temperature", type=float, help="sampling temperature (default 0; raise it for --samples)")
    p.add_argument("--samples", type=positive_int, default=1, help="answers asked per pair (default 1)")
    p.add_argument("--min-agreement", type=fraction(low_open=True), default=1.0,
                   help="share of the samples that must give the kept label (default 1.0: all)")
    p.add_argument("--records-per-step", type=positive_int, default=64,
                   help="pairs labelled and written to the journal per step (default 64)")
    # The option's old name (a "chunk" here is a passage, not a slice of the file): still accepted, not shown.
    p.add_argument("--chunk-size", dest="records_per_step", type=positive_int, help=argparse.SUPPRESS)
    p.add_argument("--limit", type=int_at_least(0), help="label only the first N input lines")
    p.add_argument("--overwrite", action="store_true", help="start again: drop the journal and outputs in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    settings = Settings(args.backend, backend_options(args), args.samples, args.min_agreement)
    options = LabelOptions(records_per_step=args.records_per_step, limit=args.limit, overwrite=args.overwrite,
                           quiet=args.quiet)
    try:
        stats = label(args.pairs, args.out, settings, options)
    except KeyboardInterrupt:
        safe = len(journal_entries(Path(args.out) / JOURNAL))
        raise Interrupted(f"{safe} labelled pairs are safe in {Path(args.out) / JOURNAL}; run the same command "
                          "again to resume") from None
    print_counts(stats)
    return judgements_failed("ea-judge label", stats["rejected_by_category"].get(TEACHER_ERROR, 0),
                             stats["from_this_input"], fix="fix the teacher (e.g. --base-url, --model) and run the "
                             "same command again: it asks again for every pair whose request failed")


COMMAND = Command("label", "label mined pairs with a teacher (resumable): the files `ea-judge run` trains on",
                  add_arguments, description=__doc__)


def main(argv: Sequence[str] | None = None) -> int:
    return COMMAND.main(argv, prog="python -m training.label")


if __name__ == "__main__":
    sys.exit(main())
