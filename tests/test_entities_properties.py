"""Property tests of extraction at the text boundary: any text, full-width forms, spans."""

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ea_plugin.rules import extract_entities
from ea_plugin.rules.decision import apply_rules
from ea_plugin.rules.normalize import nfkc
from ea_plugin.rules.text import Text

# Text built from the pieces that entity forms are made of, so the generator reaches the interesting paths.
PIECES = [
    "SV660N", "sv 660-n", "MG 400", "ASDA-A2", "台达", "欧姆龙", "G5", "A6", "AKD", "MINAS A6", "E100", "e100.1",
    "Er.101", "AL3E1", "A.C90", "F501", "n501", "0x2310", "2310h", "H02-00", "Pn100", "报警", "显示", "出现", "故障",
    "21.1", "6019", "：", ":", "过流", "10次", "50%", "24V", "DI1", "RS485", "sensor 1", "Error 2", "\n", " ", "-",
    ".", "系列", "伺服", "关节", "第", "步",
    # spec v3 forms: mnemonics, table rows, spaced family codes, signed codes, long parameters and cues
    "oC", "OH1", "ocA", "ov", "Code 7 (oH1)", "（", "）", "  ", "\t", "|", "AL 16", "Err 16", "返回", "-4",
    "error code", "fault", "P2.1523.0.1", "PNU 2010", "参数", "OK", "LED",
    # spec v3 products: series words and parts in any case, short names before product words, software names
    "ACOPOS P3", "acopos p3", "SINAMICSG120", "OSP P300", "preciseflex 400", "ACOPOSinverterP76", "FR 5", "XR 5",
    "机械臂", " robot", "TwinCAT 3", "ROS 2", "软件", "firmware ", "Unidrive M700",
]
texts = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=14).map("".join),
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


@SETTINGS
@given(texts)
def test_extraction_never_raises_and_spans_are_in_the_text_and_never_overlap(text):
    entities = extract_entities(text)
    normalised = nfkc(text)
    spans = sorted(e.span for e in entities.in_order())
    for (start, end), entity in zip(spans, sorted(entities.in_order(), key=lambda e: e.span), strict=True):
        assert 0 <= start < end <= len(normalised) and normalised[start:end] == entity.text and entity.why
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    apply_rules(entities, entities)  # and the decision takes whatever extraction returns


@SETTINGS
@given(texts)
def test_fullwidth_text_reads_as_its_halfwidth_form(text):
    ascii_only = "".join(c for c in text if c.isascii())
    wide, narrow = extract_entities(to_fullwidth(ascii_only)), extract_entities(ascii_only)
    assert [(type(e), e.normal, e.span) for e in wide.in_order()] == [
        (type(e), e.normal, e.span) for e in narrow.in_order()
    ]
    assert unicodedata.normalize("NFKC", to_fullwidth(ascii_only)) == ascii_only


@SETTINGS
@given(texts | st.text(alphabet=st.sampled_from("，：（）！？　ＡＢ１２ａ。、ｶﾞ①㎏ﬁ abc12"), max_size=40))
def test_fast_nfkc_is_unicode_nfkc(text):
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


@SETTINGS
@given(texts, st.lists(st.tuples(st.integers(0, 90), st.integers(0, 12)), max_size=8))
def test_free_tokens_are_the_tokens_no_taken_span_touches(text, takes):
    read = Text(text)
    taken = set()
    for start, length in takes:
        read.take(start, min(start + length, len(read.written)))
        taken.update(range(start, min(start + length, len(read.written))))
        assert read.free_tokens() == [(s, e) for s, e in read.tokens if not taken.intersection(range(s, e))]
