"""A misbehaving backend never fails a query: the affected pairs get the policy, the others their judgement.

Covers issue 13 items 14 (wrong count, None entries) and 17 (a failed cascade second opinion), and the
property that the judge returns one decision per pair, in order, under every policy, whatever the
backend does (sync and async alike).
"""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ea_plugin import ALIGNED, UNALIGNED, AlignmentJudge, JudgeError, Judgement, Pair


class FaultyBackend:
    """Answers by a script per call: 'ok', 'short' (one judgement too few), 'long', 'none' (None entries),
    'junk' (not a list), 'raise', 'fail' (every pair a failed judgement)."""

    name = "faulty"

    def __init__(self, script: list[str], scores: list[float] | None = None):
        self.script, self.scores, self.calls = list(script), scores or [0.9, 0.1], 0
        self.log: list[tuple[str, int]] = []

    def _answer(self, pairs: list[Pair], mode: str) -> object:
        action = self.script[self.calls % len(self.script)]
        self.calls += 1
        self.log.append((mode, len(pairs)))

        def good(i: int) -> Judgement:
            score = self.scores[i % len(self.scores)]
            label = ALIGNED if score >= 0.5 else UNALIGNED
            return Judgement(label, score=score if mode == "fast" else None, mode=mode, backend=self.name,
                             extra={"chunk": pairs[i].chunk if i < len(pairs) else None})

        answers: dict[str, object] = {
            "ok": lambda: [good(i) for i in range(len(pairs))],
            "short": lambda: [good(i) for i in range(len(pairs) - 1)],
            "long": lambda: [good(i) for i in range(len(pairs) + 1)],
            "none": lambda: [None if i % 2 else good(i) for i in range(len(pairs))],
            "junk": lambda: "not a list",
            "fail": lambda: [Judgement.failed("model said nothing", mode=mode) for _ in pairs],
        }
        if action == "raise":
            raise ConnectionError("server down")
        return answers[action]()

    def score(self, pairs: list[Pair]) -> object:
        return self._answer(pairs, "fast")

    def generate(self, pairs: list[Pair]) -> object:
        return self._answer(pairs, "think")


CHUNKS = ["c1", "c2", "c3", "c4"]


@pytest.mark.parametrize("fault", ["short", "long", "junk"])
def test_a_wrong_number_of_judgements_gets_the_policy_for_that_batch_only(fault):
    judge = AlignmentJudge(FaultyBackend(["ok", fault]), batch_size=2)
    decisions = judge.judge_many("q", CHUNKS)
    assert [d.why for d in decisions[:2]] == ["aligned", "unaligned"]
    assert all(d.why == "kept_on_error" and "judgements for 2 pairs" in d.error for d in decisions[2:])


def test_none_entries_get_the_policy_and_their_neighbours_keep_their_judgement():
    decisions = AlignmentJudge(FaultyBackend(["none"]), on_error="drop").judge_many("q", CHUNKS)
    assert [d.why for d in decisions] == ["aligned", "dropped_on_error", "aligned", "dropped_on_error"]
    assert "NoneType" in decisions[1].error


@pytest.mark.parametrize("on_error", ["keep", "drop"])
def test_a_failed_second_opinion_leaves_the_fast_judgement_standing_with_the_error(on_error):
    backend = FaultyBackend(["ok", "fail"], scores=[0.6, 0.3])
    decisions = AlignmentJudge(backend, cascade=(0.2, 0.8), on_error=on_error).judge_many("q", ["c1", "c2"])
    assert [(d.kept, d.why, d.mode) for d in decisions] == [(True, "aligned", "fast"), (False, "unaligned", "fast")]
    assert all(d.judgement.extra["cascade_error"] == "model said nothing" and d.error is None for d in decisions)


def test_a_raising_second_opinion_leaves_the_fast_judgement_standing():
    decisions = AlignmentJudge(FaultyBackend(["ok", "raise"], scores=[0.6]), cascade=(0.2, 0.8)).judge_many("q", ["c"])
    assert decisions[0].why == "aligned" and "ConnectionError" in decisions[0].judgement.extra["cascade_error"]


async def test_sync_and_async_send_the_same_batches_and_decide_the_same():
    runs = {}
    for name in ("sync", "async"):
        backend = FaultyBackend(["ok", "ok", "none"], scores=[0.6, 0.4, 0.95])
        judge = AlignmentJudge(backend, cascade=(0.2, 0.8), batch_size=2, min_keep=6)
        chunks = [f"c{i}" for i in range(7)]
        decisions = judge.judge_many("q", chunks) if name == "sync" else await judge.ajudge_many("q", chunks)
        runs[name] = (backend.log, [d.to_dict() for d in decisions])
    assert runs["sync"] == runs["async"]
    log = runs["sync"][0]
    assert log[:4] == [("fast", 2)] * 3 + [("fast", 1)] and all(n <= 2 for _, n in log[4:]) and len(log) > 4


FAULTS = st.sampled_from(["ok", "short", "long", "none", "junk", "raise", "fail"])
POLICIES = st.fixed_dictionaries({
    "mode": st.sampled_from(["fast", "think"]),
    "on_error": st.sampled_from(["keep", "drop", "raise"]),
    "threshold": st.floats(0.0, 1.0),
    "cascade": st.one_of(st.none(), st.tuples(st.floats(0.0, 0.5), st.floats(0.5, 1.0))),
    "min_keep": st.integers(0, 5),
    "batch_size": st.integers(1, 4),
})
EXAMPLES = int(os.environ.get("EA_FUZZ_EXAMPLES", "200"))  # a deeper run: EA_FUZZ_EXAMPLES=5000


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=st.lists(FAULTS, min_size=1, max_size=6), options=POLICIES, n=st.integers(0, 9),
       scores=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=5), use_async=st.booleans())
def test_a_randomly_failing_backend_gives_one_decision_per_pair_in_order_under_every_policy(
    script, options, n, scores, use_async
):
    judge = AlignmentJudge(FaultyBackend(script, scores), **options)
    chunks = [f"chunk {i}" for i in range(n)]
    try:
        decisions = asyncio.run(judge.ajudge_many("q", chunks)) if use_async else judge.judge_many("q", chunks)
    except JudgeError:
        assert options["on_error"] == "raise"
        return
    assert len(decisions) == n
    for chunk, decision in zip(chunks, decisions, strict=True):
        judgement = decision.judgement
        assert judgement is not None
        if not judgement.ok:  # the policy's call, or min_keep's rescue of a dropped one
            assert decision.error and decision.why in ("kept_on_error", "dropped_on_error", "min_keep")
            assert decision.kept is (options["on_error"] == "keep" or decision.why == "min_keep")
        else:
            assert judgement.ok and judgement.extra["chunk"] == chunk  # its own judgement, in its place
    assert sum(d.kept for d in decisions) >= min(options["min_keep"], n)


def test_raise_policy_raises_for_a_wrong_count_naming_the_pair():
    with pytest.raises(JudgeError, match="judgements for 1 pairs"):
        AlignmentJudge(FaultyBackend(["short"]), on_error="raise").judge("q", "the chunk")


# -- a plugin's judgement that breaks its contract (issue 24, item 12) ------------------------------------
class PluginBackend:
    """Returns, for chunk i, the judgement given by ``make(i)``: a plugin that may get the contract wrong."""

    name = "plugin"

    def __init__(self, bad: dict[int, tuple[object, object]]) -> None:
        self.bad = bad

    def score(self, pairs: list[Pair]) -> list[Judgement]:
        label_score = [self.bad.get(i, (ALIGNED, 0.9)) for i in range(len(pairs))]
        return [Judgement(label, score=score, mode="fast", backend=self.name) for label, score in label_score]

    generate = score


INVALID = [
    ("aligned", None, "label 'aligned' is not '对齐', '不对齐' or None"),
    (" 对齐", None, "label ' 对齐'"),
    (1, None, "label 1"),
    (ALIGNED, float("nan"), "score nan"),
    (ALIGNED, float("inf"), "score inf"),
    (ALIGNED, "0.9", "score '0.9'"),
    (UNALIGNED, 1.7, "score 1.7"),
    (ALIGNED, -0.1, "score -0.1"),
    (ALIGNED, True, "score True"),
]


@pytest.mark.parametrize("on_error", ["keep", "drop"])
@pytest.mark.parametrize(("label", "score", "says"), INVALID)
def test_an_invalid_judgement_is_that_pairs_error_under_the_policy(label, score, says, on_error):
    judge = AlignmentJudge(PluginBackend({1: (label, score)}), on_error=on_error, cascade=(0.4, 0.6), min_keep=1)
    decisions = judge.judge_many("q", CHUNKS)
    bad = decisions[1]
    assert bad.label is None and bad.score is None and says in bad.error and "invalid judgement" in bad.error
    assert (bad.kept, bad.why) == ((True, "kept_on_error") if on_error == "keep" else (False, "dropped_on_error"))
    for decision in decisions[:1] + decisions[2:]:
        assert (decision.label, decision.score, decision.kept, decision.error) == (ALIGNED, 0.9, True, None)
    with pytest.raises(JudgeError, match="invalid judgement"):
        AlignmentJudge(PluginBackend({1: (label, score)}), on_error="raise").judge_many("q", CHUNKS)


def test_valid_plugin_scores_of_other_number_types_are_read_as_floats():
    numpy = pytest.importorskip("numpy")
    judge = AlignmentJudge(PluginBackend({0: (ALIGNED, 1), 1: (UNALIGNED, numpy.float32(0.25))}))
    first, second = judge.judge_pairs([("q", "a"), ("q", "b")])
    assert (first.score, first.kept) == (1.0, True) and type(first.score) is float
    assert (second.score, second.kept, second.why) == (0.25, False, "unaligned") and type(second.score) is float


def test_the_policy_checks_a_judgement_given_to_it_directly():
    from ea_plugin.policy import Policy

    decision = Policy().decide(Judgement("aligned", score=0.9, backend="mine"), Pair("q", "c"))
    assert (decision.kept, decision.why) == (True, "kept_on_error")
    assert decision.error == "invalid judgement from backend 'mine': label 'aligned' is not '对齐', '不对齐' or None"


# -- a plugin's judgement with fields no writer expects (second adversarial pass) ------------------------
def _deep(levels: int) -> dict:
    top = node = {}
    for _ in range(levels):
        node["x"] = node = {}
    return top


class OddFieldsBackend:
    """Chunk "ok" gets a plain judgement; any other chunk names a judgement whose fields break what writers and
    reports expect (filled in by ``ODD``)."""

    name = "odd"

    def generate(self, pairs: list[Pair]) -> list[Judgement]:
        return [ODD[p.chunk]() if p.chunk in ODD else Judgement(ALIGNED, backend=self.name) for p in pairs]

    score = generate


ODD = {  # valid judgements whose extra JSON has no type for, and invalid ones whose text fields are not text
    "extra_set": lambda: Judgement(ALIGNED, extra={"s": {2, 1}}),
    "extra_tuple_key": lambda: Judgement(ALIGNED, extra={(1, 2): 3}),
    "extra_object": lambda: Judgement(ALIGNED, extra={"o": object()}),
    "extra_nested_2000_deep": lambda: Judgement(ALIGNED, extra=_deep(2000)),
    "extra_nan": lambda: Judgement(ALIGNED, extra={"n": float("nan")}),
    # Written as they were, the reader refused these rows, so a rerun failed ("not a record this command wrote").
    "extra_huge_int": lambda: Judgement(ALIGNED, extra={"prompt_tokens": 10**30}),
    "extra_nested_300_deep": lambda: Judgement(ALIGNED, extra=_deep(300)),
    "reasoning_int": lambda: Judgement(ALIGNED, reasoning=5),
    "raw_bytes": lambda: Judgement(ALIGNED, raw=b"x"),
    "mode_int": lambda: Judgement(ALIGNED, mode=3),
    "truncated_string": lambda: Judgement(ALIGNED, truncated="yes"),
}
INVALID_FIELDS = {"reasoning_int": "reasoning 5", "raw_bytes": "raw b'x'", "mode_int": "mode 3",
                  "truncated_string": "truncated 'yes'"}


def test_odd_judgement_fields_never_fail_the_filter_and_are_written_as_strict_json(tmp_path):
    # Before: a set (or an object, a tuple key, deep nesting) in a plugin's extra made `ea-judge filter` crash
    # on json.dumps with the rows after it unwritten, and reasoning=5 crashed Decision.reason.
    import json

    from ea_plugin.filter_file import check_paths, filter_file

    source = tmp_path / "pairs.jsonl"
    chunks = [c for name in ODD for c in ("ok", name)] + ["ok"]
    source.write_text("".join(json.dumps({"question": "q", "chunk": c}) + "\n" for c in chunks), encoding="utf-8")
    judge = AlignmentJudge(OddFieldsBackend())
    counts = filter_file(judge, check_paths(source, tmp_path / "judged.jsonl"))
    assert (counts.judged, counts.errors) == (len(chunks), len(INVALID_FIELDS))

    def strict(name: str) -> None:
        raise AssertionError(f"{name} written")

    rows = [json.loads(line, parse_constant=strict)
            for line in (tmp_path / "judged.jsonl").read_text(encoding="utf-8").splitlines()]
    by_chunk = {row["chunk"]: row["ea"] for row in rows}
    assert by_chunk["extra_set"]["judgement"]["extra"] == {"s": [1, 2]}
    assert by_chunk["extra_tuple_key"]["judgement"]["extra"] == {"(1, 2)": 3}
    assert by_chunk["extra_nan"]["judgement"]["extra"] == {"n": None}
    assert by_chunk["extra_huge_int"]["judgement"]["extra"] == {"prompt_tokens": "<integer of 100 bits: out of range>"}
    for name, says in INVALID_FIELDS.items():
        assert by_chunk[name]["why"] == "kept_on_error" and says in by_chunk[name]["judgement"]["error"]
        decision = judge.judge("q", name)
        assert decision.reason is None and decision.reasoning == "" and says in decision.error
    again = filter_file(judge, check_paths(source, tmp_path / "judged.jsonl"))  # every row reads back: all done
    assert (again.judged, again.skipped) == (0, len(chunks))
