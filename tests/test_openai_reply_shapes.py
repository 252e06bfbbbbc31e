"""Every reply shape outside the chat completion API is that pair's failure, never its batch's (issue 24, item 3).

A real HTTP server on 127.0.0.1 answers each pair of one batch by the number in its chunk: most get a healthy
reply, the others one malformed shape each. Through the real openai client and the backend, sync and async,
in both modes: each malformed pair fails with the reason naming the field, and every healthy neighbour keeps
its judgement.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import re
from collections.abc import Callable
from typing import Any

import pytest

from devtools.servers import LoopbackHTTPServer, Reply, Request, chat_completion
from ea_plugin import ALIGNED, Pair, load_judge

pytest.importorskip("openai")

GOOD_LOGPROBS = [{"token": ALIGNED, "logprob": math.log(0.9), "bytes": list(ALIGNED.encode()),
                  "top_logprobs": [{"token": ALIGNED, "logprob": math.log(0.9)},
                                   {"token": "不对齐", "logprob": math.log(0.1)}]}]
Body = Any
Shape = Callable[[Body], Body]


def healthy() -> Body:
    return chat_completion(ALIGNED, copy.deepcopy(GOOD_LOGPROBS))


def choice(path: str, value: Any) -> Shape:
    """Set ``choices[0].<path>`` (dotted) to ``value``; the sentinel DELETE removes the field."""
    def shape(body: Body) -> Body:
        *parents, last = path.split(".")
        target = body["choices"][0]
        for name in parents:
            target = target[name]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
        return body

    return shape


def top(name: str, value: Any) -> Shape:
    def shape(body: Body) -> Body:
        if value is DELETE:
            del body[name]
        else:
            body[name] = value
        return body

    return shape


def first_logprob(**fields: Any) -> Shape:
    """Replace fields of the first log-prob entry (the chosen token)."""
    def shape(body: Body) -> Body:
        body["choices"][0]["logprobs"]["content"][0].update(fields)
        return body

    return shape


DELETE = object()


class Raw(str):
    """A body sent as it is, not as a JSON string."""
FFFD = "\ufffd"
# name: (how the healthy reply is broken, whether think mode reads it too, what the error names)
SHAPES: dict[str, tuple[Shape, bool, str]] = {
    "body_null": (lambda body: None, True, "the reply is NoneType"),
    "body_list": (lambda body: [body], True, "the reply is list"),
    "body_string": (lambda body: ALIGNED, True, "the reply is str"),
    "choices_object": (top("choices", {"0": "x"}), True, "choices is dict"),
    "choices_empty": (top("choices", []), True, "choices is list []"),
    "choices_missing": (top("choices", DELETE), True, "choices is NoneType"),
    "choice_string": (top("choices", [ALIGNED]), True, "choices[0] is str"),
    "message_missing": (choice("message", DELETE), True, "choices[0].message is NoneType"),
    "message_string": (choice("message", ALIGNED), True, "choices[0].message is str"),
    "content_int": (choice("message.content", 1), True, "choices[0].message.content is int"),
    "content_list": (choice("message.content", [{"type": "text", "text": ALIGNED}]), True,
                     "choices[0].message.content is list"),
    "content_bool": (choice("message.content", True), True, "choices[0].message.content is bool"),
    "finish_reason_int": (choice("finish_reason", 3), True, "choices[0].finish_reason is int"),
    "usage_string": (top("usage", "lots"), True, "usage is str"),
    "usage_list": (top("usage", [1, 2]), True, "usage is list"),
    "usage_tokens_string": (top("usage", {"prompt_tokens": "7", "completion_tokens": 1}), True,
                            "usage.prompt_tokens is str"),
    "logprobs_string": (choice("logprobs", "yes"), True, "choices[0].logprobs is str"),
    "logprobs_content_object": (choice("logprobs.content", {"token": ALIGNED}), False, "logprobs.content is dict"),
    "logprob_positive": (first_logprob(logprob=1000.0), False, "logprob 1000.0 is above 0"),
    "logprob_huge_string": (first_logprob(logprob="1e999"), False, "logprob inf is not finite"),  # the client reads it
    "fffd_bytes_300": (first_logprob(token=FFFD, bytes=[300]), False, "bytes [300] is not a list of byte values"),
    "fffd_bytes_string": (first_logprob(token=FFFD, bytes="abc"), False, "bytes 'abc' is not a list of byte"),
    "bytes_negative": (first_logprob(bytes=[-1]), False, "bytes [-1]"),
    "entry_string": (choice("logprobs.content", [ALIGNED]), False, "logprobs.content[0] is str"),
    "top_logprobs_object": (first_logprob(top_logprobs={ALIGNED: -0.1}), False, "top_logprobs is dict"),
    "top_logprob_entry_number": (first_logprob(top_logprobs=[-0.1]), False, "top_logprobs[0] is float"),
    "token_missing": (first_logprob(token=None), False, "token None is not a string"),
    # Bodies that are not a JSON object at all, sent as they are.
    "body_html": (lambda body: Raw("<html>502 Bad Gateway</html>"), True, "Expecting value"),
    "body_nested_too_deep": (lambda body: Raw(json.dumps(body)[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"),
                             True, "nested too deep"),
}
NAMES = list(SHAPES)
QUESTION = "sv660n报e100"


def pairs() -> list[Pair]:
    """Healthy pairs around each malformed one: pair 2k+1 gets shape k, the even ones a healthy reply."""
    return [Pair(QUESTION, f"chunk-{i:03d} sv660n的e100故障") for i in range(2 * len(NAMES) + 1)]


def shape_of(index: int) -> str | None:
    return NAMES[index // 2] if index % 2 else None


def handler(request: Request) -> Reply:
    index = int(re.search(r"chunk-(\d+)", request.body["messages"][1]["content"]).group(1))
    name = shape_of(index)
    body = healthy() if name is None else SHAPES[name][0](healthy())
    # A str body goes out as it is: JSON for every shape, strings too, except the Raw ones.
    return Reply(body=body if isinstance(body, Raw) else json.dumps(body))


@pytest.fixture(scope="module")
def server():
    with LoopbackHTTPServer(handler) as running:
        yield running


@pytest.mark.parametrize("driver", ["sync", "async"])
@pytest.mark.parametrize("mode", ["fast", "think"])
def test_each_malformed_reply_fails_its_own_pair_and_its_neighbours_keep_their_judgements(server, mode, driver):
    judge = load_judge("openai", base_url=f"{server.url}/v1", model="m", mode=mode, batch_size=1000,
                       max_retries=0, exact_score=False)
    batch = pairs()
    decisions = judge.judge_pairs(batch) if driver == "sync" else asyncio.run(judge.ajudge_pairs(batch))
    assert len(decisions) == len(batch)
    wrong: dict[str, str] = {}
    for index, decision in enumerate(decisions):
        name = shape_of(index)
        broken = name is not None and (mode == "fast" or SHAPES[name][1])
        if not broken:
            if decision.error is not None or decision.label != ALIGNED:
                wrong[f"healthy #{index} after {shape_of(index - 1)}"] = f"{decision.label} {decision.error}"
            elif mode == "fast" and decision.score != pytest.approx(0.9):
                wrong[f"healthy #{index}"] = f"score {decision.score}"
            continue
        says = SHAPES[name][2]
        if decision.label is not None or "malformed" not in (decision.error or "") or says not in decision.error:
            wrong[name] = f"label {decision.label}, error {decision.error!r}"
        elif decision.kept is not True:  # on_error="keep" applies to it like any failure
            wrong[name] = f"kept {decision.kept}"
    assert not wrong, wrong


def test_through_ea_judge_filter_the_healthy_neighbours_are_written_judged(server, tmp_path):
    # Before: one malformed reply failed its batch and every neighbour was written kept_on_error.
    from ea_plugin.cli import main

    source, output = tmp_path / "pairs.jsonl", tmp_path / "judged.jsonl"
    batch = pairs()[:7]  # healthy, body_null, healthy, body_list, healthy, body_string, healthy
    source.write_text("".join(json.dumps({"question": p.question, "chunk": p.chunk}, ensure_ascii=False) + "\n"
                              for p in batch), encoding="utf-8")
    main(["filter", str(source), "-o", str(output), "--quiet", "--backend", "openai", "--base-url",
          f"{server.url}/v1", "--model", "m", "--mode", "think", "--option", "max_retries=0"])
    rows = [json.loads(line)["ea"] for line in output.read_text(encoding="utf-8").splitlines()]
    assert [r["why"] for r in rows] == ["aligned", "kept_on_error"] * 3 + ["aligned"]
    assert all("malformed reply" in r["judgement"]["error"] for r in rows[1::2])
