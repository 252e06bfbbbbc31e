"""Cut the real tables behind the fresh measurement set (tests/data/devset_fresh) from git copies of their repositories.

The fresh set is built from vendors that no other set of ours uses, once, to measure the rules on tables nobody tuned
them on (issue 21's "done when"). Run once by hand, as devset_v3_sources.py is (it needs the repositories of SOURCES
at the recorded commits, as `git` directories under --mirrors, <owner>+<name>/repo); what it writes,
tests/data/devset_fresh/sources/*.csv and provenance.json, is committed, and devtools/devsets/fresh.py builds the
pairs from those files alone. Only codes, mnemonics and short names/descriptions are kept.

    python scripts/devset_fresh_extract_sources.py --mirrors /work/.mirror
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from devtools.devsets import sources
from devtools.devsets.devset_v3_sources import FIELDS, _row
from devtools.devsets.sources import Row, Source

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "devset_fresh" / "sources"
SPLIT = "fresh"  # one split, scored once at the end: there is no dev part to tune on


def parse_nexmotion(texts: list[str]) -> list[Row]:
    """`//! The system cannot find the specified file.` then `#define ERR_NEXMOTION_FILE_NOT_FOUND (-5)`."""
    rows = re.findall(r"//!\s*([^\r\n]+)\s*#define\s+ERR_NEXMOTION_(\w+)\s+\((-?\d+)\)", texts[0])
    return [_row(code, desc, mnemonic=name, level="return") for desc, name, code in rows if code != "0"]


def parse_dynamixel(texts: list[str]) -> list[Row]:
    """The SDK's communication results (`#define COMM_TX_FAIL (-1001)`, negative) and protocol 2.0 status-packet
    errors (`#define ERRNUM_CRC 3`), each with the text its get...Result() function prints for it."""
    header, source = texts
    texts_of = {name: text.rstrip("!").strip()
                for name, text in re.findall(r'case\s+(\w+):\s*return\s+"\[\w+\]\s*([^"]+)";', source)}
    codes = re.findall(r"#define\s+(COMM_\w+)\s+\((-\d+)\)", header)
    codes += re.findall(r"#define\s+(ERRNUM_\w+)\s+(\d+)", source)
    return [_row(code, texts_of[name], mnemonic=name, level="return") for name, code in codes if name in texts_of]


def parse_scietex(texts: list[str]) -> list[Row]:
    """`2: VFDError(code=2, message="Current overload during acceleration")` in the drive's fault dict (the
    communication-error dict after it reuses the numbers and is left out)."""
    faults = texts[0].split("_ERROR_CODES_COM")[0]
    rows = re.findall(r'(\d+):\s*VFDError\(code=\d+,\s*message="([^"]+)"\)', faults)
    return [_row(code, desc) for code, desc in rows if code != "0" and desc.lower() != "reserved"]


def parse_elliptec(texts: list[str]) -> list[Row]:
    """`"8": "Thermal Error",` in error_codes (status 0, OK, left out)."""
    rows = re.findall(r'"(\d+)"\s*:\s*"([^"]+)"', texts[0])
    return [_row(code, desc, level="error") for code, desc in rows if code != "0"]


def parse_rebel(texts: list[str]) -> list[Row]:
    """`ERR_CODE_OC = 6` and `RESPONSE_ERROR_CODES.ERR_CODE_OC : ("OC", "Überstrom")`: the joint controller's error
    numbers with their short names (mnemonics) and German texts."""
    numbers = dict(re.findall(r"ERR_CODE_(\w+)\s*=\s*(\d+)", texts[0]))
    rows = re.findall(r'ERR_CODE_(\w+)\s*:\s*\("(\w+)",\s*"([^"]+)"', texts[0])
    out = [_row(numbers[key], desc, mnemonic=mn) for key, mn, desc in rows if numbers[key] != "0"]
    return sorted(out, key=lambda r: int(r["code"]))


def parse_senkuo_faults(texts: list[str]) -> list[Row]:
    """`|2|  加速过电流|    ERR02  | causes | remedies |`: the fault table of the manual's chapter 7 (Chinese names)."""
    rows = re.findall(r"^\|\s*\d+\s*\|\s*([^|]+?)\s*\|\s*(ERR\d+)\s*\|", texts[0], re.M)
    return [_row(code, "", description_zh=name) for name, code in rows]


def parse_senkuo_params(texts: list[str]) -> list[Row]:
    """`|  P1-03|    电机额定电流  | range | default | ...`: function codes of groups P0..P9 (Chinese names); the groups
    named by a letter (`PA-26`, `PD` group) are left out: spec v3's parameters have a group number."""
    out: dict[str, Row] = {}
    for text in texts:
        for code, name in re.findall(r"^\|\s*(P\d-\d\d)\s*\|\s*([^|]+?)\s*\|", text, re.M):
            out.setdefault(code, _row(code, "", level="parameter", description_zh=name))
    return sorted(out.values(), key=lambda r: r["code"])


def parse_trinamic(texts: list[str]) -> list[Row]:
    """`MaxCurrent = 6` in the module's `class AP:` (axis parameters for SAP/GAP): number and name, the CamelCase
    name written as words (`Max current`); names in capitals only (`SECDS`) are left out."""
    body = texts[0][texts[0].index("class AP:"):]
    body = body[: body.index("class ", len("class AP:"))]  # the next class (ENUM, GP0: global parameters) is not
    rows = re.findall(r"^\s+([A-Z][A-Za-z0-9]*)\s*=\s*(\d+)\s*$", body, re.M)
    out = []
    for name, number in rows:
        if name.isupper():
            continue
        words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).split()
        out.append(_row(number, " ".join([words[0], *(w.lower() for w in words[1:])]), level="parameter"))
    return out


SKF8000 = "content/docs/User-Manual-for-SKF8000-Series-Inverter"
SKF8000_PARAMETER_PAGES = (  # the pages of chapter 5 that hold P0..P9 tables
    "Accessibility-Features", "Basic-parameters", "Keyboard-and-Display", "Malfunction-and-Protection",
    "Motor-parameters", "Output-Terminal-Parameters", "PID-Function-Parameters", "Start-Stop-Control-Parameters",
    "V-F-control-parameters", "input-terminal-parameters", "vector-parameter")
SOURCES = (
    Source("nexcobot_nexmotion", "RobinCPC/NexMotion_API", "30b88bc53e3ad8d6d7d1021f90070bf4136d0490",
           ("src/NexMotionError.h",), "NEXCOM",
           "NexCOBOT NexMotion motion library's API return codes, negative (-1..-112), English texts",
           "none stated (no licence file)", SPLIT, "signed", parse_nexmotion),
    Source("robotis_dynamixel", "ROBOTIS-GIT/DynamixelSDK", "2ded684dff05a40ac78d6a16105c6ddc1b3b9930",
           ("c++/include/dynamixel_sdk/packet_handler.h", "c++/src/dynamixel_sdk/protocol2_packet_handler.cpp"),
           "ROBOTIS", "DYNAMIXEL SDK communication results (-1000..-9000) and protocol 2.0 packet errors (1..7)",
           "Apache-2.0", SPLIT, "signed", parse_dynamixel),
    Source("intek_spe_b", "bond-anton/scietex.hal.vfd", "6384f40c640916db018940a33f5561f58ed49944",
           ("src/scietex/hal/vfd/intek/spe_b.py",), "Intek",
           "SPE-B variable frequency drive fault register: numbers 2..94 with English names", "MIT", SPLIT,
           "cnc_table", parse_scietex),
    Source("vesper_e5_8200", "bond-anton/scietex.hal.vfd", "6384f40c640916db018940a33f5561f58ed49944",
           ("src/scietex/hal/vfd/vesper/e5_8200.py",), "Vesper",
           "E5-8200 variable frequency drive fault register: numbers 1..46 with English names", "MIT", SPLIT,
           "cnc_table", parse_scietex),
    Source("thorlabs_elliptec", "roesel/elliptec", "5f86ca595f80397bca280347830339c832a7b0bc",
           ("src/elliptec/errcodes.py",), "Thorlabs",
           "Elliptec (ELL14, ELL18, ELL20...) device status/error codes 1..13", "GPL-3.0", SPLIT, "cnc_table",
           parse_elliptec),
    Source("igus_rebel", "RobinHeitz/rebel_transmission_assembly_system", "52e893b006f3ca4886c15d5a89160c4c20deabe3",
           ("hw_interface/definitions.py",), "igus",
           "ReBeL joint controller error codes with short names (MNE, LAG, ENC, OC, DRV) and German texts",
           "none stated (no licence file)", SPLIT, "mnemonic", parse_rebel),
    Source("senkuo_skf8000", "koltluo/store", "580f894c31b153c391946305456a152eed28dc67",
           (f"{SKF8000}/Fault-Diagnosis-and-Countermeasures/Fault-Alarm-and-Countermeasures.md",), "Senkuo (森阔)",
           "SKF8000 series inverter fault table: ERR01..ERR51 with Chinese names (a maker's manual site, in Chinese)",
           "none stated (no licence file)", SPLIT, "err_table", parse_senkuo_faults),
    Source("senkuo_skf8000_params", "koltluo/store", "580f894c31b153c391946305456a152eed28dc67",
           tuple(f"{SKF8000}/Functional-Parameter-Table/{name}.md" for name in SKF8000_PARAMETER_PAGES),
           "Senkuo (森阔)", "SKF8000 series inverter function codes P0-00..P9-xx with Chinese names",
           "none stated (no licence file)", SPLIT, "parameter", parse_senkuo_params),
    Source("trinamic_tmcm1140", "analogdevicesinc/PyTrinamic", "16bde95783a4a35edc593a21c9ee2918ecf324d0",
           ("pytrinamic/modules/TMCM1140.py",), "Trinamic (Analog Devices)",
           "TMCM-1140 stepper module axis parameters (numbers 0..218 with names), asked after a parameter cue", "MIT",
           SPLIT, "parameter", parse_trinamic),
)


def main(argv: Sequence[str] | None = None) -> None:
    sources.main(SOURCES, FIELDS, OUT, __doc__, argv)


if __name__ == "__main__":
    main()
