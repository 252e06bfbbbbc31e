"""Words written with Latin letters beyond ASCII (German, French, Vietnamese manuals) are whole words: their ASCII
pieces are no tokens (``überprüfen`` is not ``berpr`` and ``fen``), and a unit goes on through such a letter only
as a word (``5 Wärme`` is no 5 W). Found by a blind probe on a German heat-pump manual: ``Paddelschalter
überprüfen: Er muss...`` read the mnemonic ``fen``, and ``Z550iQ Wärmepumpe`` lost its model to the unit W."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ea_plugin.rules import extract_entities


def _read(text: str) -> tuple[list[str], list[str]]:
    entities = extract_entities(text)
    return [p.text for p in entities.products], [f.text for f in entities.faults]


@pytest.mark.parametrize(("text", "products", "faults"), [
    ("Paddelschalter überprüfen: Er muss E05 zeigen", [], ["E05"]),  # no mnemonic "fen"
    ("Störung E05: Größe 100 überschritten", [], ["E05"]),
    ("Z550iQ Wärmepumpe — Störungen\nE05  Durchfluss\nE06  Paddelschalter", ["Z550iQ"], ["E05", "E06"]),
    ("Défaut: vérifiez le câble, puis Er 16 réarmez", [], ["Er 16"]),
    ("Lỗi E101: quá dòng", [], ["E101"]),
])
def test_a_word_with_letters_beyond_ascii_is_one_word(text, products, faults):
    assert _read(text) == (products, faults)


@pytest.mark.parametrize(("text", "products", "faults"), [
    ("报警E101怎么处理", [], ["E101"]),  # Chinese glued to a code is no letter of a word
    ("Z550iQ heat pump — faults", ["Z550iQ"], []),
    ("ocA：Überstrom beim Beschleunigen", [], ["ocA"]),  # a code beside such words still reads
    ("H100 — Störungen", ["H100"], []),
])
def test_codes_and_models_beside_such_words_still_read(text, products, faults):
    assert _read(text) == (products, faults)


def test_a_unit_still_ends_a_number_before_a_space_or_a_chinese_character():
    assert _read("显示E05时功率为 5 W") == ([], ["E05"])
    assert _read("Z550iQ Wärme")[0] == ["Z550iQ"] and _read("Z550 W")[0] == []  # 5 W: a quantity, no model


_BEYOND = "äöüßéèêàçñøåăệđ"
_word = st.lists(st.sampled_from("abcdefghiklmnoprstuvwxyz" + "01234" + _BEYOND), min_size=2, max_size=12).map(
    "".join).filter(lambda w: any(c in _BEYOND for c in w))
_context = st.sampled_from(["{w}: Beschreibung", "报警{w}", "{w}报警", "Fehler {w}", "E05  {w}\n{w}  Text",
                            "| {w} | Überstrom |\n| E05 | Text |", "Code 7 ({w})", "X100 {w}"])


@settings(max_examples=int(os.environ.get("EA_FUZZ_EXAMPLES", "60")), deadline=None)
@given(word=_word, context=_context)
def test_no_entity_is_read_from_inside_a_word_with_letters_beyond_ascii(word, context):
    text = context.format(w=word)
    inside = set()
    at = text.find(word)
    while at != -1:
        inside.update(range(at, at + len(word)))
        at = text.find(word, at + 1)
    for entity in extract_entities(text).in_order():
        assert not set(range(*entity.span)) & inside, (text, entity)
