"""Extract the real alarm tables behind the dev set from local copies of their public repositories.

Run once by hand (it needs git copies of the repositories listed in SOURCES at the recorded commits);
what it writes, tests/data/devset/sources/*.csv and provenance.json, is committed, and
scripts/build_devset.py builds the pairs from those files alone. Only the code and description
columns are kept; each source's licence is recorded in provenance.json.

    python scripts/devset_extract_sources.py --mirrors /path/to/mirrors   # <owner>+<name>/repo per repository
    python scripts/devset_extract_sources.py --mirrors DIR --only yaskawa_sgdxs   # some tables; the rest are kept

Where a repository's git history cannot be had, a plain copy of the file at the recorded commit (for example from a
public code index) serves: <owner>+<name>/files/<path> under the mirrors folder.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from pathlib import Path

from devtools.devsets import sources
from devtools.devsets.sources import Row, one_file

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "devset" / "sources"
FIELDS = ["code", "level", "description", "description_zh", "hex"]


def _row(code: str, description: str, description_zh: str = "", hex_code: str = "", level: str = "fault") -> Row:
    return {"code": code, "level": level, "description": description.strip(),
            "description_zh": description_zh.strip(), "hex": hex_code}


def parse_asda(text: str) -> list[Row]:
    rows = re.findall(r'\{"(AL\d{3})",\s*"([^"]+)",\s*0x([0-9A-Fa-f]{4}),', text)
    return [_row(code, desc, hex_code=f"0x{hx.upper()}") for code, desc, hx in rows
            if desc != "Reserved" and hx != "0000"]


def parse_akd(text: str) -> list[Row]:
    rows = re.findall(r'numeric_code = 0x([0-9A-Fa-f]{4}), \.type=AKD_(\w+),\s*\.text_code="([Fn]\d{3})", '
                      r'\.description="AKD: ([^"]+)"', text)
    return [_row(code, desc.removeprefix("Warning: "), hex_code=f"0x{hx.upper()}",
                 level="warning" if kind == "WARNING" else "fault") for hx, kind, code, desc in rows]


def parse_omron_g5(text: str) -> list[Row]:
    # {0x38, 1, "..."}: the panel shows the main number's hex digits, then the sub-code (38.1)
    rows = re.findall(r'\{0x([0-9A-Fa-f]{2}), (\d+), "([^"]+)"\}', text)
    return [_row(f"{main}.{sub}", desc) for main, sub, desc in rows if main.isdigit()]


def _json_alarms(text: str) -> list[Row]:
    return [_row(str(r["id"]), r["en"]["description"], r["zh_CN"]["description"])
            for r in json.loads(text) if r["id"] != 0]


def _python_map(text: str, name: str) -> dict:
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return ast.literal_eval(node.value)
    raise KeyError(name)


def parse_xarm(text: str) -> list[Row]:
    table = _python_map(text, "ControllerErrorCodeMap")
    return [_row(str(code), v["en"]["title"], v["cn"]["title"]) for code, v in table.items() if code != 0]


def parse_jaka(text: str) -> list[Row]:
    rows = re.findall(r"^## (0x[0-9A-Fa-f]{6}) (.+?)\s*\n\s*类型: (\S+)", text, flags=re.M)
    return [_row(code.upper().replace("0X", "0x"), "", title, level="warning" if kind == "报警" else "fault")
            for code, title, kind in rows]


def parse_cia402(text: str) -> list[Row]:
    return [_row(f"0x{hx.upper()}", desc) for hx, desc in re.findall(r'X\(0x([0-9A-Fa-f]{4}), "([^"]+)"\)', text)]


def parse_minas(text: str) -> list[Row]:
    table = text[text.index("error_map[]"):]
    return [_row(code, desc) for code, desc in re.findall(r'\{(\d+), "([^"]+)"\}', table) if code != "99"]


def parse_sinamics(text: str) -> list[Row]:
    # the script's "fault number" list; 7910 and 7012 are alarms (A07910, A07012) in the S120 list manual
    table = text[text.index("sinamics_fault_number"):text.index("opModes")]
    return [_row(code, desc) for code, desc in re.findall(r"(\d{4,5}): '([^']+)'", table)
            if code not in ("7910", "7012") and "alarm" not in desc]


def parse_nanotec_n5(text: str) -> list[Row]:
    return [_row(code, desc) for code, desc in re.findall(r'^\s*\{(\d+),\s*"([^"]+)"\}', text, flags=re.M)]


def parse_azd(text: str) -> list[Row]:
    rows = re.findall(r'\{0x([0-9A-Fa-f]{1,2}),\s*"AZD: ([^"]+)"\}', text)
    return [_row(f"0x{hx.upper():0>2}", desc) for hx, desc in rows
            if hx not in ("0", "FF") and not desc.startswith("No ")]


def parse_el7211(text: str) -> list[Row]:
    rows = re.findall(r'\{0x([48][0-9A-Fa-f]{3}), "([^"]+)", 0\}', text)
    return [_row(f"0x{hx.upper()}", desc, level="warning" if hx.startswith("4") else "fault") for hx, desc in rows]


def _md_rows(text: str, cells: int) -> list[list[str]]:
    """The cells of every Markdown table row with exactly this many cells."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and line.endswith("|"):
            row = [cell.strip() for cell in line[1:-1].split("|")]
            if len(row) == cells:
                rows.append(row)
    return rows


def parse_yaskawa_sgdxs(text: str) -> list[Row]:
    # alarms (p.702-707: panel code, list code, name, meaning, stop group, reset, ...) then warnings (p.741-742);
    # FL-x and CPFxx are not A-family codes, and the Sigma-LINK II rows name a product line in their text
    alarms = [_row(r[0], r[2], r[3]) for r in _md_rows(text, 8) if re.fullmatch(r"A\.[0-9A-Za-z]{3}", r[0])]
    warnings = [_row(r[0], r[1], r[2], level="warning") for r in _md_rows(text, 3)
                if re.fullmatch(r"A\.9[0-9A-Za-z]{2}", r[0])]
    return [r for r in alarms + warnings if "SigmaLINK" not in r["description"]]


def parse_panasonic_a6bn(text: str) -> list[Row]:
    # Err main.sub with the spec sheet's name; ranges (36.0-1, 51.0-51.5) and "Other" are left out. 603Fh is
    # FFxxh with xx the main number in hex (A6BN p.297), except Err81.7 (A000h), which gets no value here
    rows = []
    for cells in _md_rows(text, 11) + _md_rows(text, 5):
        match = re.fullmatch(r"(\d{2})\.(\d)", cells[0])
        if match:
            hex_code = "" if cells[0] == "81.7" else f"0xFF{int(match[1]):02X}"
            rows.append(_row(cells[0], re.sub(r"\s*\*\d\)", "", cells[1]), hex_code=hex_code))
    return rows


def parse_mitsubishi_sscnet(text: str) -> list[Row]:
    # group 20 = the servo amplifier's own alarms and warnings (AL.xx, hex) as the SSCNET III/H board reports them;
    # groups 10/30/40 are the positioning board's codes, shown in other forms
    return [_row(f"AL.{r[1]}", r[3], level="warning" if len(r[1]) == 2 and r[1][0] in "9EF" else "fault")
            for r in _md_rows(text, 4) if r[0] == "20" and re.fullmatch(r"[0-9A-F]+", r[1])]


def parse_aubo_hal(text: str) -> list[Row]:
    # rows with a literal five-digit code (codeCompose(...) rows have none); a joint row's text is
    # "joint" _PH1_ " error: ..." (the joint number filled in at run time), an interface-board row "English! 中文"
    rows = []
    for code, first, rest in re.findall(r'_D\(\w+,\s*(\d{5}),\s*"([^"]*)"(?:\s*_PH1_\s*"([^"]*)")?', text):
        if rest:
            rows.append(_row(code, f"{first} {rest.strip()}"))
        else:
            english, _, chinese = first.partition("! ")
            rows.append(_row(code, english.rstrip("!"), chinese))
    return rows


GBEM = ("glowbuzzer/gbem", "b7dc2075f4d544199aedfa041b80eae5ad16ce0f",
        "GPL-2.0 with the SOEM linking exception (repository LICENSE); files marked Copyright Glowbuzzer")
HT9050 = "ec34e1eb717eab75f7f998564f2e73b0e2373968"
SOURCES = [
    one_file("delta_asda_a2", GBEM[0], GBEM[1], "libs/delta/src/asda_a2.c", "Delta", "ASDA-A2", GBEM[2], "devset",
           parse_asda),
    one_file("kollmorgen_akd", GBEM[0], GBEM[1], "libs/kollmorgen/src/akd_error_code.c", "Kollmorgen", "AKD",
           GBEM[2], "devset", parse_akd),
    one_file("omron_g5", GBEM[0], GBEM[1], "libs/omron/src/g5.c", "Omron", "G5 (R88D-KN)", GBEM[2], "devset",
           parse_omron_g5),
    one_file("dobot_mg400", "Dobot-Arm/TCP-IP-4Axis-Python", "ed97c5a007e710437a56d3810abc9e33ac2e612a",
           "files/alarm_controller.json", "Dobot", "MG400 (controller alarms)", "MIT", "devset", _json_alarms),
    one_file("ufactory_xarm", "xArm-Developer/xArm-Python-SDK", "d911319cebc45142613e18086aabb8067b18ab7f",
           "xarm/core/config/x_code.py", "UFACTORY", "xArm (controller errors)", "BSD-3-Clause", "devset", parse_xarm),
    one_file("jaka", "JakaCobot/JakaCobot.github.io", "1bd37cb62d6087180d1c70cc0ef21c8aabc63b3c",
           "docs/guide/errinfo.md", "JAKA", "JAKA cobots (event codes)", "not stated in the repository", "devset",
           parse_jaka),
    one_file("cia402", "marel-keytech/openCANopen", "9880c6665005f289df6db0a359b8cfeff8124be8",
           "inc/canopen/cia402-error-codes.h", "CiA 402 (no vendor)", "CiA 402 error codes (603Fh)",
           "ISC (COPYING)", "devset", parse_cia402),
    one_file("panasonic_minas_a5", "tork-a/minas", "4ff346d334078f2958222024accb07499c6d66d9",
           "minas_control/include/minas_control/minas_client.h", "Panasonic", "MINAS A5 (A5B, EtherCAT)",
           "GPLv2 and BSD (minas_control/package.xml)", "devset", parse_minas),
    one_file("siemens_s120", "brtiberio/Sinamics_Canopen", "5d98fba9fe03058ff675067a46868662657d10a1", "sinamics.py",
           "Siemens", "SINAMICS S120 (fault numbers)", "MIT", "holdout", parse_sinamics),
    one_file("nanotec_n5", GBEM[0], GBEM[1], "libs/nanotec/src/n5.c", "Nanotec", "N5", GBEM[2], "holdout",
           parse_nanotec_n5),
    one_file("oriental_azd", GBEM[0], GBEM[1], "libs/oriental_motor/src/azd-ked.c", "Oriental Motor", "AZD-KED",
           GBEM[2], "holdout", parse_azd),
    one_file("beckhoff_el7211", GBEM[0], GBEM[1], "libs/beckhoff/src/EL7211_error_code.c", "Beckhoff", "EL7211",
           GBEM[2], "holdout", parse_el7211),
    one_file("yaskawa_sgdxs", "HPI-Jimmy-Chiu/HT9050", HT9050,
           "knowledge/.claude/skills/hpi-motor-control/references/control/references/yaskawa-ethercat/"
           "alarms-and-recovery.md", "Yaskawa", "Sigma-X SGDXS (EtherCAT), A.xxx alarms and A.9xx warnings",
           "not stated in the repository", "devset", parse_yaskawa_sgdxs),
    one_file("panasonic_minas_a6", "HPI-Jimmy-Chiu/HT9050", HT9050,
           "knowledge/.claude/skills/hpi-motor-control/references/control/references/panasonic-ethercat-a6bn/"
           "errors-and-recovery.md", "Panasonic", "MINAS A6 (A6BN, EtherCAT), Err main.sub + 603Fh",
           "not stated in the repository", "devset", parse_panasonic_a6bn),
    one_file("mitsubishi_mrj4", "dhsys21/IND_NGSORTER", "4430e7d049944bacf1f51b3ed97b08e68a4746c9",
           "FMS_SERVO_ERROR_CODES.md", "Mitsubishi", "MELSERVO-J4 (SSCNET III/H) amplifier alarms, AL.xx hex",
           "not stated in the repository", "devset", parse_mitsubishi_sscnet),
    one_file("aubo_hal", "dingchenzy/aubo", "8796490a47119781d1d090b0f1994f0c23bcca9e",
           "include/aubo/error_stack/hal_error.h", "AUBO", "AUBO cobots (ARCS SDK hardware-layer errors), bare numbers",
           "not stated in the repository", "devset", parse_aubo_hal),
]


def main(argv: Sequence[str] | None = None) -> None:
    sources.main(SOURCES, FIELDS, OUT, __doc__, argv)


if __name__ == "__main__":
    main()
