"""training.label: the rules teacher, an OpenAI-compatible teacher on loopback servers (faults, votes, concurrency,
a kill and a resume) and LLaMA-Factory's real API server; counts reconcile and every pair lands somewhere."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtools.servers import LoopbackHTTPServer, Reply, Request, chat_completion
from ea_plugin.judgement import parse_teacher_answer
from ea_plugin.prompts import (
    ALIGNED,
    LABELS,
    TEACHER_PROMPT,
    UNALIGNED,
    build_teacher_messages,
    format_analysis,
    label_tag,
    teacher_analysis,
)
from tests.conftest import LLAMAFACTORY_MODEL, REPO
from training.label import main as label_main
from training.processes import group_process
from training.teacher import read_records

QUICK = ["--timeout", "1", "--max-retries", "1", "--option", "retry_backoff=0.01"]


def write_pairs(path: Path, n: int, extra_lines: tuple[str, ...] = ()) -> Path:
    rows = [json.dumps({"question": "sv660n报e100", "chunk": f"chunk-{i:02d} sv660n的e100故障", "chunk_id": f"c{i}",
                        "rank": 1}, ensure_ascii=False) for i in range(n)]
    path.write_text("\n".join([*rows, *extra_lines]) + "\n", encoding="utf-8")
    return path


def index_of(request: Request) -> int:
    return int(re.search(r"chunk-(\d+)", request.body["messages"][1]["content"]).group(1))


def answer(label: str, step3: str | None = None, tag: bool = True) -> str:
    steps = format_analysis("产品信息-sv660n, 故障码信息-e100", "产品信息-sv660n", step3 or label, "理由")
    return f"{steps}\n\n{label_tag(label)}" if tag else steps


def outputs(out: Path) -> tuple[list[dict], list[dict], list[dict], dict]:
    aligned = json.loads((out / "aligned.json").read_text(encoding="utf-8"))
    unaligned = json.loads((out / "unaligned.json").read_text(encoding="utf-8"))
    rejects = [json.loads(x) for x in (out / "label_rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    return aligned, unaligned, rejects, json.loads((out / "label_stats.json").read_text())


def openai_teacher(url: str, *extra: str) -> list[str]:
    return ["--backend", "openai", "--base-url", f"{url}/v1", "--model", "big-teacher", "--quiet", *extra]


# -- the teacher prompt and its parser ------------------------------------------------------------------
def test_teacher_prompt_states_the_judges_rules_and_asks_for_visible_steps_and_a_tag():
    from ea_plugin.prompts import ANALYSIS_STEPS, RULES_TEXT, SYSTEM_PROMPT

    assert TEACHER_PROMPT.startswith(RULES_TEXT) and SYSTEM_PROMPT.startswith(RULES_TEXT)
    assert ANALYSIS_STEPS in TEACHER_PROMPT and ANALYSIS_STEPS in SYSTEM_PROMPT
    assert label_tag(ALIGNED) in TEACHER_PROMPT and label_tag(UNALIGNED) in TEACHER_PROMPT
    assert "<label>" not in SYSTEM_PROMPT  # the judge answers with the bare label


@given(analysis=st.text(min_size=1).filter(lambda t: "<label>" not in t and "think>" not in t and t.strip()),
       label=st.sampled_from(LABELS))
def test_teacher_answers_round_trip_through_the_parser(analysis: str, label: str):
    parsed = parse_teacher_answer(teacher_analysis(analysis, label))
    assert (parsed.label, parsed.reasoning, parsed.error) == (label, analysis.strip(), None)


@pytest.mark.parametrize(("text", "error"), [
    (answer(ALIGNED, tag=False), "no <label> tag"),
    (answer(ALIGNED) + "\n" + label_tag(UNALIGNED), "conflicting"),
    ("1. ...\n<label>也许</label>", "unknown label"),
    ("<think>\n1. 提取", "truncated"),
])
def test_teacher_answers_without_one_clear_tag_give_no_label(text: str, error: str):
    parsed = parse_teacher_answer(text)
    assert parsed.label is None and error in parsed.error


def test_a_thinking_teacher_is_read_after_its_think_block():
    parsed = parse_teacher_answer(f"<think>\n草稿\n</think>\n\n{answer(UNALIGNED)}")
    assert parsed.label == UNALIGNED and parsed.reasoning.startswith("1. 提取question")
    assert "草稿" not in parsed.reasoning


# -- the rules teacher ----------------------------------------------------------------------------------
def test_rules_teacher_writes_what_convert_reads_and_a_rerun_resumes(tmp_path: Path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", 6, ('{"question": "x"}', "not json"))
    out = tmp_path / "labelled"
    assert label_main([str(pairs), "--out", str(out), "--quiet", "--limit", "3"]) == 0
    assert outputs(out)[3]["pending"] == 0 and outputs(out)[3]["input_lines"] == 3
    assert label_main([str(pairs), "--out", str(out), "--quiet"]) == 0
    aligned, unaligned, rejects, stats = outputs(out)
    assert (len(aligned), len(unaligned)) == (6, 0)  # same product, same code
    assert stats["input_lines"] == 8 == stats["aligned"] + stats["unaligned"] + stats["rejected"]
    assert stats["rejected_by_category"] == {"invalid_input": 2} and {r["line"] for r in rejects} == {7, 8}
    journal = (out / "label_journal.jsonl").read_text().splitlines()
    assert len(journal) == 8  # the first three were not labelled again
    record = aligned[0]
    assert record["llm_analysis"].endswith(label_tag(ALIGNED)) and record["teacher"] == "rules"
    assert (record["chunk_id"], record["rank"]) == ("c0", 1)
    assert len(read_records(out / "aligned.json")) == 6
    # Other teacher settings in the same folder are refused rather than mixed.
    assert label_main([str(pairs), "--out", str(out), "--quiet", "--samples", "2"]) == 1


def test_a_journal_line_cut_by_a_kill_is_labelled_again(tmp_path: Path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", 4)
    out = tmp_path / "labelled"
    assert label_main([str(pairs), "--out", str(out), "--quiet"]) == 0
    journal = out / "label_journal.jsonl"
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:3]) + "\n" + lines[3][: len(lines[3]) // 2])  # killed mid-write
    assert label_main([str(pairs), "--out", str(out), "--quiet"]) == 0
    assert outputs(out)[3]["aligned"] == 4


# -- an OpenAI-compatible teacher on loopback ------------------------------------------------------------
def faulty_teacher(request: Request) -> Reply:
    """By chunk index: 0 aligned, 1 unaligned, 2 no tag, 3 step 3 against the tag, 4 HTTP 500, 5 too slow."""
    kind = index_of(request) % 6
    if kind == 4:
        return Reply(status=500, body={"error": {"message": "boom"}})
    if kind == 5:
        return Reply(body=chat_completion(answer(ALIGNED)), delay_s=5)
    content = {0: answer(ALIGNED), 1: answer(UNALIGNED), 2: answer(ALIGNED, tag=False),
               3: answer(UNALIGNED, step3=ALIGNED)}[kind]
    return Reply(body=chat_completion(content, usage=(100, 20)), delay_s=0.05)


def test_openai_teacher_faults_each_land_in_the_rejects_with_their_reason(tmp_path: Path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", 12)
    out = tmp_path / "labelled"
    with LoopbackHTTPServer(faulty_teacher) as server:
        assert label_main([str(pairs), "--out", str(out), *openai_teacher(server.url, "--concurrency", "4"),
                           *QUICK]) == 0
    aligned, unaligned, rejects, stats = outputs(out)
    assert [r["chunk_id"] for r in aligned] == ["c0", "c6"] and [r["chunk_id"] for r in unaligned] == ["c1", "c7"]
    assert all(r["teacher"] == "openai:big-teacher" for r in aligned + unaligned)
    assert stats["rejected_by_category"] == {"no_label": 2, "step3_conflict": 2, "teacher_error": 4}
    by_line = {r["line"]: r for r in rejects}
    assert "HTTP 500" in by_line[5]["reason"] and "after 2 attempts" in by_line[5]["reason"]
    assert "timeout" in by_line[6]["reason"]
    assert "no <label> tag" in by_line[3]["reason"] and by_line[3]["answers"] == [answer(ALIGNED, tag=False)]
    assert by_line[4]["votes"] == [None]
    assert stats["input_lines"] == 12 == stats["aligned"] + stats["unaligned"] + stats["rejected"]
    # Tokens as the server reported them, for the 8 replies that came back.
    assert (stats["usage_reported"], stats["prompt_tokens"], stats["completion_tokens"]) == (8, 800, 160)
    # The request: the teacher prompt, thinking off, the pair's user message, greedy by default.
    body = next(r.body for r in server.requests if index_of(r) == 0)
    assert body["messages"] == build_teacher_messages("sv660n报e100", "chunk-00 sv660n的e100故障")
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert (body["model"], body["temperature"]) == ("big-teacher", 0.0)
    assert 2 <= server.max_in_flight <= 4


def contradicting_teacher() -> tuple[LoopbackHTTPServer, dict[int, int]]:
    """Pair 0 always 对齐; pair 1 对齐, 不对齐, 对齐; pair 2 对齐, 不对齐, no tag (in order of arrival)."""
    asked: dict[int, int] = defaultdict(int)
    lock = threading.Lock()
    script = {0: [answer(ALIGNED)] * 3, 1: [answer(ALIGNED), answer(UNALIGNED), answer(ALIGNED)],
              2: [answer(ALIGNED), answer(UNALIGNED), answer(ALIGNED, tag=False)]}

    def handler(request: Request) -> Reply:
        index = index_of(request)
        with lock:
            nth = asked[index]
            asked[index] += 1
        return Reply(body=chat_completion(script[index][nth % 3]))

    return LoopbackHTTPServer(handler), asked


@pytest.mark.parametrize(("min_agreement", "kept"), [("1.0", ["c0"]), ("0.6", ["c0", "c1"])])
def test_samples_keep_a_record_only_when_enough_votes_agree(tmp_path: Path, min_agreement: str, kept: list[str]):
    pairs = write_pairs(tmp_path / "pairs.jsonl", 3)
    out = tmp_path / "labelled"
    server, asked = contradicting_teacher()
    with server:
        assert label_main([str(pairs), "--out", str(out), *openai_teacher(server.url), *QUICK, "--samples", "3",
                           "--min-agreement", min_agreement, "--temperature", "0.7"]) == 0
    aligned, unaligned, rejects, stats = outputs(out)
    assert [r["chunk_id"] for r in aligned] == kept and unaligned == []
    assert dict(asked) == {0: 3, 1: 3, 2: 3} and stats["teacher_calls"] == 9
    assert {r.body["temperature"] for r in server.requests} == {0.7}
    assert all(r["category"] == "disagreement" for r in rejects)
    votes = {r["line"]: Counter(r["votes"]) for r in rejects}
    assert votes[3] == Counter({ALIGNED: 1, UNALIGNED: 1, None: 1})  # a tie is never kept
    if min_agreement == "1.0":
        assert votes[2] == Counter({ALIGNED: 2, UNALIGNED: 1})


def test_label_killed_mid_run_resumes_without_asking_again_for_what_it_wrote(tmp_path: Path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", 10)
    out = tmp_path / "labelled"
    slow = lambda r: Reply(body=chat_completion(answer(ALIGNED)), delay_s=0.4)  # noqa: E731
    with LoopbackHTTPServer(slow) as server:
        command = [sys.executable, "-m", "training.label", str(pairs), "--out", str(out),
                   *openai_teacher(server.url, "--concurrency", "2", "--chunk-size", "2")]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        journal = out / "label_journal.jsonl"
        with group_process(command, cwd=REPO, env=env, stderr=subprocess.PIPE) as process:  # ends with the test
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and (not journal.exists() or len(journal.read_text().splitlines()) < 4):
                time.sleep(0.05)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        written = {json.loads(x)["line"] for x in journal.read_text().splitlines()}
        assert 4 <= len(written) < 10, "the kill came too late to test a resume"
        before = len(server.requests)
        assert label_main([str(pairs), "--out", str(out), *openai_teacher(server.url)]) == 0
        again = [index_of(r) + 1 for r in server.requests[before:]]
    assert not set(again) & written and set(again) | written == set(range(1, 11))
    aligned, _, _, stats = outputs(out)
    assert [r["chunk_id"] for r in aligned] == [f"c{i}" for i in range(10)]
    assert stats["teacher_calls"] == 10 and stats["input_lines"] == 10


# -- a real OpenAI-compatible server: LLaMA-Factory's API serving the tiny Qwen3 ---------------------------
@pytest.mark.slow
def test_label_against_llamafactory_sends_the_teacher_prompt_and_resumes(llamafactory_api: str, qwen_tokenizer,
                                                                        tmp_path: Path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", 3)
    out = tmp_path / "labelled"
    args = [str(pairs), "--out", str(out), "--backend", "openai", "--base-url", llamafactory_api, "--model",
            LLAMAFACTORY_MODEL, "--max-tokens", "8", "--quiet", "--concurrency", "3"]
    assert label_main(args) == 0
    _, _, rejects, stats = outputs(out)
    # The server counted exactly the teacher prompt's tokens for each pair (its template renders ChatML).
    messages = [build_teacher_messages("sv660n报e100", f"chunk-{i:02d} sv660n的e100故障") for i in range(3)]
    rendered = [qwen_tokenizer.apply_chat_template(m, add_generation_prompt=True, tokenize=False) for m in messages]
    expected = [len(qwen_tokenizer(text, add_special_tokens=False)["input_ids"]) for text in rendered]
    assert stats["usage_reported"] == 3 and stats["prompt_tokens"] == sum(expected)
    # A random model writes no tag (often only special tokens, which the server drops): every pair is a reject
    # that says the server answered, not a transport error.
    assert stats["input_lines"] == 3 == stats["aligned"] + stats["unaligned"] + stats["rejected"]
    assert all(r["category"] in ("no_label", "empty_answer", "no_step3") for r in rejects), rejects
    assert label_main(args) == 0 and outputs(out)[3]["prompt_tokens"] == sum(expected)  # nothing asked again


def test_the_teacher_prompt_is_think_mode_only_and_checked_where_given():
    from ea_plugin.backends.openai import OpenAIBackend
    from ea_plugin.errors import ModeNotSupportedError
    from ea_plugin.judgement import Pair

    with pytest.raises(ValueError, match="prompt must be one of"):
        OpenAIBackend("http://127.0.0.1:9/v1", "m", prompt="teacher-ish")
    with OpenAIBackend("http://127.0.0.1:9/v1", "m", prompt="teacher") as backend, \
            pytest.raises(ModeNotSupportedError, match="think mode only"):
        backend.score([Pair("q", "c")])


def test_a_hosted_teacher_that_refuses_unknown_fields_gets_none(tmp_path: Path):
    def strict(request: Request) -> Reply:  # as hosted APIs answer a field they do not know
        if "chat_template_kwargs" in request.body:
            return Reply(status=400, body={"error": {"message": "Unrecognized request argument: chat_template_kwargs"}})
        return Reply(body=chat_completion(answer(UNALIGNED)))

    pairs = write_pairs(tmp_path / "pairs.jsonl", 2)
    with LoopbackHTTPServer(strict) as server:
        # Every request refused: the run says so (exit 1) rather than look like success.
        assert label_main([str(pairs), "--out", str(tmp_path / "a"), *openai_teacher(server.url)]) == 1
        assert outputs(tmp_path / "a")[3]["rejected_by_category"] == {"teacher_error": 2}
        assert label_main([str(pairs), "--out", str(tmp_path / "b"), *openai_teacher(server.url),
                           "--option", "template_kwargs=false"]) == 0
    assert outputs(tmp_path / "b")[3]["unaligned"] == 2
