"""Build the fresh measurement set: spec v3 pairs on real tables of vendors that no other set of ours uses.

Issue 21 asks for the rules to be measured on tables nobody tuned them on. The dev sets (tests/data/devset,
devset_v3 and its held-out split, realtext, phrasing) have all been looked at while the rules were written; this set
is built from eight other vendors' tables (tests/data/devset_fresh/sources, cut by devtools/devsets/fresh_sources.py)
and scored once, by the lead, at the end. Nobody runs a judge on it before then, and nothing is tuned to it.

The pairs come from devset_v3's pair builders (one step of spec v3's decision order decides each kind; the row
records rule and why), fed with this set's product profiles, plus one kind for SDK pages that name no product but a
software. Each row also says which spec v3 form it checks (`form`, as devset_v3_report groups kinds) and, for the
forms spec v2 left silent (mnemonics, tables without colons, signed codes, brands no built-in list knows, software
names, short series names beside their long ones, parameter numbers after a cue), which one (`silent`; empty for the
other forms), so that the report can score those forms apart. No backend is run. Deterministic: regenerating gives
the committed files byte for byte.

    python scripts/build_devset_fresh.py              # tests/data/devset_fresh/{fresh,fresh_corpus}.jsonl
    python scripts/build_devset_fresh.py --out DIR    # elsewhere (the determinism test does this)
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace

from devtools.devsets import devset_v3 as v3
from devtools.devsets import out_folder
from devtools.devsets.devset_v3 import PROFILES, Pair, Profile, Row, Tables
from devtools.devsets.devset_v3_report import FRESH_DATA, form_of
from devtools.devsets.fresh_sources import SPLIT
from ea_plugin.prompts import ALIGNED, UNALIGNED

DATA = FRESH_DATA
SEED = 20261207_2
PER_KIND = 20  # pairs per (table, kind) at most, before class balancing
FRESH_PROFILES = {
    # the NexMotion library's return codes: SDK pages that name the library (software) and no product
    "nexcobot_nexmotion": Profile(
        "nexcobot_nexmotion", "signed", (), (), ("新汉", "NEXCOM"), "控制器",
        ("NexMotion_API_User_Manual.html", "NexCOBOT NexMotion 函数库 API 返回码"),
        ("API 返回码", "Return codes of the API"),
        ("错误也记录在软件 NexMotion Studio 的日志中。", "Errors are also logged by the software NexMotion Studio.",
         "轴组配置请用软件 NexMotion Studio 导入。"), ("NexMotion Studio",)),
    # a series word and its model part (`DYNAMIXEL XM430`, spaced, glued, any case); `XM430` alone is another name
    "robotis_dynamixel": Profile(
        "robotis_dynamixel", "signed",
        ("DYNAMIXEL XM430", "Dynamixel XM430", "dynamixel xm430", "DYNAMIXEL-XM430", "DYNAMIXELXM430"),
        ("DYNAMIXEL XL330", "Dynamixel XH540"), ("ROBOTIS",), "舵机",
        ("DYNAMIXEL_SDK_XM430_Manual.html", "ROBOTIS e-Manual DYNAMIXEL XM430 通信结果与错误"),
        ("通信结果与错误", "Communication results and errors"),
        ("状态包可用软件 DYNAMIXEL Wizard 2.0 查看。",
         "Check the status packet with the software DYNAMIXEL Wizard 2.0.", "SDK 也可在 ROS 2 中调用。"),
        ("DYNAMIXEL Wizard 2.0", "ROS 2"),
        alias=("XM430", "XM430系列", "xm430"),
        alias_heading=("DYNAMIXEL XM430 (XM430)", "DYNAMIXEL XM430（XM430）")),
    # a name of letters only (`SPE-B`): a model where a product word follows it
    "intek_spe_b": Profile(
        "intek_spe_b", "bare", ("SPE-B变频器", "SPE-B系列", "spe-b变频器", "SPE-B系列变频器"), (), ("Intek",), "变频器",
        ("Intek_SPE-B_VFD_Manual.pdf", "SPE-B 系列变频器 故障代码"), ("故障代码", "Fault codes"),
        ("故障寄存器可用软件 Modbus Poll 读取。", "Read the fault register with the software Modbus Poll."),
        ("Modbus Poll",)),
    # a model whose first part looks like an E code (`E5-8200`), always with a product word
    "vesper_e5_8200": Profile(
        "vesper_e5_8200", "bare", ("E5-8200变频器", "E5-8200系列", "e5-8200变频器"), (), ("Vesper",), "变频器",
        ("Vesper_E5-8200_Manual.pdf", "E5-8200 变频器 使用说明书 故障显示"), ("故障显示", "Fault display"),
        ("通过 RS485 用 Modbus RTU 读取故障寄存器。", "Read the fault register over Modbus RTU."), ("Modbus RTU",)),
    "thorlabs_elliptec": Profile(
        "thorlabs_elliptec", "bare", ("ELL14", "ell14", "ELL 14", "ELL14系列"), ("ELL18", "ELL20"),
        ("Thorlabs", "索雷博"), "位移台",
        ("Thorlabs_ELL14_Manual.pdf", "ELL14 旋转台 说明书 状态与错误代码"),
        ("状态与错误代码", "Status and error codes"),
        ("可用软件 Elliptec Software 调试。", "Test the device with the software Elliptec Software.",
         "The Python package elliptec reads the status."), ("Elliptec Software",)),
    # short names (mnemonics) of the joint controller's errors, with their numbers (`Code 6 (OC)`)
    "igus_rebel": Profile(
        "igus_rebel", "mn", ("ReBeL机械臂", "ReBeL robot", "rebel机械臂", "ReBeL机器人"), (), ("易格斯", "igus"),
        "机械臂", ("igus_ReBeL_CAN_Protocol.pdf", "igus ReBeL 关节 CAN 协议 错误码"), ("错误码", "Error codes"),
        ("CAN 报文可用软件 PCAN-View 查看。", "Watch the CAN frames with the software PCAN-View."), ("PCAN-View",)),
    # a maker's own manual site in Chinese: ERR codes (`ERR02`, read as Err02 = ERR-02 = `Err 2`) and P0-00 codes
    "senkuo_skf8000": Profile(
        "senkuo_skf8000", "err", ("SKF8000系列变频器", "SKF8000", "skf8000", "SKF 8000", "SKF8000变频器"),
        ("SKF600", "SKF600系列"), ("森阔",), "变频器",
        ("SKF8000系列变频器用户手册_第七章_故障诊断.md", "SKF8000 系列变频器 7.1 故障报警及对策"),
        ("故障报警及对策", "Fault alarms and countermeasures"),
        ("故障记录可用软件 Modbus Poll 经 RS485 读取。", "Read the fault record with the software Modbus Poll."),
        ("Modbus Poll",), english=0.2),
    # axis parameters are numbers: a page and a question name them after a parameter cue (`参数6`, `parameter 6`)
    "trinamic_tmcm1140": Profile(
        "trinamic_tmcm1140", "param", ("TMCM-1140", "TMCM1140", "tmcm-1140", "TMCM 1140"), ("TMCM-1160", "TMCM-1240"),
        ("Trinamic",), "步进驱动模块",
        ("TMCM-1140_TMCL_Firmware_Manual.pdf", "TMCM-1140 TMCL 固件手册 轴参数"), ("轴参数", "Axis parameters"),
        ("参数可用软件 TMCL-IDE 读写。", "Set the axis parameters with the software TMCL-IDE."), ("TMCL-IDE",),
        english=0.6),
}
# the same maker's function codes: the fault pages' products, brand and language, parameter pages
FRESH_PROFILES["senkuo_skf8000_params"] = replace(
    FRESH_PROFILES["senkuo_skf8000"], source="senkuo_skf8000_params", style="pgroup",
    titles=("SKF8000系列变频器用户手册_第五章_功能参数表.md", "SKF8000 系列变频器 功能参数表"),
    heading=("功能参数表", "Function parameters"),
    software=("参数可用软件 Modbus Poll 经 RS485 读写。",
              "Read and write the parameters with the software Modbus Poll."))
if set(FRESH_PROFILES) & set(PROFILES):
    raise ValueError(f"fresh source ids already used by devset_v3: {sorted(set(FRESH_PROFILES) & set(PROFILES))}")
PROFILES.update(FRESH_PROFILES)  # the v3 builders look profiles up by source id; the ids are new, v3's are untouched

# The forms spec v2 left silent (issue 21), by pair kind; a question asking a negative code is the signed form too.
SILENT = {"mnemonic": ("mnemonic_", "number_vs_pair_"), "table_no_colon": ("table_row_",),
          "signed": ("signed_", "sign_"), "unknown_brand": ("brand_",), "software_name": ("software_",),
          "short_series": ("alias_",), "parameter": ("parameter_",)}


def silent_form(pair: Pair) -> str:
    """Which formerly silent form the pair checks, or "" (spec v2's forms and v3's spelling forms): a parameter
    number after a cue is one (`参数6`), a `P0-08` code is spec v2's."""
    named = next((name for name, prefixes in SILENT.items() if pair.kind.startswith(prefixes)), "")
    source, asked = pair.source.split(":", 1)[0], pair.source.rsplit(":", 1)[-1]
    if named == "parameter" and PROFILES[source].style != "param":
        named = ""
    return named or ("signed" if asked.startswith("-") else "")


def software_without_product(row: Row, profile: Profile, tables: Tables, rng: random.Random) -> Iterator[Pair]:
    """An SDK page that names a software and no product (`错误也记录在软件 NexMotion Studio 的日志中`), asked with
    the software named: the software is no product, so the codes decide."""
    if profile.named or not profile.apps:
        return
    app = rng.choice(profile.apps)
    prefix = rng.choice([f"用软件{app}时", f"在软件 {app} 里", f"software {app}: "])
    q = prefix + v3.question(profile, None, v3.ask_code(profile, row, rng), rng)
    if rng.random() < 0.5:
        c = v3.page(profile, v3.line(profile, row, rng), rng, None, software=True)
        yield v3._pair(row, tables, q, c, ALIGNED, "fault", "software_name_no_product_same_code", [row],
                    f"{app} is software, not a product; {row.code.show()} listed", profile, rng)
        return
    rows = v3.near_rows(row, tables.rows[row.source], rng)
    if rows:
        c = v3.page(profile, v3.line(profile, rows[0], rng), rng, None, software=True)
        yield v3._pair(row, tables, q, c, UNALIGNED, "fault", "software_name_no_product_diff_code", rows,
                    f"{app} is software, not a product; {row.code.show()} vs {rows[0].code.show()}", profile, rng)


def record(pair: Pair) -> dict[str, str]:
    """The v3 row with the form it checks and the formerly silent form, if any."""
    return {**pair.record(), "form": form_of(pair.kind), "silent": silent_form(pair)}


def build() -> list[Pair]:
    """Nine tables: fewer pairs per kind than devset_v3's splits so that the set stays near 2,000 pairs."""
    return v3.build_split(SPLIT, random.Random(f"{SEED}:{SPLIT}"), DATA, (*v3.BUILDERS, software_without_product),
                          PER_KIND)


def main() -> None:
    out = out_folder(__doc__, DATA)
    pairs = build()
    v3.write_jsonl([record(p) for p in pairs], out / f"{SPLIT}.jsonl")
    v3.write_jsonl(v3.corpus(pairs, SPLIT), out / f"{SPLIT}_corpus.jsonl")
    print(f"{SPLIT}: {len(pairs)} pairs ({sum(bool(silent_form(p)) for p in pairs)} on formerly silent forms), "
          f"{len(v3.corpus(pairs, SPLIT))} chunks")


if __name__ == "__main__":
    main()
