"""Cut the real tables behind the spec v3 dev sets from git copies of their public repositories.

Run once by hand (it needs the repositories listed in SOURCES at the recorded commits, as `git` directories under
--mirrors, <owner>+<name>/repo); what it writes, tests/data/devset_v3/sources/*.csv and provenance.json, is committed,
and scripts/build_devset_v3.py builds the pairs from those files alone. Only codes, mnemonics, parameter numbers and
short names/descriptions are kept; each source's licence is recorded in provenance.json.

    python scripts/devset_v3_extract_sources.py --mirrors /work/.mirror
    python scripts/devset_v3_extract_sources.py --mirrors DIR --only fairino_fr   # some tables; the rest are kept
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from devtools.devsets import sources
from devtools.devsets.sources import Row, Source

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "devset_v3" / "sources"
FIELDS = ["code", "mnemonic", "level", "description", "description_zh"]


def _row(code: str, description: str, mnemonic: str = "", level: str = "fault", description_zh: str = "") -> Row:
    return {"code": code, "mnemonic": mnemonic, "level": level, "description": " ".join(description.split()),
            "description_zh": description_zh.strip()}


def parse_acopos_lft(texts: list[str]) -> list[Row]:
    """`{ "OCF", 9 }, /* Overcurrent */` inside the en_Pxx_LFT[] table (last fault: panel code and number)."""
    body = re.search(r"en_P\d\d_LFT\[\] = \{(.*?)\{ 0, 0 \}", texts[0], re.S)
    if body is None:
        raise ValueError("no LFT table")
    rows = re.findall(r'\{\s*"(\w+)"\s*,\s*(\d+)\s*\},?\s*/\*\s*\[?([^*\]]+?)\]?\s*\*/', body.group(1))
    return [_row(number, desc, mnemonic=mn) for mn, number, desc in rows if number != "0"]


def parse_fairino(texts: list[str]) -> list[Row]:
    """`#define ERR_XMLRPC_CMD_FAILED  -4  //xmlrpc interface execution failed`: SDK return codes with their sign."""
    rows = re.findall(r"#define\s+(ERR_\w+)\s+(-?\d+)\s*//\s*(.+)", texts[0])
    return [_row(code, desc, mnemonic=name, level="return") for name, code, desc in rows if code != "0"]


def parse_okuma(texts: list[str]) -> list[Row]:
    """`new ExampleItem("1164  ALARM-A", "MCS ENCODER ERROR", ...)`: OSP alarm number, level and name."""
    rows = re.findall(r'new ExampleItem\("(\d{4})(?:\s+(ALARM-[A-Z]))?",\s*"([^"]+)"', texts[0])
    seen: set[str] = set()
    out = []
    for code, level, name in rows:
        if code not in seen:  # a few numbers are listed twice (level A and B pages); the first is kept
            seen.add(code)
            out.append(_row(code, name, level=level or "alarm"))
    return out


def parse_pf400_errors(texts: list[str]) -> list[Row]:
    """`"-1046":"*Power not enabled*"`: PreciseFlex GPL error codes (negative)."""
    rows = re.findall(r'"(-\d+)"\s*:\s*"\*([^*"]+)\*?([^"]*)"', texts[0])
    return [_row(code, (name + " " + rest.strip(" *")).strip(), level="error") for code, name, rest in rows]


def parse_pf400_params(texts: list[str]) -> list[Row]:
    """`DI: 2000, 0, 0, 0, "Number of axes" = 5`: PreciseFlex DataIDs (parameter numbers), from each .pac file."""
    out: dict[str, Row] = {}
    for text in texts:
        for number, name in re.findall(r'^D[IFS]: (\d+), \d+, \d+, \d+, "([^"]+)"', text, re.M):
            out.setdefault(number, _row(number, name, level="parameter"))
    return sorted(out.values(), key=lambda r: int(r["code"]))


def parse_chenhsong(texts: list[str]) -> list[Row]:
    """`|`AL003`|Barrel Temperature Not Reached|料管温度未达设定|...|`: Ai-series controller alarms, en and zh."""
    rows = re.findall(r"^\|`(AL\d{3})`\|([^|]*)\|([^|]*)\|", texts[0], re.M)
    return [_row(code, en, description_zh=zh, level="alarm") for code, en, zh in rows
            if en.strip() and "Not Used" not in en]


def parse_h100(texts: list[str]) -> list[Row]:
    """`case 4:  return "OV1: Overvoltage during accel";` in decodeFaultCode: fault number and panel code."""
    body = texts[0][texts[0].index("decodeFaultCode"):]
    body = body[: body.index("default:")]
    rows = re.findall(r'case (\d+):\s*return "([^":]+): ([^"]+)";', body)
    return [_row(number, desc, mnemonic=mn) for number, mn, desc in rows if number != "0"]


def parse_realman(texts: list[str]) -> list[Row]:
    """`- -1: 数据发送失败，...` in the C API's doc comments: each return code with its most frequent meaning."""
    meanings: dict[str, Counter[str]] = {}
    for code, text in re.findall(r"^\s*- (-?\d+): ([^。,，\n]+)", texts[0], re.M):
        meanings.setdefault(code, Counter())[text.strip()] += 1
    rows = [_row(code, "", level="return", description_zh=counts.most_common(1)[0][0])
            for code, counts in meanings.items() if code != "0"]
    return sorted(rows, key=lambda r: int(r["code"]))


def parse_grbl(texts: list[str]) -> list[Row]:
    """grbl's doc/csv tables: `"1","Hard limit","Hard limit has been triggered..."` (alarms, then errors)."""
    out = []
    for level, text in zip(("alarm", "error"), texts, strict=True):
        for rec in list(csv.reader(text.splitlines()))[1:]:
            out.append(_row(rec[0], rec[1], level=level))
    return out


def parse_jmc(texts: list[str]) -> list[Row]:
    """`"P02-00": {"name": "Position control gain 1", ...}` in the merged JSON (reserved ones left out)."""
    params = json.loads(texts[0])["parameters"]
    return [_row(code, p["name"], level="parameter") for code, p in params.items()
            if p["name"].strip().lower() not in ("keep", "read only", "")]


def parse_dsyrs(texts: list[str]) -> list[Row]:
    """`| P00.00 | Control mode selection | ... |` rows of the parameter chapter."""
    rows = re.findall(r"^\| (P\d\d\.\d\d) \| ([^|]+?) \|", texts[0], re.M)
    seen: set[str] = set()
    return [_row(code, name, level="parameter") for code, name in rows if not (code in seen or seen.add(code))]


def parse_unitree(texts: list[str]) -> list[Row]:
    """`UT_DECL_ERR(UT_ROBOT_ARM_ACTION_ERR_ARMSDK, 7400, "The topic rt/armsdk is occupied.")` in each header."""
    out: dict[str, Row] = {}
    for text in texts:
        for name, code, desc in re.findall(r'UT_DECL_ERR\((\w+),\s*(\d+),\s*"([^"]*)"', text):
            if code != "0":
                out.setdefault(code, _row(code, desc, mnemonic=name, level="return"))
    return sorted(out.values(), key=lambda r: int(r["code"]))


def parse_gsk(texts: list[str]) -> list[Row]:
    """`"P1827": {"num": "1827", "type": "word", "tip": ["各轴切削进给时的到位宽度(PWF) 设定…"]}`: a word parameter's
    number and the name its tip opens with (bit parameters, whose tips name eight bits, are left out); a bracketed
    abbreviation after the name (`(PWF)`) is dropped."""
    params = json.loads(texts[0])["param"]
    out = []
    for entry in params.values():
        tips = [t for t in entry.get("tip", []) if t.strip()]
        if entry.get("type") != "word" or len(tips) != 1:
            continue
        name = re.sub(r"[(（][A-Za-z0-9_ ]*[)）]", "", tips[0].split()[0]).strip(" ,，:：")
        if name:
            out.append(_row(entry["num"], "", level="parameter", description_zh=name))
    return sorted(out, key=lambda r: int(r["code"]))


SOURCES = (
    Source("br_acoposinverter_p86", "hilch/ac_invlib", "c7492e8b53076b62675ac7378cb907baaae98d70",
           ("develop/Logical/Libraries/ac_invlib/P86_enumerations.h",), "B&R",
           "ACOPOSinverter P86 last-fault list: panel mnemonics (OCF, SCF1, InF1) with their numbers",
           "LGPL-3.0 (README badge; the repository has no LICENSE file)", "devset", "mnemonic", parse_acopos_lft),
    Source("br_acoposinverter_p76", "hilch/ac_invlib", "c7492e8b53076b62675ac7378cb907baaae98d70",
           ("develop/Logical/Libraries/ac_invlib/P76_enumerations.h",), "B&R",
           "ACOPOSinverter P76 last-fault list (the P86's sibling series)",
           "LGPL-3.0 (README badge; the repository has no LICENSE file)", "devset", "mnemonic", parse_acopos_lft),
    Source("fairino_fr", "FAIR-INNOVATION/fairino-cpp-sdk", "9cf2d84fbc8c5b4f3677c7fd647a241f41229701",
           ("linux/libfairino/include/robot_error.h",), "FAIRINO",
           "FR cobots' C++ SDK return codes, negative (-1..-21) and positive (3..130)", "Apache-2.0", "devset",
           "signed", parse_fairino),
    Source("okuma_osp", "VladislavBorysenko/OkumaPocketManual_Full", "ce337d28ef86b306c55b2c6ed1b8c57800a3c19e",
           ("app/src/main/java/com/example/okumapocketmanual/AlarmList.java",), "Okuma",
           "OSP CNC control alarm list: 4-digit numbers, level (ALARM-A...), upper-case names",
           "none stated (no licence file)", "devset", "cnc_table", parse_okuma),
    Source("brooks_pf400_errors", "AD-SDL/pf400_module_ros", "dad325c4bf86efda3b81f98d33837ec5ce21fc0c",
           ("pf400_driver/pf400_driver/pf400_error_codes.py",), "Brooks",
           "PreciseFlex 400 (PF400) GPL controller error codes, negative (-1009, -2805)", "MIT", "devset", "signed",
           parse_pf400_errors),
    Source("brooks_pf400_params", "AD-SDL/pf400_module_ros", "dad325c4bf86efda3b81f98d33837ec5ce21fc0c",
           ("resources/config_files/Configuration_Backups/backup_config/controller.pac",
            "resources/config_files/Configuration_Backups/backup_config/robot01.pac"), "Brooks",
           "PreciseFlex 400 parameter database: DataID numbers (2000, 16050) and names", "MIT", "devset",
           "parameter", parse_pf400_params),
    Source("chenhsong_ai", "chenhsong/OpenProtocol", "3a6369927e08dbf69c69747b3d38a1cd0dc0c403",
           ("doc/alarms.md",), "Chen Hsong",
           "Ai-series injection moulding machine controller alarms AL001-AL099, English and Chinese names",
           "none stated (no licence file; README only)", "devset", "table_markdown", parse_chenhsong),
    Source("jmc_jand_params", "bhowiebkr/JMC_servo_tuning", "935fb119ab67121f8d8f2d79f6c5dc7be929cd29",
           ("examples/jmc_parameters_with_values.json",), "JMC",
           "JAND series AC servo driver parameters P00-00..P08-xx (group-index with a hyphen) and names",
           "MIT (README; no LICENSE file)", "devset", "parameter", parse_jmc),
    Source("unitree_g1", "unitreerobotics/unitree_sdk2", "21d0a3b2c46ee48c8fdf2783becb6be3beb0a59b",
           tuple(f"include/unitree/robot/{path}" for path in (
               "internal/internal_error.hpp", "g1/arm/g1_arm_action_error.hpp", "g1/loco/g1_loco_error.hpp",
               "g1/agv/g1_agv_error.hpp")), "Unitree",
           "G1 humanoid SDK error codes (internal 3001-3205, loco 7301, arm action 7400, AGV 9101)",
           "BSD-3-Clause", "devset", "sdk_code", parse_unitree),
    Source("changrong_h100", "DeadlySIn777/FluidNC-OCTOPUS-PRO-GRBLHAL", "9b4b746a365680b3366c2d893220eaa8c96c583c",
           ("esp32-vfd-controller/src/main.cpp",), "Changrong",
           "H100 spindle inverter fault register: numbers with panel mnemonics (OC1, OV2, UV)", "MIT", "holdout",
           "mnemonic", parse_h100),
    Source("realman_rm", "RealManRobot/RM_API2", "190a15872966d476c97def144049afe857b0a0fc",
           ("C/include/rm_interface.h",), "RealMan",
           "RM robot arms' C API return codes (-1 数据发送失败, -3 返回值解析失败), Chinese",
           "none stated (no licence file)", "holdout", "signed", parse_realman),
    Source("dsyrs_params", "FrenchPOC/dsyrs-rs", "0363a803df3863ee9a124e4e2555025e0d037cdd",
           ("DSY_RS_Chapter7_Parameters.md",), "DSY-RS (maker not named)",
           "DSY-RS low-voltage servo drive parameters P00.00..P18.xx (group.index with a dot) and names", "MIT",
           "holdout", "parameter", parse_dsyrs),
    Source("gsk_988td_params", "IsPre/gsk980", "09f84b356b85450286f876b0a7222b5ff3a09911",
           ("988TD/parameter/paramter.json",), "GSK",
           "GSK988TD CNC system word parameters (numbers 1001-12738) and their Chinese names", "GPL-3.0", "holdout",
           "parameter", parse_gsk),
    Source("grbl", "gnea/grbl", "bfb67f0c7963fe3ce4aaf8a97f9009ea5a8db36e",
           ("doc/csv/alarm_codes_en_US.csv", "doc/csv/error_codes_en_US.csv"), "Grbl",
           "Grbl 1.1 CNC firmware alarm (ALARM:1-10) and error (error:1-38) codes", "GPL-3.0 (COPYING)", "holdout",
           "cnc_table", parse_grbl),
)


def main(argv: Sequence[str] | None = None) -> None:
    sources.main(SOURCES, FIELDS, OUT, __doc__, argv)


if __name__ == "__main__":
    main()
