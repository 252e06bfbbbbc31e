"""parse_answer: the label is read only after the last </think>, and 不对齐 is never read as 对齐."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ea_plugin import ALIGNED, UNALIGNED, Judgement, parse_answer
from ea_plugin.judgement import is_blank

ANALYSIS = (
    "1. 提取question中的实体：产品信息-sv660n\n2. 提取chunk中的实体：产品信息-md500\n"
    "3. 判断实体是否对齐：不对齐\n4. 给出判断理由：产品不同"
)

# (model text, separate reasoning field, expected label)
CASES = [
    # the trained format
    (f"<think>\n{ANALYSIS}\n</think>\n\n不对齐", None, UNALIGNED),
    (f"<think>\n{ANALYSIS}\n</think>\n\n对齐", None, ALIGNED),
    ("<think>\n\n</think>\n\n对齐", None, ALIGNED),
    ("<think>\n\n</think>\n\n不对齐", None, UNALIGNED),
    # server stripped the opening <think>
    (f"{ANALYSIS}\n</think>\n\n不对齐", None, UNALIGNED),
    ("\n</think>\n\n对齐", None, ALIGNED),
    # reasoning delivered in a separate field (vLLM reasoning parser): content is only the label
    ("对齐", ANALYSIS, ALIGNED),
    ("\n\n不对齐", ANALYSIS, UNALIGNED),
    # plain labels, fast mode without think block
    ("对齐", None, ALIGNED),
    ("不对齐", None, UNALIGNED),
    # <label> tags (the teacher's format)
    ("<think>x</think>\n\n<label>不对齐</label>", None, UNALIGNED),
    ("<label>对齐</label>", None, ALIGNED),
    ("<think>x</think><label> 不对齐 </label>", None, UNALIGNED),
    # whitespace and punctuation
    ("<think>x</think>\n\n  对齐。\n", None, ALIGNED),
    ("<think>x</think>\n\n**不对齐**", None, UNALIGNED),
    ("<think>x</think>\n\n「对齐」", None, ALIGNED),
    ("<think>x</think>\n\n不 对 齐", None, UNALIGNED),
    ("<think>x</think>\n\n答案：不对齐", None, UNALIGNED),
    ("<think>x</think>\n\n结论: 对齐!", None, ALIGNED),
    # substring trap: 不对齐 contains 对齐
    ("<think>x</think>\n\n不对齐。", None, UNALIGNED),
    ("<think>我认为对齐</think>\n\n不对齐", None, UNALIGNED),
    # the label inside the reasoning never counts, only after the LAST </think>
    ("<think>3. 判断实体是否对齐：对齐</think>\n\n不对齐", None, UNALIGNED),
    ("<think>a</think>对齐</think>\n\n不对齐", None, UNALIGNED),
    ("<think><label>对齐</label></think>\n\n<label>不对齐</label>", None, UNALIGNED),
    # the first line is the label, an explanation follows
    ("<think>x</think>\n\n不对齐\n因为产品不同", None, UNALIGNED),
    # nothing usable
    (f"<think>\n{ANALYSIS}", None, None),  # truncated inside the reasoning
    (f"{ANALYSIS}", None, None),  # truncated, opening tag stripped: step 3 must not be read as the answer
    ("<think>x</think>\n\n", None, None),  # nothing after the reasoning
    ("", None, None),
    (None, None, None),
    ("<think>x</think>\n\n可能对齐也可能不对齐", None, None),  # both labels: refuse to guess
    ("<think>x</think>\n\naligned", None, None),
    ("<think>x</think>\n\n对", None, None),
    ("<think>x</think>\n\n未对齐", None, None),
    ("<think>x</think>\n\n不对齐不对齐", None, None),
]


@pytest.mark.parametrize(("text", "reasoning", "expected"), CASES)
def test_parse_answer_reads_only_the_final_label(text, reasoning, expected):
    parsed = parse_answer(text, reasoning=reasoning)
    assert parsed.label == expected
    assert (parsed.error is None) == (expected is not None)


def test_parse_answer_keeps_the_reasoning_from_tags_or_separate_field():
    assert parse_answer(f"<think>\n{ANALYSIS}\n</think>\n\n不对齐").reasoning == ANALYSIS
    assert parse_answer("对齐", reasoning=ANALYSIS).reasoning == ANALYSIS
    assert parse_answer(f"{ANALYSIS}\n</think>\n\n不对齐").reasoning == ANALYSIS


def test_truncated_answer_says_so():
    parsed = parse_answer("<think>\n1. 提取question")
    assert parsed.label is None and "truncated" in parsed.error


def test_a_judgement_says_what_the_backend_said_and_nothing_about_keeping():
    assert Judgement(ALIGNED).ok and Judgement(UNALIGNED).ok
    failed = Judgement.failed("timeout")
    assert failed.label is None and failed.error == "timeout" and not failed.ok
    assert failed.to_dict()["error"] == "timeout" and "aligned" not in failed.to_dict()
    assert not Judgement(ALIGNED, error="late").ok


@pytest.mark.parametrize("text", ["", "  \n\t", "\u200b", "\ufeff", "\u200b\u200d\ufeff \u2060", "\u00ad\u3000"])
def test_text_of_only_whitespace_and_invisible_characters_is_blank(text):
    assert is_blank(text)


@pytest.mark.parametrize("text", ["e100", "\u200be100", "。", "对齐\ufeff", "e\u0301", "\u2800e", "\u3164가", "\u20dd"])
def test_text_with_anything_visible_is_not_blank(text):
    assert not is_blank(text)


# Issue 24 "Partial": fillers and marks that show nothing were judged (and kept as aligned) as if they were text.
INVISIBLE = {
    "hangul filler": "\u3164", "hangul choseong filler": "\u115f", "hangul jungseong filler": "\u1160",
    "halfwidth hangul filler": "\uffa0", "braille blank": "\u2800", "combining grapheme joiner": "\u034f",
    "variation selector 16": "\ufe0f", "variation selector 1": "\ufe00", "mongolian free variation selector": "\u180b",
    "tag letter": "\U000e0041", "combining acute alone": "\u0301", "khmer inherent vowel": "\u17b4",
    "mixed": "\u3164 \u2800\u034f\ufe0f\u200b\u3000",
}


@pytest.mark.parametrize("text", list(INVISIBLE.values()), ids=list(INVISIBLE))
def test_fillers_and_lone_marks_are_blank_and_the_judge_refuses_them(text):
    from ea_plugin import InvalidPairError, load_judge

    assert is_blank(text)
    with pytest.raises(InvalidPairError, match="chunk"):
        load_judge("rules").judge("sv660n报e100", text)


@given(st.text(st.characters(categories=["Cf", "Cc", "Mn", "Zs", "Zl", "Zp"])))
def test_any_text_of_invisible_categories_is_blank(text):
    assert is_blank(text)


@given(st.text(st.characters(categories=["Cf", "Mn", "Zs"])), st.characters(categories=["L", "N", "P", "Sm", "Sc"]),
       st.text(st.characters(categories=["Cf", "Mn", "Zs"])))
def test_one_letter_digit_or_mark_of_punctuation_among_them_is_not_blank(before, visible, after):
    assume(visible not in "\u115f\u1160\u3164\uffa0")
    assert not is_blank(before + visible + after)
