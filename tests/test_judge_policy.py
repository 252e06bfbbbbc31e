"""AlignmentJudge and its Policy: a failure never drops a chunk silently; bad input gets a named error."""

import pytest

from ea_plugin import (
    ALIGNED,
    UNALIGNED,
    AlignmentJudge,
    InvalidPairError,
    JudgeError,
    Judgement,
    Pair,
    load_judge,
    parse_answer,
)
from ea_plugin.backends.rules import RulesBackend


class ScriptedBackend:
    """A backend whose model 'answers' fixed texts: exercises the judge's parsing and policy paths."""

    name = "scripted"

    def __init__(self, answers=None, scores=None, fail_with=None):
        self.answers, self.scores, self.fail_with = answers, scores, fail_with
        self.calls: list[tuple[str, int]] = []

    def _maybe_fail(self):
        if self.fail_with is not None:
            raise self.fail_with

    def generate(self, pairs):
        self.calls.append(("generate", len(pairs)))
        self._maybe_fail()
        out = []
        for i, _ in enumerate(pairs):
            parsed = parse_answer(self.answers[i % len(self.answers)])
            out.append(Judgement(parsed.label, reasoning=parsed.reasoning, error=parsed.error, mode="think",
                                 backend=self.name))
        return out

    def score(self, pairs):
        self.calls.append(("score", len(pairs)))
        self._maybe_fail()
        return [Judgement(ALIGNED if s >= 0.5 else UNALIGNED, score=s, mode="fast", backend=self.name)
                for s in (self.scores[i % len(self.scores)] for i in range(len(pairs)))]


CHUNKS = ["a1", "a2", "a3"]


@pytest.mark.parametrize(
    ("on_error", "kept", "why"), [("keep", True, "kept_on_error"), ("drop", False, "dropped_on_error")]
)
def test_unparseable_answer_follows_policy_and_records_why(on_error, kept, why):
    judge = AlignmentJudge(ScriptedBackend(answers=["<think>x</think>\n\n也许"]), mode="think", on_error=on_error)
    decisions = judge.judge_many("q", CHUNKS)
    assert len(decisions) == 3
    assert all(d.kept is kept and d.why == why and d.label is None and "unparseable" in d.error for d in decisions)


def test_unparseable_answer_raises_under_raise_policy():
    judge = AlignmentJudge(ScriptedBackend(answers=["<think>x"]), mode="think", on_error="raise")
    with pytest.raises(JudgeError, match="truncated"):
        judge.judge("q", "c")


def test_backend_exception_keeps_every_chunk_by_default():
    judge = AlignmentJudge(ScriptedBackend(fail_with=ConnectionError("server down")))
    decisions = judge.judge_many("q", CHUNKS)
    assert [d.kept for d in decisions] == [True, True, True]
    assert all("ConnectionError: server down" in d.error for d in decisions)


async def test_async_backend_exception_keeps_every_chunk_by_default():
    judge = AlignmentJudge(ScriptedBackend(fail_with=TimeoutError("slow")))
    decisions = await judge.ajudge_many("q", CHUNKS)
    assert [d.kept for d in decisions] == [True, True, True] and all("TimeoutError" in d.error for d in decisions)


def test_threshold_decides_fast_mode():
    backend = ScriptedBackend(scores=[0.3, 0.6, 0.9])
    assert [d.kept for d in AlignmentJudge(backend, threshold=0.5).judge_many("q", CHUNKS)] == [False, True, True]
    assert [d.kept for d in AlignmentJudge(backend, threshold=0.2).judge_many("q", CHUNKS)] == [True, True, True]
    decisions = AlignmentJudge(backend, threshold=0.95).judge_many("q", CHUNKS)
    assert [d.why for d in decisions] == ["unaligned", "below_threshold", "below_threshold"]


def test_cascade_sends_only_uncertain_scores_to_think_mode():
    backend = ScriptedBackend(scores=[0.05, 0.5, 0.97], answers=["<think>r</think>\n\n不对齐"])
    decisions = AlignmentJudge(backend, cascade=(0.2, 0.8)).judge_many("q", CHUNKS)
    assert backend.calls == [("score", 3), ("generate", 1)]
    assert [d.mode for d in decisions] == ["fast", "think", "fast"]
    assert decisions[1].label == UNALIGNED and decisions[1].judgement.extra["cascade_from_score"] == 0.5
    assert [d.why for d in decisions] == ["unaligned", "unaligned", "aligned"]


def test_batches_respect_batch_size_and_order():
    backend = ScriptedBackend(scores=[0.1, 0.9])
    decisions = AlignmentJudge(backend, batch_size=2).judge_many("q", ["c"] * 5)
    assert backend.calls == [("score", 2), ("score", 2), ("score", 1)]
    assert [d.score for d in decisions] == [0.1, 0.9, 0.1, 0.9, 0.1]


@pytest.mark.parametrize(
    ("question", "chunk", "field"),
    [("", "c", "question"), ("  \n", "c", "question"), ("q", "", "chunk"), (None, "c", "question"), ("q", 5, "chunk"),
     ("q", "\u200b\ufeff", "chunk"), ("\u200b", "c", "question"), ("q", " \u2060\u200d ", "chunk")],
)
def test_bad_input_gets_a_named_error(question, chunk, field):
    with pytest.raises(InvalidPairError) as info:
        load_judge("rules").judge(question, chunk)
    assert info.value.field == field


def test_over_long_chunk_is_truncated_and_says_so():
    judge = load_judge("rules", max_chunk_chars=50)
    decision = judge.judge("sv660n报e100", "sv660n e100 " + "过流" * 100)
    assert decision.truncated and decision.label == ALIGNED
    assert not judge.judge("sv660n报e100", "sv660n e100").truncated


def test_judge_pairs_accepts_pair_objects_and_tuples():
    decisions = load_judge("rules").judge_pairs([Pair("sv660n e100", "md500 e100"), ("sv660n e100", "sv660 e100.1")])
    assert [d.label for d in decisions] == [UNALIGNED, ALIGNED]


def test_invalid_options_are_refused():
    with pytest.raises(ValueError):
        AlignmentJudge(RulesBackend(), on_error="ignore")
    with pytest.raises(ValueError):
        AlignmentJudge(RulesBackend(), mode="slow")
    with pytest.raises(ValueError):
        AlignmentJudge(RulesBackend(), threshold=2)


@pytest.mark.parametrize(
    ("option", "value"),
    [("batch_size", 0), ("batch_size", -3), ("max_chunk_chars", 0), ("threshold", -0.1), ("threshold", 1.5),
     ("min_keep", -1), ("cascade", (0.8, 0.2))],
)
def test_out_of_range_options_fail_at_construction_naming_the_option(option, value):
    with pytest.raises(ValueError, match=option):
        AlignmentJudge(RulesBackend(), **{option: value})
