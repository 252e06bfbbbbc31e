"""Extract the alarm tables behind the realtext probe set from local copies of their public repositories.

Run once by hand; what it writes, tests/data/realtext/sources/*.csv and provenance.json, is committed, and
scripts/build_realtext.py builds the pairs from those files alone. The tables are other vendors' than the dev
set's (tests/data/devset/sources) and every row is kept as the source writes it: descriptions with digits,
terminals, units and product names stay (the dev set skips such rows; this probe set is about them).

    python scripts/realtext_extract_sources.py --mirrors /path/to/mirrors   # <owner>+<name>/repo per repository
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from devtools.devsets import sources
from devtools.devsets.devset_sources import FIELDS, _row
from devtools.devsets.sources import Row, one_file

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "realtext" / "sources"


def _cases(text: str, hex_codes: bool) -> list[tuple[str, str]]:
    """``case N: return "text";`` arms of a C++ switch; a run of case labels shares the next arm's text."""
    pending: list[str] = []
    found = []
    number = r"0x[0-9A-Fa-f]+" if hex_codes else r"\d+"
    code_only = re.sub(r"//[^\n]*", "", text)  # a commented-out return is not the arm's text
    for code, text_ in re.findall(rf'case ({number}):\s*(?:return "((?:[^"\\]|\\.)*)";)?', code_only):
        pending.append(code)
        if text_:
            found.extend((c, text_.replace('\\"', '"')) for c in pending)
            pending = []
    return found


def parse_atv340(text: str) -> list[Row]:
    """ATV340 last-fault codes (LFT, decimal) from ``getErrorCodeString``; 0 is "no error"."""
    return [_row(code, desc) for code, desc in _cases(text, False) if code != "0"]


def parse_hex_switch(text: str) -> list[Row]:
    """CiA 402 / vendor error codes (603Fh) of a drive's ``getErrorCodeString``, written 0x2310."""
    rows = []
    for code, desc in _cases(text, True):
        value = int(code, 16)
        if value:
            rows.append(_row(f"0x{value:04X}", desc, hex_code=f"0x{value:04X}"))
    return rows


def parse_siguren(text: str) -> list[Row]:
    """MotoSuiveur tables: ``**E01**;Title;Description;Possible cases`` (F rows are F + 2 digits: left out)."""
    rows = []
    for line in text.splitlines()[1:]:
        cells = [c.strip() for c in line.split(";")]
        m = re.fullmatch(r"\*\*(E\d{2})\*\*", cells[0]) if cells else None
        if m is None:
            continue
        desc = ". ".join(c.rstrip(". ") for c in cells[1:] if c)  # title, meaning, possible causes
        rows.append(_row(m.group(1), desc, level="fault"))
    return rows


STACATO = ("Guistac/Stacato", "ecdb1705309ff2a93f3ed1d028e4f8e94c1d86b2",
           "no licence file in the repository (README only)")
SIGUREN = ("Peterpiotr/siguren-documentation", "088734197df5a4f30b599cca5e3d2c34af03a568",
           "no licence file in the repository")
SOURCES = [
    one_file("schneider_atv340", STACATO[0], STACATO[1], "src/Fieldbus/Devices/SchneiderElectric/ATV340.h",
           "Schneider", "Altivar ATV340 (variable speed drive), last-fault codes LFT, decimal", STACATO[2],
           "realtext", parse_atv340),
    one_file("abb_microflex_e190", STACATO[0], STACATO[1], "src/Fieldbus/Devices/ABB/MicroFlexE190.h", "ABB",
           "MicroFlex e190 servo drive, 603Fh error codes (0x2310, 0xFF0B)", STACATO[2], "realtext",
           parse_hex_switch),
    one_file("beckhoff_ax5000", STACATO[0], STACATO[1], "src/Fieldbus/Devices/Beckhoff/AX5000.cpp", "Beckhoff",
           "AX5000 servo drive, diagnosis codes (0xF100, 0xFD43)", STACATO[2], "realtext", parse_hex_switch),
    one_file("kinco_fd", STACATO[0], STACATO[1], "src/Fieldbus/Devices/Kinco/KincoFD.cpp", "Kinco",
           "FD servo drive, 603Fh error codes (0x7380, 0xFF11)", STACATO[2], "realtext", parse_hex_switch),
    one_file("siguren_ms_internal", SIGUREN[0], SIGUREN[1], "docs/source/_tables/ms-controller-internal-errors.csv",
           "Siguren", "MotoSuiveur (MS) controller internal errors, E01-E17", SIGUREN[2], "realtext", parse_siguren),
]


def main(argv: Sequence[str] | None = None) -> None:
    sources.main(SOURCES, FIELDS, OUT, __doc__, argv)


if __name__ == "__main__":
    main()
