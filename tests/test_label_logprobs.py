"""P(对齐) from OpenAI-style log-probs: token bytes, walking the labels, normalising (pure functions).

Token texts come from the real Qwen tokenizer, decoded one id at a time as vLLM reports them.
"""

from __future__ import annotations

import math

import pytest

from ea_plugin.backends.openai.label_logprobs import (
    Step,
    Walk,
    consumed_text,
    normalised_score,
    read_steps,
    token_bytes,
    unfinished_share,
    walk,
)
from ea_plugin.prompts import ALIGNED, LABELS, UNALIGNED

DUI, QI, BUDUI = 32664, 100046, 105788  # 对, 齐, 不对 in Qwen's vocabulary


@pytest.fixture(scope="module")
def pieces(qwen_tokenizer) -> dict[int, str]:
    return {i: qwen_tokenizer.decode([i]) for i in (DUI, QI, BUDUI)}


def step(chosen: str, **probabilities: float) -> Step:
    return Step(chosen.encode(), {k.encode(): math.log(p) for k, p in probabilities.items()})


def test_qwen_splits_each_label_into_two_tokens_with_the_same_last_token(qwen_tokenizer, pieces):
    # The premise of the follow-up request: the second token's conditional depends on a different first token.
    assert qwen_tokenizer(ALIGNED, add_special_tokens=False)["input_ids"] == [DUI, QI]
    assert qwen_tokenizer(UNALIGNED, add_special_tokens=False)["input_ids"] == [BUDUI, QI]
    assert pieces[DUI] + pieces[QI] == ALIGNED and pieces[BUDUI] + pieces[QI] == UNALIGNED


def test_token_bytes_reads_openai_byte_escapes_of_a_partial_character():
    # OpenAI's API shows a token that is part of a UTF-8 character as "bytes:\xe5\xaf".
    assert token_bytes("bytes:\\xe5\\xaf") == "对".encode()[:2]
    assert token_bytes("bytes:\\xe5\\xaf") + token_bytes("bytes:\\xb9齐") == ALIGNED.encode()


def test_token_bytes_trusts_the_bytes_field_only_when_it_is_not_the_replacement_character():
    assert token_bytes("\ufffd", list("对".encode()[:2])) == b"\xe5\xaf"
    # vLLM fills `bytes` from its lossy text: the token's real bytes are unknown, so it matches nothing.
    assert token_bytes("\ufffd", list("\ufffd".encode())) is None
    assert token_bytes("\ufffd") is None
    assert token_bytes("token_id:32664") is None
    assert token_bytes("对") == "对".encode()


def test_read_steps_collects_the_chosen_token_and_alternatives_from_plain_dicts(pieces):
    content = [{
        "token": pieces[DUI], "logprob": -0.5, "bytes": None,
        "top_logprobs": [{"token": pieces[BUDUI], "logprob": -1.2}, {"token": "token_id:7", "logprob": -3.0}],
    }]
    (only,) = read_steps({"content": content})
    assert only.chosen == pieces[DUI].encode()
    assert dict(only.candidates) == {pieces[BUDUI].encode(): -1.2, pieces[DUI].encode(): -0.5}
    assert read_steps(None) == [] and read_steps({"content": None}) == []


def test_walk_follows_the_generated_label_to_its_end(pieces):
    steps = [step(pieces[DUI], **{pieces[DUI]: 0.6, pieces[BUDUI]: 0.3}), step(pieces[QI], **{pieces[QI]: 0.9})]
    done = walk(ALIGNED.encode(), steps)
    assert done.complete and done.logprob == pytest.approx(math.log(0.54))
    # The other label starts at the first position, but the second position conditions on 对, not 不对.
    other = walk(UNALIGNED.encode(), steps)
    assert other.needs_more and other.logprob == pytest.approx(math.log(0.3))
    assert consumed_text(UNALIGNED, other) == pieces[BUDUI] and other.rest == pieces[QI].encode()


def test_walk_takes_the_longest_listed_piece_of_the_label():
    # 不 and 不对 both start 不对齐; the tokenizer's own split is the longer one.
    steps = [step("对", 对=0.5, 不对=0.3, 不=0.1)]
    assert walk(UNALIGNED.encode(), steps).logprob == pytest.approx(math.log(0.3))


def test_walk_marks_a_label_that_is_not_listed_as_below_top_k():
    lost = walk(UNALIGNED.encode(), [step("是", 是=0.9, 对=0.05)])
    assert lost.below_top_k and not lost.needs_more and not lost.complete


def test_walk_over_a_partial_character_token_matches_by_bytes():
    first = Step(b"\xe5\xaf", {b"\xe5\xaf": math.log(0.5)})
    second = Step("\xb9".encode("latin-1") + "齐".encode(), {b"\xb9" + "齐".encode(): math.log(0.8)})
    whole = walk(ALIGNED.encode(), [first, second])
    assert whole.complete and whole.logprob == pytest.approx(math.log(0.4))
    # Stopping inside a character leaves nothing that can be sent back as text.
    assert consumed_text(ALIGNED, walk(ALIGNED.encode(), [first])) is None


def test_a_continuation_completes_an_unfinished_label(pieces):
    unfinished = Walk(math.log(0.3), pieces[QI].encode())
    finished = unfinished.then(walk(unfinished.rest, [step(pieces[QI], **{pieces[QI]: 0.8})]))
    assert finished.complete and finished.logprob == pytest.approx(math.log(0.24))


def test_normalised_score_is_exact_only_when_both_labels_are_complete():
    walks = {ALIGNED: Walk(math.log(0.54), b""), UNALIGNED: Walk(math.log(0.24), b"")}
    result = normalised_score(walks, ALIGNED)
    assert result.exact and result.notes == ()
    assert result.score == pytest.approx(0.54 / 0.78)


def test_normalised_score_approximates_missing_pieces_and_says_so():
    walks = {ALIGNED: Walk(math.log(0.54), b""), UNALIGNED: Walk(math.log(0.3), "齐".encode())}
    result = normalised_score(walks, ALIGNED, ["server refused continue_final_message"])
    assert not result.exact and result.score == pytest.approx(0.54 / 0.84)
    assert "server refused" in result.notes[0] and UNALIGNED in result.notes[1]


def test_normalised_score_counts_an_unlisted_label_as_zero_and_none_when_neither_is_listed():
    below = Walk(0.0, UNALIGNED.encode(), below_top_k=True)
    one_sided = normalised_score({ALIGNED: Walk(math.log(0.7), b""), UNALIGNED: below}, ALIGNED)
    assert one_sided.score == 1.0 and not one_sided.exact and one_sided.logprobs[UNALIGNED] is None
    nothing = normalised_score({label: Walk(0.0, label.encode(), below_top_k=True) for label in LABELS}, ALIGNED)
    assert nothing.score is None and not nothing.exact


def test_normalised_score_is_stable_for_very_unlikely_labels():
    walks = {ALIGNED: Walk(-2000.0, b""), UNALIGNED: Walk(-2001.0, b"")}
    assert normalised_score(walks, ALIGNED).score == pytest.approx(1 / (1 + math.exp(-1)))


def test_unfinished_share_bounds_the_score_change_only_when_the_other_label_is_complete():
    walks = {ALIGNED: Walk(math.log(0.54), b""), UNALIGNED: Walk(math.log(0.3), "齐".encode())}
    bound = unfinished_share(walks, UNALIGNED)
    assert bound == pytest.approx(0.3 / 0.84)
    approx = normalised_score(walks, ALIGNED)
    assert approx.max_error == pytest.approx(bound)
    # Whatever P(齐|不对) turns out to be, the exact score stays within the bound.
    for conditional in (1e-6, 0.5, 1.0):
        exact = 0.54 / (0.54 + 0.3 * conditional)
        assert abs(exact - approx.score) <= bound + 1e-12
    both_open = {ALIGNED: Walk(math.log(0.5), "齐".encode()), UNALIGNED: Walk(math.log(0.3), "齐".encode())}
    assert unfinished_share(both_open, UNALIGNED) is None and normalised_score(both_open, ALIGNED).max_error is None


def test_a_label_below_the_top_k_is_bounded_by_the_smallest_listed_probability():
    # 不对齐 chosen and complete (不对 then 齐); 对齐 unlisted at the first position, where the top-k's smallest
    # probability is 0.001: 对齐 can hold at most len("对齐" bytes) * 0.001 of the mass, so the score 0 is off by
    # at most that share, and by no more than the unlisted mass (1 - listed).
    first = read_steps({"content": [{
        "token": "不对", "logprob": math.log(0.95),
        "top_logprobs": [{"token": "不对", "logprob": math.log(0.95)}, {"token": "x", "logprob": math.log(0.001)}],
    }]})[0]
    second = step("齐", **{"齐": 1.0})
    walks = {label: walk(label.encode(), [first, second]) for label in LABELS}
    assert walks[ALIGNED].below_top_k and walks[UNALIGNED].complete
    result = normalised_score(walks, ALIGNED)
    bound = min(6 * 0.001, 1 - 0.951)
    assert result.score == 0.0 and not result.exact
    assert result.max_error == pytest.approx(bound / (bound + 0.95))
    # With no top-k list sent there is nothing to bound it by.
    bare = Step("不对".encode(), {"不对".encode(): math.log(0.95)})
    unbounded = {label: walk(label.encode(), [bare, second]) for label in LABELS}
    assert normalised_score(unbounded, ALIGNED).max_error is None
