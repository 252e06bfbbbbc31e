"""Products of spec v3: catalog aliases (Aho-Corasick), model-shaped tokens, a series word and its model part
(spaced, hyphenated or glued, any case), and short or letter-only models that a context makes sure of (a
brand/series word before, a product word after); software names and versions, which are never products.

A model whose series word is written in lower or title case and known to no catalog (``preciseflex 400``,
``Unidrive M700``) is read *weak*: it stands in the decision only where the other side names a product with the
same series word (then that word is plainly a series word); elsewhere it decides nothing, as an unsure reading
must not (spec v3, rule 4)."""

from __future__ import annotations

import re
from functools import lru_cache

from ea_plugin.rules.catalog import AliasHit, Catalog
from ea_plugin.rules.normalize import PRODUCT_WORDS, lower_same_length, main_model_of, nfkc, product_normal
from ea_plugin.rules.records import Product
from ea_plugin.rules.text import CACHED_TOKEN, Text, TooLong
from ea_plugin.rules.words import (
    CUES_AFTER,
    CUES_BEFORE_ZH,
    CUES_BEFORE_ZH_HANT,
    ENGLISH_SHORT,
    NEVER_PRODUCT,
    PRODUCT_WORDS_EN,
    PRODUCT_WORDS_ZH,
    PROSE_BEFORE_NUMBER,
    QUANTITY,
    RUNNING_TEXT,
    SOFTWARE,
    SOFTWARE_CUES,
    STANDARD_NUMBERS,
    UNIT_AFTER,
)

# Letters (a series word: up to 24, ACOPOSinverterP76), then (a separator and) digits, or a separator and a
# model part of letters and a digit (ASDA-A2, MR-J4, OSP P300, Unidrive M700); then option segments of an order
# code (-10A, -0421-L). A space may stand only between the series word and its part.
# The digit and letter-digit runs are possessive (*+, never given back): \d+[a-z0-9]* would try every split
# of a long run that then fails (quadratic: a 16k-character token took seconds), and a run cut short is
# followed by a letter or digit where only a separator or the end may stand, so the matches are the same.
_MODEL = re.compile(
    r"(?P<letters>[a-z]{1,24})(?:(?P<sep>[ \-_])?(?P<digits>\d++)[a-z0-9]*+"
    r"|(?P<part_sep>[ \-_])(?P<part>[a-z]{1,3}\d[a-z0-9]*+))"
    r"(?:[\-_][a-z0-9]++)*+"
)
_PART = re.compile(r"[a-z]{1,3}\d[a-z0-9]*+")  # a model part after a series word and a space: P3, M700, S120
# A short model right after a brand or series word: 欧姆龙G5, MINAS A6, Omron 1S.
_SHORT = re.compile(r"[a-z]{1,3}\d{1,4}[a-z]{0,3}|\d[a-z]{1,2}")
_TERMINAL = re.compile(r"[a-z]+\d")  # DI1, SW1, CN1: letters and one digit name a terminal or part
# Words of running text: never a series word nor a name of letters before a product word (the 驱动器)
_PROSE = PROSE_BEFORE_NUMBER | RUNNING_TEXT | ENGLISH_SHORT
# Capitalised English words glued to one digit name a numbered thing of the text (Sync0, Arch3, SyncManager2)
_CAPITALISED_WORDS = re.compile(r"(?:[A-Z][a-z]+)+")
# Inflected English words (Troubleshooting, powered, during, Braking, WARNING): words of running text in lower,
# title or upper case, never series words (camel case is a name: PowerFlex)
_INFLECTED = re.compile(r"[a-z]{2,}(?:ing|ed|tion|sion|ment|ness|ly)s?")
_INFLECTION_LAST = frozenset("gdnsy")  # the last letters of _INFLECTED (a cheap gate)
_SHORT_PART = re.compile(r"[a-z]\d{1,2}")  # N5, A6: a short name, sure on its own before a product word
_PRODUCT_WORD_NEXT = re.compile(
    r" ?(?:" + "|".join(PRODUCT_WORDS + PRODUCT_WORDS_ZH) + ")| (?:" + "|".join(PRODUCT_WORDS_EN) + ")(?![a-z])"
)
# A version after a software name: TwinCAT 3, ROS 2, CODESYS V3.5, Windows 10
_VERSION = re.compile(r"[ \-]?(?:v|ver\.?\s?)?\d+(?:\.\d+)*[a-z]?(?![a-z0-9])")
_CODE_CUE_AFTER = re.compile(r"\s*[号號]?(?:" + "|".join(CUES_AFTER) + r")(?![码碼号號]?[\s:：]*-?\d)")
_LAST_PART = re.compile(r"[ \-_](\d+)$")
# An English cue is a word (not the "ver" of "never"); the look-behind follows its first letter so that each
# alternative opens with a literal, which `re` skips to (as codes' cues do).
_SOFTWARE_CUE_WORDS = "|".join(c if not c.isascii() else rf"{c[0]}(?<![a-z].){c[1:]}" for c in SOFTWARE_CUES)
_SOFTWARE_CUE = re.compile(rf"(?:{_SOFTWARE_CUE_WORDS})[\s:=]*$")
_SOFTWARE_CUE_LAST = frozenset(c[-1] for c in SOFTWARE_CUES)
# A cue and the blanks, colons or equals signs before a name's first letter (looked at, not taken: a cue may follow)
_SOFTWARE_CUE_ANY = re.compile(rf"(?:{_SOFTWARE_CUE_WORDS})[\s:=]*(?=[a-z])")
# What any cue holds, for plain looks (str.find) before that pattern's scan: the first characters of the Chinese
# cues, and the English cues that hold no other ("version" holds "ver")
_CUE_CHARACTERS = tuple(sorted({c[0] for c in SOFTWARE_CUES if not c.isascii()}))
_CUE_WORDS_EN = tuple(c for c in SOFTWARE_CUES if c.isascii() and not any(o != c and o in c for o in SOFTWARE_CUES))
_ALIAS_WHY = {"brand": "catalog brand alias", "series": "catalog series alias"}
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")  # a token starts with an ASCII letter or digit
_PRODUCT_WORD_FIRST = frozenset(" " + "".join(w[0] for w in PRODUCT_WORDS + PRODUCT_WORDS_ZH)) - {""}
# After a space, a product word can open only with one of these (most tokens are followed by a space and a word
# that is none: one look instead of the pattern).
_WORD_AFTER_SPACE = frozenset(w[0] for w in PRODUCT_WORDS + PRODUCT_WORDS_ZH + PRODUCT_WORDS_EN)
WEAK, STRONG = 1, 2  # how sure a model reading is (0: not a model)
# 系列 (series) after letters and digits names a series, even where the letters open terminals or interfaces (DI1,
# AI1): nobody calls a terminal a series (AI-02系列 is Chen Hsong's controller). Not one digit (AI1系列 may still be
# the terminal's) nor a quantity (AC220V系列: the 220 V class).
_SERIES_WORD, SERIES_WORD = PRODUCT_WORDS[0], "series_word"
_SERIES_NAME = re.compile(r"[\-_]?\d{2,}(?:[\-_]?[a-z0-9]+)*")


# A span that may name a product, as a plain tuple (made by the thousand; a tuple is the cheapest record):
# (start, -(end - start), rank, end, how, alias hit or None, why). Candidates sort as tuples: by start, the
# longer first, then the lower rank (0 catalog alias, 1 after a brand, 2 model shape, 3 before a product word).
Candidate = tuple[int, int, int, int, str, "AliasHit | None", str]


def plausible_model(written: str, m: re.Match[str]) -> bool:
    """Whether a model-shaped token of no catalog reads as a model for sure (see ``model_confidence``)."""
    return model_confidence(written, m) == STRONG


def model_confidence(written: str, m: re.Match[str]) -> int:
    """How surely a model-shaped token of no catalog reads as a model rather than text, a terminal, a unit:
    STRONG, WEAK (a series word in lower or title case: ``preciseflex 400``, ``Unidrive M700``) or 0.

    A model's letters are not a word of running text ("Axis 3", "input1"); written in capitals or camel
    case (MG 400, xArm 6, OSP P300) it may stand apart from its part; a series word in lower or title case is
    weak; letters of three or fewer and one digit name a terminal or part (DI1, SW1, CN1), and one or two
    letters with one or two digits (FR10, KR16) are a short name that needs a context; standards are never
    models (CiA402, DS402).
    """
    letters = m.group("letters")
    if len(letters) == 1 or letters in NEVER_PRODUCT or letters in RUNNING_TEXT or letters in PROSE_BEFORE_NUMBER:
        return 0  # one letter needs the catalog or a context (G5, V90)
    written_letters = written[: len(letters)]
    is_marked = marked(written_letters)
    part = m.group("part")
    if part is not None:  # a series word and a lettered part: ASDA-A2, OSP P300, Unidrive M700
        if m.group("part_sep") == " " or len(letters) > 8:
            return STRONG if is_marked else WEAK if len(letters) >= 3 else 0
        return STRONG
    digits = m.group("digits")
    sep = m.group("sep")
    if STANDARD_NUMBERS.get(letters) == len(digits) and m.group(0) == letters + (sep or "") + digits:
        return 0  # DS402, DS-301: a CANopen profile (a standard), not a model
    short = len(letters) <= 2 and len(digits) <= 2 and m.end("digits") == m.end()
    if sep == " ":  # "for 12", "ID 1": a spaced model is written in capitals (MG 400) or camel case
        if is_marked and not (len(digits) < 2 and written_letters.isupper()) and not short:
            return STRONG
        if short and written_letters.isupper():
            return WEAK  # "XR 5", "KR 16": a spaced short name, sure only in a context; its digit is no code
        return WEAK if not is_marked and len(letters) >= 3 and len(digits) >= 2 else 0  # not "wait 5"
    if sep and not is_marked and len(letters) >= 4:
        return WEAK  # "preciseflex-400"; "Valve-3", "motor-2" decide nothing either way
    if len(letters) <= 3 and _TERMINAL.fullmatch(m.group(0)):
        return 0  # DI1, CN1, CR5: a terminal or part, or a short name that needs a context
    if short:
        return 0  # FR10, KR16: a short name, a model only in a context (spec v3)
    if not sep and m.end("digits") == m.end() and (
            (len(digits) == 1 and _CAPITALISED_WORDS.fullmatch(written_letters))
            or (not is_marked and (len(letters) > 3 and letters in ENGLISH_SHORT or _INFLECTED.fullmatch(letters)))):
        # Sync0, Arch3, SyncManager2, base0, braking1: words of the text with a number (decide only beside the
        # same word)
        return WEAK
    return STRONG if len(letters) <= 8 or is_marked else WEAK


def marked(written: str) -> bool:
    """Whether letters are written in capitals, camel case or mixed (MG, xArm, ACOPOSinverter), not as a word of
    prose (lower or title case)."""
    letters = written.rstrip("0123456789")
    return not (letters.islower() or (letters[:1].isupper() and letters[1:].islower()) or not letters)


def candidates(text: Text, catalog: Catalog, tokens: list[tuple[int, int, str]],
               hits: list[AliasHit]) -> list[Candidate]:
    """Every span that may name a product, in the order they are tried; ``tokens``: those not taken yet (span, token);
    ``hits``: the catalog's aliases in the text (``catalog.find_aliases``). A candidate of kind SOFTWARE names
    software (its span is taken, no product read)."""
    found: list[Candidate] = []
    covered = _alias_candidates(hits, text, found, catalog.listed_mnemonics) if hits else _NOTHING_COVERED
    _token_candidates(tokens, text, covered, found, catalog.software_keys)
    found.sort()
    return found


_NOTHING_COVERED: dict[int, str] = {}
SOFTWARE_KIND = "software"
_PRODUCT_WORD_WHY = "model before a product word"


def _alias_candidates(hits: list[AliasHit], text: Text, found: list[Candidate],
                      listed: frozenset[str] = frozenset()) -> dict[int, str]:
    """Catalog aliases (a context alias needs a brand or series word before or a product word after), and a
    short model right after a brand or series word, unless a catalog lists it as a mnemonic code (``listed``:
    ``ACOPOSinverter P86 SCF4报警`` names the code SCF4). Returns the starts of tokens that an alias spans
    exactly, with the alias' kind: an alias is always read where it is free, so the token's own candidates
    would never be, and a brand is no series word (Omron G5 is the brand and the model G5)."""
    lowered, token_at = text.lowered, text.token_at
    ends = {h.end for h in hits if not h.context}
    covered: dict[int, str] = {}
    for hit in hits:
        start, end, kind, _, context = hit
        if context and not (_after(ends, lowered, start) or _PRODUCT_WORD_NEXT.match(lowered, end)):
            continue
        found.append((start, start - end, 0, end, "alias", hit, _ALIAS_WHY[kind]))
        if token_at.get(start) == end:
            covered[start] = kind
        if not context:
            after = end + (lowered[end : end + 1] == " ")
            after_end = token_at.get(after)
            if (after_end is not None and _SHORT.fullmatch(lowered, after, after_end)
                    and not (listed and lowered[after:after_end] in listed)):
                why = f"short model after {kind} {lowered[start:end]!r}"
                found.append((after, after - after_end, 1, after_end, "after_brand", None, why))
    return covered


def _token_candidates(tokens: list[tuple[int, int, str]], text: Text, covered: dict[int, str],
                      found: list[Candidate], software: frozenset[str]) -> None:
    """Software names, model-shaped tokens, tokens before a product word, and a series word a space apart from
    its part (MG 400, OSP P300). The tokens are read from the last, so that the kind of the next one (most often
    the token read just before) is known without another slice of the text."""
    lowered, token_at = text.lowered, text.token_at
    names, heads, kinds = _software_names(software)
    after_cue = _after_cues(lowered)
    cue = bool(after_cue)  # the text names a software cue
    later_start, later_end, later_kind = -1, 0, 0  # the token read before this one: the next in the text
    for start, end, key in reversed(tokens):
        kind = kinds.get(key) or _token_kind(key, heads, kinds)
        after = lowered[end : end + 1]
        if after != " ":
            next_end, next_kind = None, 0
        elif end + 1 == later_start:
            next_end, next_kind = later_end, later_kind
        else:
            next_end = token_at.get(end + 1)
            next_kind = _kind_at(lowered, end + 1, next_end, heads, kinds) if next_end is not None else 0
        later_start, later_end, later_kind = start, end, kind
        if (kind & _PLAIN_WORD and not next_kind & _MAKES_MODEL
                and (next_end is not None or after not in _PRODUCT_WORD_FIRST)
                and not (cue and start in after_cue) and not (kind & _SOFTWARE_HEAD and next_end is not None)):
            continue  # a word of prose that nothing after makes a model or a name (most tokens)
        if not kind & _OPENS or (start and lowered[start - 1] == "/" and _signal(lowered, start)):
            continue
        # a software name is a listed name ("-"/"_" dropped: CX-Programmer), or one that the next token completes
        # (a token with "_" that heads no name only where the text names a cue), or any name right after a cue
        if ((cue and start in after_cue)
                or ((kind & _SOFTWARE_NAME or (kind & _SOFTWARE_HEAD and next_end is not None
                                               and lowered[end + 1 : next_end] in heads[_joined(key)]))
                    and (cue or not kind & _NEEDS_CUE))) and (
                software_end := _software_end(lowered, start, end, next_end, names, cue)):
            # after a catalog alias of the same span (a catalog's series wins), before any other model reading
            found.append((start, start - software_end, 1, software_end, SOFTWARE_KIND, None, "software name"))
            continue
        if start not in covered:
            # a product word after a space and a token opens that token (its kind tells); else it is glued or CJK
            if ((next_kind & _PRODUCT_WORD if next_end is not None else
                 after in _PRODUCT_WORD_FIRST and (after != " " or lowered[end + 1 : end + 2] in _WORD_AFTER_SPACE))
                    and (word := _PRODUCT_WORD_NEXT.match(lowered, end))
                    and _before_product_word(text, start, end, word)):
                if word.group(0).lstrip() == _SERIES_WORD:
                    found.append((start, start - end, 3, end, SERIES_WORD, None, "model before 系列 (a series name)"))
                else:
                    found.append((start, start - end, 3, end, "product_word", None, _PRODUCT_WORD_WHY))
            if not kind & _LETTERS_ONLY:
                found.append((start, start - end, 2, end, "model", None, ""))
                continue
        elif not kind & _LETTERS_ONLY or covered[start] == "brand":
            continue
        # "MG 400", "xArm 6", "OSP P300", "Unidrive M700": a series word and its part, a space apart (most next
        # tokens are words that can be no part: known by the token alone)
        if next_kind & _MAY_BE_PART and next_end is not None and _spaced_part(text, start, end, next_end, covered,
                                                                              kind, next_kind):
            word = _PRODUCT_WORD_NEXT.match(lowered, next_end)
            # "FR 5机械臂", "XR 5 robot": a spaced short name before a product word is a model (its digit too)
            how = "product_word" if word and (word.group(0)[-1] not in _LETTERS
                                              or marked(text.written[start:end])) else "model"
            found.append((start, start - next_end, 2, next_end, how, None, _PRODUCT_WORD_WHY if how != "model" else ""))


def _before_product_word(text: Text, start: int, end: int, word: re.Match[str]) -> bool:
    """Whether the token at ``start`` is a model by the product word after it (``AKD drive``, ``CR10 robot``,
    ``AKD驱动器``); not a word of running text (``the 驱动器``, ``I2T-Model Amplifier``, ``SAFETY CONTROLLER``)."""
    key = text.lowered[start:end]
    english = word.group(0)[-1] in _LETTERS
    if not key.isalpha():
        # a hyphenated word of the text (I2T-Model, Over-Temp): a segment of 3+ letters is a word of prose
        return not (("-" in key or "_" in key) and any(len(s) > 2 and s in _PROSE for s in re.split(r"[-_]", key)))
    written = text.written[start:end]
    if not marked(written):
        # "akd驱动器" as users type it; not "the 驱动器", "Troubleshooting 驱动器"
        return not english and key not in _PROSE and not _INFLECTED.fullmatch(key)
    # "AKD drive"; in a line of capitals (SAFETY CONTROLLER ERROR) an English product word is running text
    return not (english and text.written[word.end() - 1].isupper())


def _spaced_part(text: Text, start: int, end: int, next_end: int, covered: dict[int, str], kind: int,
                 next_kind: int) -> bool:
    """Whether the token at ``start`` and the next one (a space apart) are a series word and its model part:
    ``MG 400``, ``xArm 6``, ``OSP P300``, ``Unidrive M700``. A word of running text in lower or title case
    takes only a part of one letter (``unidrive m700``: ``new SV660N`` is the model SV660N), and none that is
    sure on its own (``Troubleshooting N5驱动器``: N5 before a product word; ``Troubleshooting A6系列``: the
    catalog's A6); a number with a unit (``during 50Hz``, ``powered 24VDC``) and an interface or terminal
    (``TIO RS485``) are no model's part. ``kind``, ``next_kind``: the two tokens' kinds (``_token_kind``)."""
    lowered = text.lowered
    part = end + 1
    if end - start < 2:
        return False  # one letter is no series word ("Rev B N5驱动器": the model is N5)
    if kind & _INFLECTED_WORD and (not marked(written := text.written[start:end]) or written.isupper()):
        return False  # "during 50", "Troubleshooting N5", "Braking I2T": running text before a number
    if next_kind & _DIGITS:
        return True  # MG 400, xArm 6: digits alone carry no unit
    if lowered[part].isdigit():
        if QUANTITY.fullmatch(lowered, part, next_end) is None:
            return True  # MG 400, xArm 6, SV 660N
        # a one-letter unit after a series word in capitals may be a variant letter (MG 400W); not after prose
        return lowered[next_end - 2].isdigit() and marked(text.written[start:end])
    if not _PART.fullmatch(lowered, part, next_end) or _leading_letters(lowered, part) in NEVER_PRODUCT:
        return False
    if marked(text.written[start:end]):
        return True
    return (part not in covered and lowered[part + 1].isdigit()
            and not (_SHORT_PART.fullmatch(lowered, part, next_end) and _PRODUCT_WORD_NEXT.match(lowered, next_end)))


# What a token's string alone tells the token pass (most tokens of a page are words that recur: one look each).
# The kinds are bit flags; cached per software list (``_software_names``), bounded (cleared when full).
_OPENS = 1  # starts with a letter: may open a model or a software name
_LETTERS_ONLY = 2
_SOFTWARE_NAME = 4  # a software name ("-"/"_" dropped)
_SOFTWARE_HEAD = 8  # a head of a software name ("-"/"_" dropped): ``heads`` has the rests that complete it
_NEEDS_CUE = 16  # with "_" and no "-", and no head as written: a software name only where the text names a cue
_MAY_BE_PART = 32  # as the token after a series word and a space: a number, or letters and a digit (P3, M700)
_DIGITS = 64  # digits alone: no quantity (a unit is no digit)
_PRODUCT_WORD = 128  # as the token after a space: opens an English product word (drive, robot)
_INFLECTED_WORD = 256  # an inflected English word (_INFLECTED): running text, no series word
_PLAIN_WORD = 512  # letters, no software name: a candidate only by what follows it (or a cue before it)
_MAKES_MODEL = _MAY_BE_PART | _PRODUCT_WORD  # as the next token: may make the one before a model


def _token_kind(token: str, heads: dict[str, frozenset[str]], kinds: dict[str, int]) -> int:
    """The flags of ``token``, cached in ``kinds``. _PRODUCT_WORD: ``_PRODUCT_WORD_NEXT`` after a space matches
    in the token alone as in the text, since a token ends before any letter. The software flags tell where
    ``_software_end`` can find a name (its name or head with "-" and "_" dropped), and when the token pass would
    try it (a head with "_" as written only with a cue)."""
    rests = heads.get(_joined(token))
    kind = (_OPENS if token[0] in _LETTERS else 0) | (_LETTERS_ONLY if token.isalpha() else 0)
    if rests is not None:
        kind |= _SOFTWARE_HEAD | (_SOFTWARE_NAME if "" in rests else 0)
    if kind & (_OPENS | _LETTERS_ONLY | _SOFTWARE_NAME) == _OPENS | _LETTERS_ONLY:
        kind |= _PLAIN_WORD
    if "_" in token and "-" not in token and token not in heads:
        kind |= _NEEDS_CUE
    if token.isdigit():
        kind |= _DIGITS | _MAY_BE_PART
    elif token[0].isdigit() or (_PART.fullmatch(token) is not None and _leading_letters(token) not in NEVER_PRODUCT):
        kind |= _MAY_BE_PART
    if _PRODUCT_WORD_NEXT.match(" " + token) is not None:
        kind |= _PRODUCT_WORD
    if token[-1] in _INFLECTION_LAST and _INFLECTED.fullmatch(token):
        kind |= _INFLECTED_WORD
    if len(token) <= CACHED_TOKEN:
        if len(kinds) >= 16384:
            kinds.clear()
        kinds[token] = kind
    return kind


def _kind_at(lowered: str, start: int, end: int, heads: dict[str, frozenset[str]], kinds: dict[str, int]) -> int:
    """The kind of the token at ``start`` (never 0: a token opens with a letter or a digit)."""
    token = lowered[start:end]
    return kinds.get(token) or _token_kind(token, heads, kinds)


def _joined(token: str) -> str:
    """A token as software names are listed: "-" and "_" dropped (CX-Programmer: cxprogrammer)."""
    return token.replace("-", "").replace("_", "") if "-" in token or "_" in token else token


def _signal(lowered: str, start: int) -> bool:
    """Whether a token right after ``/`` names a signal (/HWBB1, /S-ON: an input active low), not a model;
    ``A2/B2`` are two names."""
    return start < 2 or not lowered[start - 2].isalnum()


def _software_end(lowered: str, start: int, end: int, next_end: int | None, names: frozenset[str], cue: bool) -> int:
    """The end of a software name (and its version) that starts with the token at ``start``, or 0: a name of
    the built-in list or the catalog's ``software`` (one token, or two a space apart: GX Works3, TIA Portal), or
    any name right after 软件/software/firmware/固件/版本/package (spec v3: never products)."""
    key = _joined(lowered[start:end])  # CX-Programmer
    if key in names:
        name_end = end
    elif next_end is not None and key + lowered[end + 1 : next_end] in names:
        name_end = next_end
    elif cue and start and _after_software_cue(lowered, start):
        name_end = end
    else:
        return 0
    version = _VERSION.match(lowered, name_end)
    return version.end() if version else name_end


_NO_STARTS: frozenset[int] = frozenset()


def _after_cues(lowered: str) -> set[int] | frozenset[int]:
    """Where a name may start right after a software cue (软件TwinCAT, firmware: V2), past the blanks, colons or
    equals signs after it; empty where the text names no cue (most texts). A superset of the starts
    ``_after_software_cue`` accepts (which decides): the scan takes no cue that one of them follows (a match
    ends before the letter it looks at), nor any inside another (only "ver" of "version", and no word starts
    right after it)."""
    if not _may_name_cue(lowered):
        return _NO_STARTS
    return {m.end() for m in _SOFTWARE_CUE_ANY.finditer(lowered)}


def _may_name_cue(lowered: str) -> bool:
    """Whether the text may name a software cue (a superset; ``_SOFTWARE_CUE_ANY`` decides): plain looks, ~5x
    cheaper than the pattern's scan of every character."""
    for character in _CUE_CHARACTERS:
        if character in lowered:
            return True
    for word in _CUE_WORDS_EN:
        at = lowered.find(word)
        while at != -1:
            if not at or lowered[at - 1] not in _LETTERS:  # a word, not the "ver" of "overheat"
                return True
            at = lowered.find(word, at + 1)
    return False


@lru_cache(maxsize=64)
def _software_names(catalog_names: frozenset[str]) -> tuple[frozenset[str], dict[str, frozenset[str]], dict[str, int]]:
    """The built-in and a catalog's software names (lower-case, no spaces or hyphens), every name's heads (its
    prefixes: a token that is none of them starts no software name of one or two tokens), each with the rests
    that complete it to a name ("" where the head is a name), and the kinds of tokens (``_token_kind``) by
    these heads, filled as tokens come."""
    names = SOFTWARE | catalog_names
    rests: dict[str, set[str]] = {}
    for name in names:
        for i in range(1, len(name) + 1):
            rests.setdefault(name[:i], set()).add(name[i:])
    return names, {head: frozenset(ends) for head, ends in rests.items()}, {}


def _after_software_cue(lowered: str, start: int) -> bool:
    before = start - 1
    while before > 0 and lowered[before] in " :=":
        before -= 1
    return (lowered[before] in _SOFTWARE_CUE_LAST
            and _SOFTWARE_CUE.search(lowered, max(0, start - 12), start) is not None)


def _after(ends: set[int], text: str, start: int) -> bool:
    """Whether a brand or series word ends right before ``start`` (a space between is allowed)."""
    return start in ends or (start > 0 and text[start - 1] == " " and start - 1 in ends)


def read_candidate(c: Candidate, text: Text, catalog: Catalog) -> Product | None:
    """The product a candidate names, or None where it is not one (text, terminal, unit, interface)."""
    start, _, _, end, how, hit, why = c
    shown = text.written[start:end]
    if hit is None:
        series_id = None
    elif hit.kind == "brand":
        return Product(shown, (start, end), why, hit.id, hit.id, hit.id, None, True)
    else:
        series_id = hit.id
    try:
        reading = _reading(shown, how, why, series_id, catalog)
    except TooLong:  # a long token is read afresh
        reading = _read_model(shown, how, why, series_id, catalog)
    if reading is None:
        # a title's model is the text's first token (only blanks and heading marks before it)
        if how == "model" and start == text.tokens[0][0] and _heads_text(text.lowered, start, end):
            token = text.lowered[start:end]
            return Product(shown, (start, end), "one letter and digits heading the text (a title's model)",
                           product_normal(token), main_model_of(token), None, None, False, False)
        return None
    if reading[-1]:  # weak
        if _PRODUCT_WORD_NEXT.match(text.lowered, end):  # "unidrive m700变频器": sure after all
            return Product(shown, (start, end), f"{reading[0]}, before a product word", *reading[1:-1])
        if _LAST_PART.search(text.lowered, start, end) and (_CODE_CUE_AFTER.match(text.lowered, end)
                                                             or UNIT_AFTER.match(text.lowered, end)):
            return None  # "control 2499号报警", "rated 400 W": a code's number or a quantity (but "400报警12")
    return Product(shown, (start, end), *reading)


Reading = tuple[str, str, str, str | None, str | None, bool, bool]  # why, normal, main, brand, series, brand?, weak

# One letter and three to five digits (H100, T300): a model where it heads the text ("H100 fault code 1",
# "【h100】Fault codes", "H100 — Fault codes"); elsewhere it may be a register, a part or a code (D100, X100, E100),
# so not the code families' letters (A, E, F, N) at all.
_TITLE_MODEL = re.compile(r"[b-dg-mo-z]\d{3,5}[a-z]{0,2}")
_TITLE_OPENING = re.compile(r"[ \t\n#*【\[]*")  # what may stand before a title's model: blanks, heading marks, 【
# ... and closing it: a blank (not before a colon), a line end, a closing bracket, or a Chinese code cue glued to it
# ("H100报警E20", "Z550iQ出现故障": what a question opens with; not a noun: "D100寄存器" is a register)
_TITLE_CLOSING = re.compile(r"$|[】\]\n]| (?![:：])|" + "|".join(CUES_BEFORE_ZH + CUES_BEFORE_ZH_HANT))


def _heads_text(lowered: str, start: int, end: int) -> bool:
    """Whether a one-letter model-shaped token opens the text (after blanks, heading marks or 【) and a blank, a
    line end or a closing bracket follows it (not a colon: "C100：..." may be a table's code)."""
    if _TITLE_MODEL.fullmatch(lowered, start, end) is None or QUANTITY.fullmatch(lowered, start + 1, end):
        return False
    opening = _TITLE_OPENING.match(lowered)  # always matches (a starred class); it stops at the text's first word
    return (opening is not None and opening.end() == start and _TITLE_CLOSING.match(lowered, end) is not None
            and UNIT_AFTER.match(lowered, end) is None)


@lru_cache(maxsize=16384)
def _reading(shown: str, how: str, why: str, series_id: str | None, catalog: Catalog) -> Reading | None:
    """``_read_model``, cached (the same models recur); TooLong past CACHED_TOKEN characters."""
    if len(shown) > CACHED_TOKEN:
        raise TooLong
    return _read_model(shown, how, why, series_id, catalog)


def _read_model(shown: str, how: str, why: str, series_id: str | None, catalog: Catalog) -> Reading | None:
    """(why, normal, main, brand, series, False, weak) of a model candidate, or None."""
    token = shown.lower()
    normal, main = product_normal(token), main_model_of(token)
    series = catalog.series[series_id] if series_id is not None else catalog.lookup_model(normal, main, how != "model")
    if series is not None and series_id is None and _alias_inside_word(token, normal, series.id, catalog):
        series = None  # ACOPOSinverterP76 is not ACOPOS: the alias ends inside the series word
    if series is not None:
        why = f"{why} → {series.id}" if series_id is not None else f"model pattern, catalog → {series.id}"
        return why, normal, main, series.brand, series.id, False, False
    if how == "model":
        m = _MODEL.fullmatch(token)
        if m is None:
            return None
        word = m.group("letters")
        brand = _series_words(catalog).get(word)
        if brand is not None:  # a series word of the catalog, any case: acopos x20
            return f"series word {word!r} of the catalog + model part", normal, main, brand or None, None, False, False
        sure = model_confidence(shown, m)
        if not sure:
            return None
        why = "model pattern (letters + digits)" if m.group("part_sep") != " " and m.group("sep") != " " else \
            "series word + model part"
        if sure == WEAK:
            why = f"{why}, weak (no catalog or context makes it sure)"
        return why, normal, main, None, None, False, sure == WEAK
    letters = _leading_letters(token)
    if letters in RUNNING_TEXT or len(token) < 2:
        return None
    if letters in NEVER_PRODUCT and not (how == SERIES_WORD and _SERIES_NAME.fullmatch(token, len(letters))
                                         and not QUANTITY.fullmatch(token[len(letters) :].lstrip("-_"))):
        return None  # DI1, RS485驱动器: a terminal or an interface; but AI-02系列 names a series (spec v3)
    return why, normal, main, None, None, False, False


def _alias_inside_word(token: str, normal: str, series_id: str, catalog: Catalog) -> bool:
    """Whether the catalog matched ``normal`` only by an alias that ends inside the token's leading run of
    letters (``acopos`` in ``acoposinverterp76``): that run is another, longer series word."""
    letters = _leading_letters(token)
    keys = _alias_keys_of(series_id, catalog)
    if normal in keys or main_model_of(token) in keys:
        return False
    longest = max((len(k) for k in keys if normal.startswith(k)), default=len(normal))
    return longest < len(letters)


_LEADING_LETTERS = re.compile(r"[a-z]*")


def _leading_letters(text: str, pos: int = 0) -> str:
    """The run of ASCII letters at ``pos`` (maybe empty)."""
    m = _LEADING_LETTERS.match(text, pos)
    return m.group(0) if m else ""


@lru_cache(maxsize=1024)
def _alias_keys_of(series_id: str, catalog: Catalog) -> frozenset[str]:
    series = catalog.series[series_id]
    return frozenset(product_normal(lower_same_length(nfkc(a))) for a in series.aliases + series.context_aliases)


@lru_cache(maxsize=64)
def _series_words(catalog: Catalog) -> dict[str, str | None]:
    """Series words of the catalog (the letters that open a series alias, 4+ letters: acopos, sinamics, minas)
    -> their brand ("" where series of several brands share the word): a model part after one of them, in
    any case, is a model of that brand."""
    words: dict[str, str | None] = {}
    for series in catalog.series.values():
        for alias in series.aliases:
            head = _ALIAS_HEAD.match(lower_same_length(nfkc(alias)))
            if head is None:
                continue
            word = str(head.group(1))
            words[word] = series.brand if words.get(word, series.brand) == series.brand else ""
    return words


_ALIAS_HEAD = re.compile(r"([a-z]{4,24})(?:[ \-_]|$)")
