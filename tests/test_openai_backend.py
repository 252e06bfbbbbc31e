"""The openai backend against real servers on 127.0.0.1.

LLaMA-Factory's API server (``llamafactory-cli api``) serving the tiny random Qwen3 checks the real request
and reply path in both modes. Faults that server cannot be made to produce on demand (slow replies, HTTP 500,
junk text, log-probs, refused continuations, many requests in flight) come from small stdlib HTTP servers in
a thread (devtools/servers.py): real sockets and real HTTP, no mocked client.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import logging
import math
import re
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from devtools.servers import LoopbackHTTPServer, Reply, Request, chat_completion, free_port
from ea_plugin import ALIGNED, UNALIGNED, BackendClosedError, JudgeError, Pair, load_judge
from ea_plugin.backends.openai import OpenAIBackend
from ea_plugin.errors import OptionError
from ea_plugin.prompts import EMPTY_THINK, build_messages, render_prompt
from tests.conftest import LLAMAFACTORY_MODEL
from tests.hang import finishes, in_background, wait_until

MODEL = LLAMAFACTORY_MODEL
PAIRS = [
    Pair("sv660n出现e100故障怎么办？", "sv660系列e100.1故障表示过电流，检查输出接线。"),
    Pair("sv660n出现e100故障怎么办？", "md500变频器e100故障，检查电机。"),
    Pair("md500参数F0-02怎么设", "md500的F0-03参数表示频率指令选择，设为0时由键盘给定。"),
]
# Fault tests must not wait for real backoff: retries stay explicit but quick.
QUICK = dict(retry_backoff=0.01, timeout=5.0)


def lf_judge(base_url: str, mode: str, **kwargs: Any):
    # The random model never stops on its own: a few tokens keep each request short on CPU.
    return load_judge("openai", base_url=base_url, model=MODEL, mode=mode, max_tokens=12, **kwargs)


def prompt_lengths(tokenizer, pairs: list[Pair], mode: str) -> list[int]:
    return [len(tokenizer(render_prompt(p.question, p.chunk, mode))["input_ids"]) for p in pairs]


def test_think_mode_against_llamafactory_gives_each_pair_its_own_judgement_in_order(llamafactory_api, qwen_tokenizer):
    judgements = lf_judge(llamafactory_api, "think").judge_pairs(PAIRS)
    assert len(judgements) == len(PAIRS)
    # The server reports how many prompt tokens it saw: exactly our think-mode prompt, pair by pair, in order.
    expected = prompt_lengths(qwen_tokenizer, PAIRS, "think")
    assert len(set(expected)) == len(PAIRS), "pairs of distinct lengths, or order is untested"
    assert [v.extra["prompt_tokens"] for v in judgements] == expected
    for judgement in judgements:
        assert (judgement.mode, judgement.backend) == ("think", "openai")
        assert judgement.raw  # the server's text came back
        assert judgement.extra["finish_reason"] in ("stop", "length")
        if judgement.label is None:  # a random model rarely says a label: the judge keeps the chunk and says why
            assert judgement.error and judgement.kept is True
        else:
            assert judgement.kept == (judgement.label == ALIGNED)


def test_fast_mode_against_llamafactory_reports_that_the_server_has_no_logprobs(llamafactory_api, qwen_tokenizer):
    judgements = lf_judge(llamafactory_api, "fast").judge_pairs(PAIRS)
    assert len(judgements) == len(PAIRS)
    # LLaMA-Factory ignores chat_template_kwargs: thinking on or off is its server setting (on here), so
    # a fast-mode request is rendered as the think prompt. Serve fast mode with `enable_thinking: false`.
    assert [v.extra["prompt_tokens"] for v in judgements] == prompt_lengths(qwen_tokenizer, PAIRS, "think")
    for judgement in judgements:
        assert (judgement.mode, judgement.backend) == ("fast", "openai")
        assert judgement.score is None
        assert judgement.extra["score_exact"] is False
        assert "no log-probs" in judgement.extra["score_note"]
        if judgement.label is None:
            assert judgement.error and judgement.kept is True


def test_drop_policy_against_llamafactory_drops_exactly_the_unlabelled_pairs(llamafactory_api: str):
    judgements = lf_judge(llamafactory_api, "think", on_error="drop").judge_pairs(PAIRS)
    for judgement in judgements:
        assert judgement.kept is (judgement.label == ALIGNED)
        assert (judgement.error is not None) == (judgement.label is None)


# -- faults from small servers of our own ------------------------------------------------------------
def _slow(request: Request) -> Reply:
    return Reply(body=chat_completion(ALIGNED), delay_s=30)


def _http_500(request: Request) -> Reply:
    return Reply(status=500, body={"error": {"message": "model crashed", "type": "server_error"}})


def _junk(request: Request) -> Reply:
    return Reply(body=chat_completion("今天天气不错，适合出门。"))


def _not_json(request: Request) -> Reply:
    return Reply(body="<html>502 from a proxy, sent as 200</html>")


FAULTS = {
    # fault: (handler or None for a closed port, what the recorded error says, requests per pair)
    "server_down": (None, "server unreachable", None),
    "slow_beyond_timeout": (_slow, "timeout", 2),
    "http_500": (_http_500, "HTTP 500", 3),
    "reply_without_label": (_junk, "unparseable label", 1),
    "reply_not_json": (_not_json, "malformed reply", 1),
}
FAULT_OPTIONS = {"slow_beyond_timeout": dict(timeout=0.3, max_retries=1), "http_500": dict(max_retries=2)}


def run_fault(fault: str, mode: str, on_error: str) -> tuple[list[Any], LoopbackHTTPServer | None]:
    handler = FAULTS[fault][0]
    options = {**QUICK, **FAULT_OPTIONS.get(fault, {})}
    if handler is None:
        judge = load_judge("openai", base_url=f"http://127.0.0.1:{free_port()}/v1", model=MODEL, mode=mode,
                           on_error=on_error, **options)
        return judge.judge_pairs(PAIRS), None
    with LoopbackHTTPServer(handler) as server:
        judge = load_judge("openai", base_url=f"{server.url}/v1", model=MODEL, mode=mode, on_error=on_error,
                           **options)
        return judge.judge_pairs(PAIRS), server


@pytest.mark.parametrize("mode", ["think", "fast"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_keeps_every_chunk_and_records_why_by_default(fault: str, mode: str):
    judgements, server = run_fault(fault, mode, "keep")
    _, says, requests_per_pair = FAULTS[fault]
    assert len(judgements) == len(PAIRS)
    for judgement in judgements:
        assert judgement.kept is True and judgement.label is None
        assert says in judgement.error
        assert (judgement.mode, judgement.backend) == (mode, "openai")
    if server is not None:  # retries happened as configured, and nothing more
        assert len(server.requests) == requests_per_pair * len(PAIRS)
        assert all(r.path == "/v1/chat/completions" for r in server.requests)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_under_drop_policy_drops_every_chunk_with_the_error(fault: str):
    judgements, _ = run_fault(fault, "think", "drop")
    assert len(judgements) == len(PAIRS)
    assert all(v.kept is False and FAULTS[fault][1] in v.error for v in judgements)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_under_raise_policy_raises_judge_error_naming_the_pair(fault: str):
    with pytest.raises(JudgeError, match=re.escape(FAULTS[fault][1])) as caught:
        run_fault(fault, "think", "raise")
    assert caught.value.question == PAIRS[0].question


def test_server_down_fails_fast_without_retrying_every_pair():
    # Once one pair found the port closed after its retries, the others stop instead of retrying on their own.
    backend = OpenAIBackend(f"http://127.0.0.1:{free_port()}/v1", MODEL, max_retries=3, retry_backoff=0.05)
    judgements = backend.generate([PAIRS[0]] * 40)
    assert len(judgements) == 40
    assert all("server unreachable" in v.error and v.label is None for v in judgements)
    assert sum(v.extra["attempts"] for v in judgements) < 40 * 4


def test_retry_after_500_then_success_gives_the_label_and_counts_attempts():
    calls = {"n": 0}

    def flaky(request: Request) -> Reply:
        calls["n"] += 1
        if calls["n"] == 1:
            return Reply(status=503, body={"error": {"message": "warming up"}})
        return Reply(body=chat_completion(f"{EMPTY_THINK}{UNALIGNED}"))

    with LoopbackHTTPServer(flaky) as server:
        judgement = OpenAIBackend(f"{server.url}/v1", MODEL, **QUICK).generate([PAIRS[1]])[0]
    assert (judgement.label, judgement.error, judgement.extra["attempts"]) == (UNALIGNED, None, 2)


def test_client_error_is_not_retried():
    with LoopbackHTTPServer(lambda r: Reply(status=400, body={"detail": "bad request"})) as server:
        judgement = OpenAIBackend(f"{server.url}/v1", MODEL, **QUICK).generate([PAIRS[0]])[0]
        assert len(server.requests) == 1
    assert "HTTP 400" in judgement.error and "bad request" in judgement.error


# -- requests as sent, concurrency and order ---------------------------------------------------------
def _chunk_index(text: str) -> int:
    return int(re.search(r"chunk-(\d+)", text).group(1))


def _index_of(request: Request) -> int:
    return _chunk_index(request.body["messages"][1]["content"])


def _labelled_by_index(request: Request) -> Reply:
    index = _index_of(request)
    label = ALIGNED if index % 3 else UNALIGNED
    return Reply(body=chat_completion(f"<think>\n分析{index}\n</think>\n\n{label}"), delay_s=0.05)


def numbered_pairs(n: int) -> list[Pair]:
    return [Pair("sv660n报e100", f"chunk-{i:02d} sv660n的e100故障") for i in range(n)]


async def test_async_batch_of_40_stays_within_the_concurrency_limit_and_in_order():
    with LoopbackHTTPServer(_labelled_by_index) as server:
        judge = load_judge("openai", base_url=f"{server.url}/v1", model=MODEL, mode="think", concurrency=4,
                           batch_size=64, **QUICK)
        judgements = await judge.ajudge_pairs(numbered_pairs(40))
    assert [v.reasoning for v in judgements] == [f"分析{i}" for i in range(40)]
    assert [v.label for v in judgements] == [ALIGNED if i % 3 else UNALIGNED for i in range(40)]
    assert 2 <= server.max_in_flight <= 4  # parallel, and never above the limit


async def test_sync_call_from_inside_a_running_event_loop_still_answers():
    with LoopbackHTTPServer(_labelled_by_index) as server:
        backend = OpenAIBackend(f"{server.url}/v1", MODEL, **QUICK)
        judgements = backend.generate(numbered_pairs(3))  # a loop runs in this thread: worker thread path
    assert [v.label for v in judgements] == [UNALIGNED, ALIGNED, ALIGNED]


def test_sync_calls_from_several_threads_at_once_each_get_their_own_judgements_in_order():
    with LoopbackHTTPServer(_labelled_by_index) as server, OpenAIBackend(f"{server.url}/v1", MODEL, **QUICK) as backend:
        batches = [numbered_pairs(12)[start::4] for start in range(4)]  # chunk-00, 04, 08 / 01, 05, 09 / ...
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(backend.generate, batches))
    for batch, judgements in zip(batches, results, strict=True):
        assert [v.reasoning for v in judgements] == [f"分析{_chunk_index(p.chunk)}" for p in batch]


def test_repeated_asyncio_run_calls_close_their_clients(caplog: pytest.LogCaptureFixture):
    # Each asyncio.run() is a new loop that ends with the call: a client left behind would keep its
    # connections open, pile up, and fail to close later ("Event loop is closed", logged by asyncio).
    with LoopbackHTTPServer(_labelled_by_index) as server:
        backend = OpenAIBackend(f"{server.url}/v1", MODEL, **QUICK)
        for _ in range(4):
            judgements = asyncio.run(backend.agenerate(numbered_pairs(2)))
            assert [v.label for v in judgements] == [UNALIGNED, ALIGNED]
            gc.collect()
        assert server.wait_connections_closed() == 0
        # The sync path keeps one client (and its keep-alive connections) until close().
        backend.generate(numbered_pairs(2))
        assert server.open_connections >= 1
        backend.close()
        assert server.wait_connections_closed() == 0
    assert not [r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.ERROR]


def test_requests_carry_the_shared_prompt_and_mode_switches():
    with LoopbackHTTPServer(lambda r: Reply(body=chat_completion(ALIGNED))) as server:
        backend = OpenAIBackend(f"{server.url}/v1", MODEL, max_tokens=77, fast_max_tokens=3, **QUICK)
        backend.generate([PAIRS[0]])
        backend.score([PAIRS[0]])
    think, fast = (r.body for r in server.requests)
    assert think["messages"] == fast["messages"] == build_messages(PAIRS[0].question, PAIRS[0].chunk)
    assert think["chat_template_kwargs"] == {"enable_thinking": True}
    assert (think["max_tokens"], think["temperature"]) == (77, 0.0)
    assert "logprobs" not in think
    assert fast["chat_template_kwargs"] == {"enable_thinking": False}
    assert (fast["max_tokens"], fast["logprobs"], fast["top_logprobs"]) == (3, True, 20)


def test_fast_mode_reply_that_thinks_says_the_server_ignored_enable_thinking():
    # What a server with thinking fixed on (LLaMA-Factory's default) sends for a 4-token fast request.
    with LoopbackHTTPServer(lambda r: Reply(body=chat_completion("<think>\n1. 提取"))) as server:
        judgement = OpenAIBackend(f"{server.url}/v1", MODEL, **QUICK).score([PAIRS[0]])[0]
    assert judgement.label is None and "truncated" in judgement.error
    assert "enable_thinking: false" in judgement.error


def test_reasoning_sent_in_a_separate_field_is_kept():
    body = chat_completion(ALIGNED)
    body["choices"][0]["message"]["reasoning"] = "1. 提取question中的实体：产品信息-sv660n"
    with LoopbackHTTPServer(lambda r: Reply(body=body)) as server:
        judgement = OpenAIBackend(f"{server.url}/v1", MODEL, **QUICK).generate([PAIRS[0]])[0]
    assert judgement.label == ALIGNED and "产品信息-sv660n" in judgement.reasoning


# -- fast-mode scores from log-probs ---------------------------------------------------------------
def logprob_entry(token: str, p: float, top: dict[str, float]) -> dict[str, Any]:
    listed = [{"token": t, "logprob": math.log(q), "bytes": list(t.encode())} for t, q in top.items()]
    return {"token": token, "logprob": math.log(p), "bytes": list(token.encode()), "top_logprobs": listed}


def label_pieces(qwen_tokenizer) -> tuple[str, str, str]:
    """The token texts a server reports for 对, 齐 and 不对 (decoded by the real Qwen tokenizer)."""
    return tuple(qwen_tokenizer.decode([i]) for i in (32664, 100046, 105788))


def logprob_server(qwen_tokenizer, continuation: Reply | None, p_budui: float = 0.3):
    """Answers 对齐 with log-probs (P(对)=.6, P(不对)=p_budui, P(齐|对)=.9); follow-ups get ``continuation``."""
    dui, qi, budui = label_pieces(qwen_tokenizer)
    first = logprob_entry(dui, 0.6, {dui: 0.6, budui: p_budui, "不": 0.05})
    second = logprob_entry(qi, 0.9, {qi: 0.9, "。": 0.05})

    def handler(request: Request) -> Reply:
        if request.body.get("continue_final_message"):
            return continuation
        return Reply(body=chat_completion(ALIGNED, [first, second]))

    return LoopbackHTTPServer(handler)


def test_fast_score_is_exact_when_the_server_continues_the_other_label(qwen_tokenizer):
    dui, qi, budui = label_pieces(qwen_tokenizer)
    followup = Reply(body=chat_completion(qi, [logprob_entry(qi, 0.8, {qi: 0.8, "对": 0.1})]))
    with logprob_server(qwen_tokenizer, followup) as server:
        judgement = OpenAIBackend(f"{server.url}/v1", MODEL, **QUICK).score([PAIRS[0]])[0]
    assert judgement.label == ALIGNED and judgement.extra["score_exact"] is True
    assert (judgement.extra["followups"], judgement.extra["score_max_error"]) == (1, 0.0)
    assert judgement.score == pytest.approx(0.6 * 0.9 / (0.6 * 0.9 + 0.3 * 0.8))
    follow = server.requests[1].body
    # The assistant message holds the empty think block and the first piece of 不对齐, as the server reported it.
    assert follow["messages"][-1] == {"role": "assistant", "content": EMPTY_THINK + budui}
    assert (follow["continue_final_message"], follow["add_generation_prompt"]) == (True, False)


def test_fast_score_skips_the_follow_up_when_it_cannot_move_the_score_beyond_the_tolerance(qwen_tokenizer):
    refused = Reply(status=500, body={"error": {"message": "no follow-up expected"}})
    with logprob_server(qwen_tokenizer, refused, p_budui=1e-5) as server:
        judgement = OpenAIBackend(f"{server.url}/v1", MODEL, score_tolerance=1e-3, **QUICK).score([PAIRS[0]])[0]
        assert len(server.requests) == 1
    share = 1e-5 / (0.54 + 1e-5)
    assert judgement.score == pytest.approx(1 - share)
    assert judgement.extra["followups"] == 0 and judgement.extra["score_exact"] is False
    assert judgement.extra["score_max_error"] == pytest.approx(share)
    assert "follow-up skipped" in judgement.extra["score_note"]


def test_fast_score_falls_back_to_an_approximation_when_the_server_refuses_continuation(qwen_tokenizer):
    refused = Reply(status=400, body={"detail": "unknown field continue_final_message"})
    with logprob_server(qwen_tokenizer, refused) as server:
        # One pair at a time, so the second pair meets a backend that has already learnt the refusal.
        backend = OpenAIBackend(f"{server.url}/v1", MODEL, concurrency=1, **QUICK)
        judgements = backend.score([PAIRS[0], PAIRS[1]])
        followups = [r for r in server.requests if r.body.get("continue_final_message")]
    # The missing conditional P(齐|不对) counts as 1: the score compares .6*.9 with .3.
    for judgement in judgements:
        assert judgement.label == ALIGNED and judgement.error is None
        assert judgement.score == pytest.approx(0.54 / (0.54 + 0.3))
        assert judgement.extra["score_exact"] is False and "不对齐" in judgement.extra["score_note"]
    assert len(followups) == 1
    assert "refused continue_final_message" in judgements[1].extra["score_note"]


def test_fast_score_decides_the_judgement_through_the_threshold(qwen_tokenizer):
    dui, qi, budui = label_pieces(qwen_tokenizer)
    followup = Reply(body=chat_completion(qi, [logprob_entry(qi, 0.8, {qi: 0.8})]))
    with logprob_server(qwen_tokenizer, followup) as server:
        base_url = f"{server.url}/v1"
        judges = [load_judge("openai", base_url=base_url, model=MODEL, threshold=t, **QUICK) for t in (0.5, 0.9)]
        low, high = [judge.judge(PAIRS[0].question, PAIRS[0].chunk) for judge in judges]
    assert low.score == pytest.approx(0.54 / (0.54 + 0.24))  # ~0.69, between the two thresholds
    assert low.kept is True and high.kept is False


@pytest.mark.parametrize("p_budui, settled", [(0.01, True), (0.55, False)])
def test_fast_label_comes_from_the_scores_when_the_model_writes_on_after_it(qwen_tokenizer, p_budui, settled):
    # The model answers 对齐 and goes on (cut by fast_max_tokens): the text holds no clean label, the log-probs may.
    dui, qi, budui = label_pieces(qwen_tokenizer)
    entries = [logprob_entry(dui, 0.4, {dui: 0.4, budui: p_budui, "不": 0.001}),
               logprob_entry(qi, 0.9, {qi: 0.9, "。": 0.05}), logprob_entry("：", 0.5, {"：": 0.5}),
               logprob_entry("略", 0.4, {"略": 0.4})]
    refused = Reply(status=400, body={"detail": "unknown field continue_final_message"})

    def handler(request: Request) -> Reply:
        return refused if request.body.get("continue_final_message") else Reply(
            body=chat_completion(ALIGNED + "：略", entries))

    with LoopbackHTTPServer(handler) as server:
        judgement = OpenAIBackend(f"{server.url}/v1", MODEL, **QUICK).score([PAIRS[0]])[0]
    assert judgement.raw == ALIGNED + "：略"
    if settled:  # P(对齐) >= .36 / (.36 + .01): whatever P(齐|不对) is, the score cannot cross 0.5
        assert judgement.label == ALIGNED and judgement.error is None
        assert judgement.extra["label_from"].startswith("log-probs (")
    else:  # .36 against up to .55: the unknown P(齐|不对) could put either label ahead, so the pair fails
        assert judgement.error is not None and "label_from" not in judgement.extra


def test_without_the_openai_package_import_works_and_the_backend_says_what_to_install():
    # A subprocess where `import openai` fails, as on an install without the [openai] extra.
    code = (
        "import sys; sys.modules['openai'] = None\n"
        "import ea_plugin\n"
        "try:\n"
        "    ea_plugin.load_judge('openai', base_url='http://127.0.0.1:1/v1', model='m')\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("MissingExtraError the openai backend needs openai, which is not installed: "
                                  'pip install "ea-plugin[openai]"'), done.stdout


# -- one pair's fault is that pair's alone (issue 13, items 11-12) ----------------------------------
def test_a_connection_dropped_for_one_request_fails_only_that_pair():
    # The server closes the connection whenever it sees chunk-00 (as a server crashing on one input would);
    # with one request at a time, the pairs queued behind it must still be sent and judged.
    def handler(request: Request) -> Reply:
        if _index_of(request) == 0:
            return Reply(drop=True)
        return _labelled_by_index(request)

    with LoopbackHTTPServer(handler) as server:
        backend = OpenAIBackend(f"{server.url}/v1", MODEL, concurrency=1, max_retries=1, **QUICK)
        judgements = backend.generate(numbered_pairs(4))
        backend.close()
    first, *rest = judgements
    assert first.label is None and "connection dropped" in first.error and first.extra["attempts"] == 2
    assert [v.label for v in rest] == [ALIGNED, ALIGNED, UNALIGNED] and all(v.error is None for v in rest)
    assert all(v.extra["attempts"] == 1 for v in rest)


def test_a_server_that_trickles_its_reply_times_out_within_the_timeout():
    # Before: the client's timeout bounds each read, so a reply sent a byte every 0.2 s never timed out
    # (timeout=0.5 s; the call took as long as the server liked). The neighbour still gets its judgement.
    def handler(request: Request) -> Reply:
        reply = _labelled_by_index(request)
        return Reply(body=reply.body, trickle_s=0.2) if _index_of(request) == 0 else reply

    with LoopbackHTTPServer(handler) as server:
        backend = OpenAIBackend(f"{server.url}/v1", MODEL, timeout=0.5, max_retries=0, retry_backoff=0.01)
        started = time.monotonic()
        slow, fine = finishes(lambda: backend.generate(numbered_pairs(2)), timeout_s=10)
        took = time.monotonic() - started
        backend.close()
    assert slow.label is None and "timeout: no reply within 0.5s" in slow.error, slow
    assert fine.label == ALIGNED and fine.error is None
    assert took < 5, took  # the body alone would take 0.2 s per byte: minutes


def _one_label_logprobs(value: Any) -> list[dict[str, Any]]:
    """Log-probs of a reply 对齐 whose first position carries ``value`` where the chosen logprob belongs."""
    entry = {"token": "对齐", "logprob": value, "top_logprobs": [{"token": "对齐", "logprob": value}]}
    return [entry]


MALFORMED = {
    "string_logprob": _one_label_logprobs("likely"),
    "nan_logprob": _one_label_logprobs(float("nan")),
    "inf_logprob": _one_label_logprobs(float("inf")),
    "integer_token": [{"token": 1234, "logprob": -0.1, "top_logprobs": []}],
    "missing_logprob": [{"token": "对齐", "top_logprobs": []}],
    "missing_token": [{"logprob": -0.1, "top_logprobs": [{"token": "对齐", "logprob": -0.1}]}],
}


@pytest.mark.parametrize("on_error", ["keep", "drop"])
@pytest.mark.parametrize("fault", list(MALFORMED))
def test_malformed_logprobs_fail_that_pair_alone_under_the_policy(fault: str, on_error: str):
    good = [logprob_entry("对齐", 0.9, {"对齐": 0.9, "不对齐": 0.1})]

    def handler(request: Request) -> Reply:
        logprobs = MALFORMED[fault] if _index_of(request) == 1 else good
        return Reply(body=chat_completion(ALIGNED, logprobs))

    with LoopbackHTTPServer(handler) as server:
        judge = load_judge("openai", base_url=f"{server.url}/v1", model=MODEL, mode="fast", on_error=on_error,
                           **QUICK)
        judgements = judge.judge_pairs(numbered_pairs(3))
    bad = judgements[1]
    assert bad.label is None and "malformed log-probs" in bad.error and bad.kept is (on_error == "keep")
    for judgement in (judgements[0], judgements[2]):
        assert judgement.error is None and judgement.kept and judgement.score == pytest.approx(0.9)


# -- close() with sync calls in flight (issue 24, item 2) ----------------------------------------------
def test_close_during_a_sync_call_raises_a_closed_error_and_a_later_call_works():
    arrived = threading.Event()

    def handler(request: Request) -> Reply:
        if _index_of(request) == 0:  # the first call's request hangs until the server shuts down
            arrived.set()
            return Reply(body=chat_completion(ALIGNED), delay_s=60)
        return _labelled_by_index(request)

    with LoopbackHTTPServer(handler) as server:
        backend = OpenAIBackend(f"{server.url}/v1", MODEL, timeout=120, **{k: v for k, v in QUICK.items()
                                                                          if k != "timeout"})
        stuck = in_background(lambda: backend.generate(numbered_pairs(1)), what="the sync call in flight at close()")
        assert arrived.wait(10)
        finishes(backend.close, what="close() during a sync call")
        with pytest.raises(BackendClosedError, match="closed during this call"):
            stuck()
        judgements = finishes(lambda: backend.generate(numbered_pairs(3)[1:]), what="a call after close()")
        assert [v.label for v in judgements] == [ALIGNED, ALIGNED]
        backend.close()


def test_close_while_the_first_call_builds_its_client_leaves_later_calls_working(monkeypatch: pytest.MonkeyPatch):
    # close() lands while the sync loop is still building its client (the first call imports openai and loads
    # the CA store: tens of ms). That client belongs to the closed loop, which closes it; it was kept as the
    # backend's, so every later call failed with "the client has been closed".
    with LoopbackHTTPServer(_labelled_by_index) as server:
        backend = OpenAIBackend(f"{server.url}/v1", MODEL, **QUICK)
        build = backend._new_client
        closer: list[threading.Thread] = []

        def client_built_during_close() -> Any:
            if not closer:
                closer.append(threading.Thread(target=backend.close, daemon=True))
                closer[0].start()
                wait_until(lambda: backend._runner is None, what="close() under way")
            return build()

        monkeypatch.setattr(backend, "_new_client", client_built_during_close)
        with pytest.raises(BackendClosedError):
            finishes(lambda: backend.generate(numbered_pairs(1)), what="the call closed while it built its client")
        closer[0].join(10)
        judgements = finishes(lambda: backend.generate(numbered_pairs(3)[1:]), what="a call after close()")
        assert [(v.label, v.error) for v in judgements] == [(ALIGNED, None), (ALIGNED, None)]
        backend.close()


# -- OPENAI_BASE_URL / OPENAI_API_KEY, as every OpenAI client reads them (issue 22) --------------------------
def _labelled(request: Request) -> Reply:
    return Reply(body=chat_completion(f"{EMPTY_THINK}{ALIGNED}"))


def test_the_environment_gives_the_server_and_key_when_the_options_do_not(monkeypatch: pytest.MonkeyPatch):
    with LoopbackHTTPServer(_labelled) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
        judge = load_judge("openai", model=MODEL, mode="think")
        assert judge.judge("q", "c").label == ALIGNED
        assert (judge.backend.options.base_url, judge.backend.options.api_key) == (f"{server.url}/v1", "sk-from-env")
        assert server.requests[-1].headers["authorization"] == "Bearer sk-from-env"
        assert "api_key" not in judge.config()["options"]  # the key from the environment is never written down
        judge.backend.close()


def test_explicit_options_win_over_the_environment(monkeypatch: pytest.MonkeyPatch):
    with LoopbackHTTPServer(_labelled) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")  # nothing listens there
        monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
        backend = OpenAIBackend(f"{server.url}/v1", MODEL, api_key="sk-given", **QUICK)
        assert backend.generate([PAIRS[0]])[0].label == ALIGNED
        assert server.requests[-1].headers["authorization"] == "Bearer sk-given"
        backend.close()


def test_without_either_the_backend_names_the_option_and_the_variable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(OptionError, match=r"needs base_url \(--base-url\), or OPENAI_BASE_URL set") as info:
        load_judge("openai", model=MODEL)
    assert info.value.option == "base_url"
    assert OpenAIBackend("http://127.0.0.1:9/v1", MODEL).options.api_key == "EMPTY"
    with pytest.raises(OptionError, match=r"needs model \(--model\)"):
        OpenAIBackend("http://127.0.0.1:9/v1")


def test_sync_calls_racing_repeated_closes_each_get_judgements_or_a_closed_error():
    with LoopbackHTTPServer(_labelled_by_index) as server:
        backend = OpenAIBackend(f"{server.url}/v1", MODEL, **QUICK)

        def caller() -> list[object]:
            outcomes: list[object] = []
            for _ in range(4):
                try:
                    outcomes.append([v.label for v in backend.generate(numbered_pairs(2))])
                except BackendClosedError as exc:
                    outcomes.append(exc)
            return outcomes

        def closer() -> None:
            for _ in range(4):
                time.sleep(0.03)
                backend.close()

        callers = [in_background(caller, what=f"caller {n}") for n in range(6)]
        finishes(closer, what="the closes")
        for result in callers:
            for outcome in result():
                assert outcome == [UNALIGNED, ALIGNED] or isinstance(outcome, BackendClosedError), outcome
        assert backend.generate(numbered_pairs(2))[1].label == ALIGNED  # and it still works afterwards
        backend.close()


def test_a_client_resetting_its_kept_alive_connection_leaves_no_traceback_on_stderr(capsys: pytest.CaptureFixture):
    # The loopback server printed a ConnectionResetError traceback for every kept-alive connection a closed
    # backend or a Ctrl-C reset: noise that buried the one error line these tests and their readers look for.
    import socket
    import struct

    with LoopbackHTTPServer(_labelled) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = reset
        wait_until(lambda: server.open_connections == 0, what="the server saw the reset")
    assert "Traceback" not in capsys.readouterr().err
