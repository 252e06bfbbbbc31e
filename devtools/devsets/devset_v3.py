"""Build the spec v3 dev sets: (question, chunk, label) pairs on the forms spec v3 added, labelled by construction.

The tables under tests/data/devset_v3/sources/ (cut from public repositories by devset_v3_extract_sources.py, see
provenance.json) become questions and manual pages in the forms users and manuals write: inverter panels' mnemonic
codes (`OCF`, `OC1`) and `Code 9 (OCF)` pairs, CNC alarm lists laid out as tables without colons, SDK return codes
with a sign (`返回-4`), parameter numbers after a cue (`参数2000`), spaced/any-case/glued series names
(`ACOPOSinverter p86`, `PreciseFlex 400`), short models by context (`FR5机械臂`), brands no built-in catalog knows, and
software names inside the pages (never products). Each pair kind is built so that one step of spec v3's decision
order (../shared/spec/alignment-rules.md) decides it; the row records the rule and why. No backend is run.
Deterministic (fixed seed, sorted inputs): regenerating gives the committed files byte for byte.

    python scripts/build_devset_v3.py              # writes tests/data/devset_v3/{devset,holdout}.jsonl and corpora
    python scripts/build_devset_v3.py --out DIR    # elsewhere (the determinism test does this)
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from devtools.devsets import (
    devset,  # as the v2 dev set: pairs, tables, de-duplication, balance, NFKC
    out_folder,
)
from devtools.devsets.devset import balance, dedupe, fullwidth
from ea_plugin import jsonl
from ea_plugin.prompts import ALIGNED, UNALIGNED

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "devset_v3"
SEED = 20261207
SPLITS = ("devset", "holdout")
PER_KIND = 29  # pairs per (source, kind) at most, before class balancing
PER_KIND_OF = {"parameter": 80}  # parameter tables have fewer kinds: more pairs of the one that checks them
PASSES = 4  # a small table's rows are visited again with other templates until its kinds have their share

# --- the tables ---------------------------------------------------------------------------------------------------

# A description is printed as written; one that could itself be read as an entity would change what a pair is about:
# digits, a code cue followed by a short token (`ALARM OVER`, `error ID`), a product word after a name, a family
# word joined to letters (`ERROR-MAP`).
_CUE = r"(?:alarm|error|fault|code|return|returns|returned|报警|故障|错误|代码|显示|返回)"
_RISKY = re.compile(rf"\d|\b{_CUE}\s*[:：]?\s*[A-Za-z]{{1,4}}\b"
                    r"|[A-Za-z]{2,}\s*(?:系列|型|驱动器|变频器|伺服|机器人|机械臂)|\brobot\b"
                    r"|\b(?:err?|error|alm?|alarm)[-.][A-Za-z0-9]", re.IGNORECASE)  # `ERROR-MAP` reads like `Err-01`
# Mnemonics spec v3 reads as MN: 2-4 letters then at most 2 digits; not one that fits another family (E.., A..,
# F+digits, n+digits), not an English word of running text, not the shapes the spec leaves out (`tH3F`, `I.t`).
_MN = re.compile(r"[A-Za-z]{2,4}\d{0,2}")
_NOT_MN = re.compile(r"[EeAa].*|[Ff]\d.*|[Nn]\d.*|OK|ON|OFF|RUN|STOP|CPU|LED|PLC|USB|AC|DC|RES")


@dataclass(frozen=True)
class Code:
    """A code as the table defines it: family (None: bare or signed; "al"; "e"; "mn") and main code (sign kept)."""

    family: str | None
    main: str

    def aligns(self, other: Code) -> bool | None:
        """Spec v3 rule 2 for one pair of codes: True/False, or None where a mnemonic meets a numbered code."""
        if (self.family == "mn") != (other.family == "mn"):
            return None
        if self.family and other.family and self.family != other.family:
            return False
        return self.main == other.main

    def show(self) -> str:
        return f"{(self.family or 'bare').upper()}/{self.main}"


@dataclass(frozen=True)
class Row:
    source: str
    text: str  # the code as the table writes it: 9, -4, 1164, AL003, 2000
    code: Code
    mnemonic: str  # the panel mnemonic paired with a numbered code (OCF for 9), or ""
    description: str
    level: str
    alt: str = ""  # the Chinese name where the table gives one

    @property
    def ref(self) -> str:
        level = f"{self.level}:" if self.level in ("alarm", "error") and self.source == "grbl" else ""
        return f"{self.source}:{level}{self.text}"

    @property
    def mn(self) -> Code | None:
        return Code("mn", self.mnemonic.lower()) if self.mnemonic else None


def _main(text: str) -> str:
    sign = "-" if text.startswith("-") else ""
    return sign + (text.lstrip("-").lstrip("0") or "0")


def _usable(description: str) -> bool:
    return bool(description) and not _RISKY.search(description)


# Words of a table's own product line in its descriptions (`GSK-Link总线周期`): such rows are skipped.
OWN_NAMES = {"gsk_988td_params": re.compile(r"GSK|Link")}


def load_rows(source: str, style: str, data: Path = DATA) -> list[Row]:
    with (data / "sources" / f"{source}.csv").open(encoding="utf-8") as f:
        records = list(csv.DictReader(f))
    rows, seen = [], set()
    for rec in records:
        description = rec["description_zh"] if style == "signed_zh" else (rec["description"] or rec["description_zh"])
        alt = rec["description_zh"] if style == "al" else ""
        key = (rec["level"], rec["code"])
        own = OWN_NAMES.get(source)
        if not _usable(description) or (alt and not _usable(alt)) or key in seen or (own and own.search(description)):
            continue
        if style == "mn" and (not _MN.fullmatch(rec["mnemonic"]) or _NOT_MN.fullmatch(rec["mnemonic"])):
            continue
        seen.add(key)
        text = rec["code"]
        if style == "pgroup":  # P02-00 = P02.00: `-` and `.` are one separator
            code = Code("p", text.upper().replace("-", "."))
        elif style == "param":
            code = Code("param", _main(text))
        else:
            code = Code("al", _main(text[2:])) if style == "al" else Code(None, _main(text))
            if style == "err":  # `ERR02`, `Err02`: the E family
                code = Code("e", _main(text[3:]))
        mnemonic = rec["mnemonic"] if style == "mn" else ""
        rows.append(Row(source, text, code, mnemonic, description, rec["level"], alt))
    if style == "mn":  # mnemonics are unique codes of their own: drop a later row that repeats one (case-blind)
        first: dict[str, Row] = {}
        for row in rows:
            first.setdefault(row.mnemonic.lower(), row)
        rows = [r for r in rows if first[r.mnemonic.lower()] is r]
    return rows


# --- products: how each table's series, brand and software are written ----------------------------------------------


@dataclass(frozen=True)
class Profile:
    source: str
    style: str  # mn, signed, signed_zh, bare (CNC lists), al, err (Err02), grbl, param (numbers after a cue),
    # pgroup (P02-00)
    models: tuple[str, ...]  # spellings of one main model (spaced, any case, glued)
    sibling: tuple[str, ...] = ()  # another series of the same vendor (another main model)
    brand: tuple[str, ...] = ()  # brand words (zh, en); none of them is in the built-in catalog except B&R
    device: str = "设备"  # what a brand-only or product-less question calls the device
    titles: tuple[str, ...] = ()  # file names or page titles of the manual the chunks come from
    heading: tuple[str, str] = ("故障代码一览", "Fault list")
    software: tuple[str, ...] = ()  # notes naming software, firmware or protocols (never products)
    apps: tuple[str, ...] = ()  # the software those notes name, as a question may name it
    alias: tuple[str, ...] = ()  # a short name of the series (another main model): asked only against a page
    alias_heading: tuple[str, ...] = ()  # that names both, `PreciseFlex 400 (PF400)`
    english: float = 0.5  # share of English pages

    @property
    def named(self) -> bool:
        return bool(self.models)


PROFILES = {
    "br_acoposinverter_p86": Profile(
        "br_acoposinverter_p86", "mn",
        ("ACOPOSinverter P86", "ACOPOSinverter p86", "acoposinverter P86", "ACOPOSinverterP86", "ACOPOSINVERTER P86",
         "ACOPOSinverter-P86"),
        ("ACOPOSinverter P76", "ACOPOSinverter p76", "ACOPOSinverterP76"), ("贝加莱", "B&R"), "变频器",
        ("ACOPOSinverter_P86_User_Manual_EN.pdf", "ACOPOSinverter P86 用户手册 第8章 故障诊断"),
        ("故障代码一览", "Fault list"),
        ("参数可用软件Automation Studio备份和恢复。", "Parameters are saved with the software Automation Studio.",
         "通过POWERLINK读取LFT时，PLC程序中请使用库ac_invlib。"), ("Automation Studio",)),
    "br_acoposinverter_p76": Profile(
        "br_acoposinverter_p76", "mn", ("ACOPOSinverter P76", "acoposinverter p76", "ACOPOSinverterP76"),
        ("ACOPOSinverter P86", "ACOPOSinverterP86"), ("贝加莱", "B&R"), "变频器",
        ("ACOPOSinverter_P76_Manual.pdf", "ACOPOSinverter P76 故障处理"), ("故障处理", "Troubleshooting"),
        ("参数可用软件Automation Studio备份和恢复。",), ("Automation Studio",)),
    "fairino_fr": Profile(
        "fairino_fr", "signed", ("FR5机械臂", "FR5 robot", "fr5机械臂", "FR5机器人", "FR5 Robot", "FR 5机械臂"),
        ("FR10机械臂", "FR10 robot", "FR3机械臂"), ("法奥", "FAIRINO"), "机械臂",
        ("FAIRINO_FR5_CPP_SDK_Manual.pdf", "法奥FR5协作机器人 C++ SDK 说明书"),
        ("接口返回码说明", "Return values of the SDK calls"),
        ("也可在 ROS 2 中调用同名接口。", "The same calls are available from ROS 2.",
         "SDK 通过 xmlrpc 与控制箱通信，端口号见第3步。"), ("ROS 2",)),
    "unitree_g1": Profile(
        "unitree_g1", "signed", ("G1机器人", "G1 robot", "g1机器人", "G1 Robot"), ("H1机器人", "H1 robot"),
        ("宇树", "Unitree"), "机器人",
        ("unitree_sdk2_G1_Error_Codes.md", "宇树 G1 人形机器人 SDK 错误码说明"),
        ("接口错误码说明", "Error codes of the SDK calls"),
        ("SDK 基于 DDS 通信，也可在 ROS 2 中调用同名服务。",
         "The SDK talks DDS; the same services are available from ROS 2."),
        ("ROS 2",)),
    "okuma_osp": Profile(
        "okuma_osp", "bare", ("OSP-P300", "OSP P300", "osp-p300", "OSP-P300数控系统", "OSP P300 control"),
        ("OSP-P200", "OSP P200", "osp-p200"), ("大隈", "Okuma"), "数控系统",
        ("OSP-P300_Alarm_List_ME33-034.pdf", "OSP-P300 报警一览（A/B/C/D）"), ("报警一览", "Alarm list"),
        ("操作面板运行 Windows 10，报警履历可导出到 USB 存储器。", "The operation panel runs Windows 10.",
         "报警画面的帮助文本由软件OSP-SUITE提供。"), ("OSP-SUITE", "Windows 10")),
    "brooks_pf400_errors": Profile(
        "brooks_pf400_errors", "signed", ("PreciseFlex 400", "preciseflex 400", "PreciseFlex400", "PRECISEFLEX 400"),
        ("PreciseFlex 3400", "PreciseFlex3400"), ("Brooks", "博众"), "机械臂",
        ("PreciseFlex400_GPL_Error_Codes.pdf", "PreciseFlex 400 GPL 错误代码"), ("错误代码一览", "Error code list"),
        ("控制器运行软件 GPL；系统日志中也会记录这些信息。", "Errors are also written to the log of the software GPL.",
         "通过 TCP 端口 10100 发送命令时返回同样的错误码。"), ("GPL",),
        alias=("PF400", "PF400机械臂", "pf400"), alias_heading=("PreciseFlex 400 (PF400)", "PreciseFlex 400（PF400）")),
    "brooks_pf400_params": Profile(
        "brooks_pf400_params", "param", ("PreciseFlex 400", "preciseflex 400", "PreciseFlex400"),
        ("PreciseFlex 3400", "PreciseFlex3400"), ("Brooks",), "机械臂",
        ("PreciseFlex400_Parameter_Database.pdf", "PreciseFlex 400 参数数据库"), ("参数数据库", "Parameter database"),
        ("参数修改后需在软件GPL中保存到闪存。", "Save the parameters to flash from the software GPL."), ("GPL",)),
    "jmc_jand_params": Profile(
        "jmc_jand_params", "pgroup", ("JAND系列伺服", "JAND伺服驱动器", "jand驱动器", "JAND系列"),
        ("JASD系列伺服", "JASD驱动器"), ("杰美康", "JMC"), "伺服",
        ("JMC_JAND_Series_AC_Servo_Driver_User_Manual_202011.html", "杰美康 JAND 系列交流伺服驱动器 参数一览"),
        ("参数一览", "Parameter list"),
        ("参数也可经 RS232 用上位机软件 Python 脚本读写。", "Parameters can be exported as XML and read with Python."),
        ("Python",)),
    "chenhsong_ai": Profile(
        # `Ai-02` alone is a short name (two letters, two digits) with no product word after it: not a model under
        # spec v3 (`控制器` is no product word), so the pages and questions write it before 系列 (as `G5系列`)
        "chenhsong_ai", "al", ("Ai-02系列", "AI-02系列", "ai-02系列", "Ai-02系列控制器"), (), ("震雄", "Chen Hsong"),
        "注塑机", ("iChen_Ai-02_Alarm_Codes.md", "震雄 Ai-02 系列控制器 报警代码"), ("报警代码", "Alarm codes"),
        ("报警也可通过软件iChen远程查看。", "Alarms are also reported to the software iChen over the network."),
        ("iChen",)),
    "changrong_h100": Profile(
        "changrong_h100", "mn", ("H100", "H100变频器", "h100", "H100 VFD"), (), ("Changrong", "常荣"), "变频器",
        ("Changrong_H100_VFD_Manual.pdf", "H100 变频器 使用说明书 故障代码"), ("故障代码", "Fault codes"),
        ("主轴由固件 FluidNC 通过 RS485 控制。", "The spindle is driven by the firmware FluidNC over RS485."),
        ("FluidNC",)),
    "realman_rm": Profile(
        "realman_rm", "signed_zh", ("RM65机械臂", "RM65 robot", "rm65机械臂", "RM65机器人"),
        ("RM75机械臂", "RM75 robot"), ("睿尔曼", "RealMan"), "机械臂",
        ("RM65_API2_C接口说明.pdf", "睿尔曼 RM65 机械臂 API2 返回值说明"),
        ("接口返回值", "Return values of the API calls"),
        ("也可在 ROS 2 中调用同名接口。",), ("ROS 2",), english=0.0),
    "dsyrs_params": Profile(
        "dsyrs_params", "pgroup", ("DSY-RS驱动器", "DSY-RS系列伺服", "dsy-rs驱动器", "DSY-RS系列"), (), (), "伺服",
        ("DSY-RS_User_Manual_Chapter7_Parameters.pdf", "DSY-RS 系列低压伺服驱动器 第7章 参数"),
        ("参数说明", "Parameters"),
        ("参数地址 = 组号 × 256 + 序号，经 Modbus RTU 写入。", "Write the parameters over Modbus RTU."),
        ("Modbus RTU",)),
    "gsk_988td_params": Profile(
        "gsk_988td_params", "param", ("GSK988TD", "gsk988td", "GSK 988TD", "GSK988TD数控系统"),
        ("GSK980TDi", "GSK 980TDi"), ("广州数控",), "数控系统",
        ("GSK988TD系列编程操作手册_参数说明.pdf", "广州数控 GSK988TD 参数一览"), ("参数说明", "Parameters"),
        english=0.2),
    "grbl": Profile(
        "grbl", "grbl", (), (), (), "雕刻机",
        ("grbl_alarm_and_error_codes.csv", "Grbl v1.1 Interface: alarm and error codes"), ("报警与错误代码", "Codes"),
        ("控制板运行固件 Grbl 1.1。", "The controller runs the firmware Grbl 1.1h."), ("Grbl",)),
}

# Running text the spec says is never an entity (units, steps, ordinals, interfaces, terminals, words + numbers).
NOTES_ZH = ("断电等待5分钟以上再检查主回路。", "检查 DC24V 控制电源是否正常。", "按第2步的方法复位。",
            "通讯口 RS485 接在 CN1 上。", "确认 DI1 输入端子接线正确。", "负载超过50%时更易发生。",
            "防护等级 IP65，请勿带电插拔。", "断电30秒后重新上电。")
NOTES_EN = ("Wait at least 5 min after power-off before touching the terminals.", "Step 2: check the 24 V supply.",
            "Check the wiring of Axis 3 and terminal DI1.", "The RS485 port is on connector CN1.",
            "Load above 50% makes it more likely.", "Power off for 30 s, then restart.")
# An intro line per kind of table (inverter or CNC panel, SDK, parameter list), in Chinese and English.
INTROS = {
    "panel": (("发生下列故障时停止输出，面板显示故障代码。",
               "下表列出代码、名称及处理方法。",
               "复位前请先排除故障原因。"),
              ("The following faults stop the output and are shown on the display.",
               "Each code is listed with its name.",
               "Remove the cause before resetting.")),
    "sdk": (("接口调用失败时返回下列值。", "下表列出返回值及其含义。", "返回 0 表示调用成功。"),
            ("Calls return the following values on failure.", "Each value is listed with its meaning.",
             "A call that succeeds returns 0.")),
    "param": (("参数修改后需重新上电生效。", "下表列出参数编号及名称。"),
              ("Parameters take effect after a restart.", "Each parameter is listed with its name.")),
}
NOTES = {
    "panel": (NOTES_ZH, NOTES_EN),
    "sdk": (("网络断开超过3秒时接口返回通信错误。",
             "请先完成第1步的登录再调用其他接口。",
             "控制箱的 RS485 和 EtherCAT 口不用于 SDK。",
             "超时时间默认500ms。"),
            ("Log in first (step 1), then call the other functions.",
             "The default timeout is 500 ms.",
             "The SDK talks to the control box over Ethernet, not RS485.",
             "Check the 24 V supply of the control box.")),
    "param": (("修改后保存到闪存，断电10秒后重启。",
               "未注明单位的长度为 mm，角度为 deg。",
               "第2步：确认 DC24V 供电正常后再写入。"),
              ("Save to flash, then power off for 10 s.",
               "Lengths are in mm and angles in deg unless noted.",
               "Step 2: write the value only with the 24 V supply on.")),
}
REMEDIES = {
    "panel": (("处理：断电后检查电机电缆和主回路接线，排除短路或接地后再复位。",
               "处理：检查负载是否过重、加减速时间是否过短，必要时延长加速时间。",
               "处理：确认散热风扇运转正常，环境温度不超过40℃。"),
              ("Remedy: power off, check the motor cable and the main circuit wiring, then reset.",
               "Remedy: check the load and lengthen the acceleration time if it is too short.",
               "Remedy: make sure the cooling fan runs and the ambient temperature stays below 40 °C.")),
    "sdk": (("处理：检查网线连接和控制箱 IP 地址，重新建立连接后再调用。",
             "处理：确认机器人已上电并使能，再重新下发指令。"),
            ("Remedy: check the network cable and the IP address of the control box, then reconnect.",
             "Remedy: make sure the robot is powered and enabled, then send the command again.")),
    "param": (("修改方法：在参数界面选中该项，输入新值后按确认键保存。",
               "出厂值可通过恢复出厂设置找回。"),
              ("To change it, select the item on the parameter screen, enter the value and confirm.",
               "The factory value comes back with a factory reset.")),
}
INTRO_OF = {"mn": "panel", "bare": "panel", "al": "panel", "err": "panel", "grbl": "panel", "signed": "sdk",
            "signed_zh": "sdk", "param": "param", "pgroup": "param"}
NO_ENTITY_QUESTIONS = ("变频器过热报警怎么处理？", "机械臂断电后如何回原点？",
                       "How do I reset an alarm on the controller?",
                       "过电流故障一般是什么原因？", "怎么清除报警记录", "What causes a DC bus overvoltage fault?",
                       "SDK 连接不上控制器怎么办？", "数控系统报警后如何恢复运行")


# --- how codes are asked and printed ---------------------------------------------------------------------------------


def ask_code(profile: Profile, row: Row, rng: random.Random, as_mnemonic: bool = False) -> str:
    """The code with its cue, as a user types it; case and spelling vary as the spec allows."""
    if as_mnemonic:
        mn = rng.choice([row.mnemonic, row.mnemonic.lower(), row.mnemonic.upper()])
        return rng.choice([f"显示{mn}", f"报{mn}故障", f"fault {mn}", f"{mn}报警", f"面板显示 {mn}", f"出现{mn}"])
    code = row.text
    if profile.style in ("signed", "signed_zh"):
        if code.startswith("-"):
            return rng.choice([f"返回{code}", f"返回值{code}", f"error code {code}", f"错误码{code}", f"returns {code}",
                               f"返回错误码 {code}"])
        # 返回 is a cue for signed numbers only
        return rng.choice([f"错误码{code}", f"error code {code}", f"报错{code}"])
    if profile.style == "al":
        body = code[2:]
        short = body.lstrip("0")
        return rng.choice([code, f"报警{code}", f"AL-{body}", f"al{body}", f"AL{short}", f"AL {short}"])
    if profile.style == "err":  # spellings spec v3 reads as one E code: Err02 = ERR-02 = err2 = `Err 2`
        body = code[3:]
        short = body.lstrip("0")
        spelled = rng.choice([code, f"Err{body}", f"ERR-{body}", f"err{short}", f"Err {short}", f"Er.{body}"])
        return rng.choice([spelled, f"报{spelled}", f"显示{spelled}", f"{spelled}故障"])
    if profile.style == "param":
        return rng.choice([f"参数{code}", f"parameter {code}", f"参数 {code}", f"Parameter {code}"])
    if profile.style == "pgroup":  # either separator (the spec reads them as one), with or without a cue
        spelled = rng.choice([code, code.replace("-", ".") if "-" in code else code.replace(".", "-")])
        return rng.choice([spelled, f"参数{spelled}", f"parameter {spelled}"])
    if profile.style == "grbl":
        cue = "ALARM:" if row.level == "alarm" else "error:"
        return rng.choice([f"{cue}{code}", f"{cue}{code}", f"{row.level} {code}", f"报警{code}" if row.level == "alarm"
                           else f"错误{code}"])
    if profile.style == "mn":
        return rng.choice([f"故障码{code}", f"fault code {code}", f"显示故障{code}", f"报{code}号故障"])
    return rng.choice([f"报警{code}", f"alarm {code}", f"显示{code}", f"{code}号报警", f"ALARM {code}"])


def line(profile: Profile, row: Row, rng: random.Random, form: str = "") -> str:
    """One row as a manual prints it on its own (a cue, or a colon after the code)."""
    desc, code = row.description, row.text
    style = profile.style
    if style in ("signed", "signed_zh"):
        cue = rng.choice(["返回值", "错误码", "error code", "Return value"] if code.startswith("-")
                         else ["错误码", "error code"])
        return f"{cue} {code}：{desc}" if not cue.isascii() else f"{cue} {code}: {desc}"
    if style == "param":
        return rng.choice([f"参数{code}：{desc}", f"Parameter {code}: {desc}", f"参数 {code}（{desc}）"])
    if style == "pgroup":
        return rng.choice([f"{code}：{desc}", f"{code} {desc}", f"参数{code}：{desc}"])
    if style == "mn":  # a numbered question needs the number on the page: pairs unless a form is asked for
        if form in ("", "pair"):
            return rng.choice([f"故障码 {code}（{row.mnemonic}）：{desc}", f"Code {code} ({row.mnemonic}): {desc}"])
        if form == "number":
            return rng.choice([f"故障码 {code}：{desc}", f"Fault code {code}: {desc}"])
        return f"{row.mnemonic}：{desc}"
    if style == "grbl":
        return f"{'ALARM' if row.level == 'alarm' else 'error'}:{code} {desc}"
    if style == "al":
        desc = rng.choice([desc, row.alt or desc])
        return rng.choice([f"{code}：{desc}", f"{code} {desc}", f"报警{code}：{desc}"])
    if style == "err":
        return rng.choice([f"{code}：{desc}", f"{code} {desc}", f"故障{code}：{desc}"])
    return rng.choice([f"{code}：{desc}", f"报警{code}：{desc}"])


def table(profile: Profile, rows: list[Row], rng: random.Random, form: str = "") -> str:
    """Several rows laid out as a table: cells apart by two or more spaces, a tab or `|`, no colon."""
    style = profile.style
    if style == "mn" and form != "mnemonic":
        return "\n".join(line(profile, r, rng, form or "pair") for r in rows)
    if style in ("signed", "signed_zh", "param"):  # signed codes and parameter numbers keep their cue on each line
        return "\n".join(line(profile, r, rng) for r in rows)
    layout = rng.choice(["spaces", "tab", "markdown"])
    cells = []
    for r in rows:
        first = r.mnemonic if style == "mn" else r.text
        middle = [r.level] if style == "bare" and r.level.startswith("ALARM-") and layout == "spaces" else []
        name = rng.choice([r.description, r.alt]) if r.alt else r.description  # `| AL003 | 料管温度未达设定 |`
        cells.append([first, *middle, name])
    if layout == "tab":
        return "\n".join("\t".join(c) for c in cells)
    if layout == "markdown":
        head = "| 代码 | 名称 |\n|---|---|" if rng.random() < 0.5 else "| Code | Name |\n|---|---|"
        return head + "\n" + "\n".join(f"| {c[0]} | {c[-1]} |" for c in cells)
    return "\n".join("  ".join([c[0].ljust(6), *c[1:]]) for c in cells)


# The cue words of a row in the page's language (a row is first written in either).
_E = (("^参数(P\\S+)：", r"Parameter \1: "), ("^故障码 (\\S+)（(\\w+)）：", r"Code \1 (\2): "),
      ("^故障码 (\\S+)：", r"Fault code \1: "),
      ("^返回值 (\\S+)：", r"Return value \1: "), ("^错误码 (\\S+)：", r"Error code \1: "),
      ("^参数 ?(\\d+)（(.+)）$", r"Parameter \1 (\2)"), ("^参数(\\d+)：", r"Parameter \1: "),
      ("^报警 ?(\\S+)：", r"Alarm \1: "), ("^报警 (\\d+)$", r"Alarm \1"), ("^(\\S+)：", r"\1: "),
      ("^\\| 代码 \\| 名称 \\|$", "| Code | Name |"))
_C = (("^Code (\\S+) \\((\\w+)\\): ", r"故障码 \1（\2）："), ("^Fault code (\\S+): ", r"故障码 \1："),
      ("^Return value (\\S+): ", r"返回值 \1："), ("^error code (\\S+): ", r"错误码 \1："),
      ("^Parameter (\\d+): ", r"参数\1："), ("^Alarm (\\d+)$", r"报警 \1"),
      ("^\\| Code \\| Name \\|$", "| 代码 | 名称 |"))
TO_ENGLISH = tuple((re.compile(pattern), repl) for pattern, repl in _E)
TO_CHINESE = tuple((re.compile(pattern), repl) for pattern, repl in _C)


def in_language(body: str, english: bool) -> str:
    out = []
    for text in body.split("\n"):
        for pattern, repl in TO_ENGLISH if english else TO_CHINESE:
            text, n = pattern.subn(repl, text)
            if n:
                break
        out.append(text)
    return "\n".join(out)


def page(profile: Profile, body: str, rng: random.Random, product: str | None, software: bool = False) -> str:
    """A manual page: a heading (with the product, or not), an intro line, the body, a remedy and notes of running
    text (150-300 characters, as retrieved manual chunks are)."""
    english = rng.random() < profile.english
    body = in_language(body, english)
    heading = profile.heading[1] if english else profile.heading[0]
    parts = []
    if product is not None:
        product = beside_brand(profile, product, rng, english)
        parts.append(rng.choice([f"【{product}】{heading}", f"{product} {heading}", f"{product} — {heading}"]))
    else:
        parts.append(heading)
    parts.append(rng.choice(INTROS[INTRO_OF[profile.style]][english]))
    parts.append(body)
    if rng.random() < 0.7:
        parts.append(rng.choice(REMEDIES[INTRO_OF[profile.style]][english]))
    parts.extend(rng.sample(NOTES[INTRO_OF[profile.style]][english], rng.choice([1, 2])))
    if software:
        parts.extend(software_note(profile, english, rng))
    return "\n".join(parts)


# Versions of software and firmware are never products or codes (spec v3: `V2.1`, `固件3.2`).
VERSIONS = (("本功能需要固件3.2及以上版本。", "软件版本 V2.1 起支持报警履历导出。"),
            ("Requires firmware V2.1 or later.", "Alarm history export needs software version V3.0."))


def software_note(profile: Profile, english: bool, rng: random.Random) -> list[str]:
    """A note naming software in the page's language (where the profile has one), sometimes with a version note."""
    notes = [n for n in profile.software if n.isascii() == english] or list(profile.software)
    chosen = [rng.choice(notes)] if notes else []
    if rng.random() < 0.4:
        chosen.append(rng.choice(VERSIONS[english]))
    return chosen


def beside_brand(profile: Profile, product: str, rng: random.Random, english: bool) -> str:
    """Pages name the brand beside the series now and then (`法奥 FR5机械臂`, `OSP-P300（Okuma）`), as a catalog
    learner needs. A Latin brand never stands right before the series: `FAIRINO FR5` could read as one spaced model."""
    if product not in profile.models + profile.sibling + profile.alias_heading or not profile.brand:
        return product
    roll = rng.random()
    chinese = [b for b in profile.brand if not b.isascii()]
    latin = [b for b in profile.brand if b.isascii()]
    if roll < 0.25 and chinese and not english:
        return f"{chinese[0]} {product}"
    if roll < 0.35 and latin:
        return f"{product} ({latin[0]})" if english else f"{product}（{latin[0]}）"
    return product


QUESTION_TEMPLATES = ("{p}{c}怎么办？", "{p} {c}是什么意思", "{p}今天{c}，如何处理", "{p}{c}，怎么复位？",
                      "{p} {c} how to fix", "请问{p}{c}", "{p} {c}, what does it mean?")
NO_PRODUCT_TEMPLATES = ("{d}{c}是什么意思", "{c}怎么处理？", "{c} what does it mean?", "{d}出现{c}怎么办")
PARAM_TEMPLATES = ("{p}{c}怎么设？", "{p} {c}是什么参数", "{p}的{c}设多少合适", "How to set {c} on {p}?",
                   "{p} {c} default value")


PARAMETER_STYLES = ("param", "pgroup")


def with_space(product: str, cue_text: str) -> str:
    """A product and the text after it: apart by a space where both meet as letters or digits."""
    if product and cue_text and product[-1].isascii() and product[-1].isalnum() and cue_text[0].isascii():
        return product + " "
    return product


def question(profile: Profile, product: str | None, code_text: str, rng: random.Random) -> str:
    if product is None:
        return rng.choice(NO_PRODUCT_TEMPLATES).format(d=profile.device, c=code_text)
    templates = PARAM_TEMPLATES if profile.style in PARAMETER_STYLES else QUESTION_TEMPLATES
    return rng.choice(templates).format(p=with_space(product, code_text), c=code_text).replace("  ", " ")


# --- the pairs -------------------------------------------------------------------------------------------------------


@dataclass
class Pair(devset.Pair):
    chunk_title: str = ""  # the chunk's page title (the corpora carry it)


class Tables(devset.Tables):
    def others(self, row: Row) -> list[str]:
        """Named tables of other vendors (another vendor's product always differs)."""
        return sorted(s for s in self.other_vendors(row)
                      if PROFILES[s].named and PROFILES[s].style not in PARAMETER_STYLES)


KindBuilder = Callable[[Row, Profile, Tables, random.Random], Iterator[Pair]]


def _pair(row: Row, tables: Tables, q: str, c: str, label: str, rule: str, kind: str, chunk_rows: list[Row], why: str,
          title_profile: Profile, rng: random.Random) -> Pair:
    return Pair(q, c, label, rule, kind, tables.vendors[row.source], row.ref, "+".join(r.ref for r in chunk_rows),
                why, chunk_title=rng.choice(title_profile.titles))


def near_rows(row: Row, rows: list[Row], rng: random.Random, n: int = 1) -> list[Row] | None:
    """Rows of the same table close to this one whose codes differ from it (and from its sign-flipped twin, which the
    signed kinds ask on their own); mnemonics differ too."""
    rows = same_list(row, rows)
    candidates = [r for r in rows if r.code.main.lstrip("-") != row.code.main.lstrip("-")
                  and not (row.mnemonic and r.mnemonic.lower() == row.mnemonic.lower())]
    if len(candidates) < n:
        return None
    def distance(r: Row) -> int:
        try:
            return abs(int(r.code.main.lstrip("-") or 0) - int(row.code.main.lstrip("-") or 0))
        except ValueError:
            return abs(rows.index(r) - rows.index(row))
    candidates.sort(key=lambda r: (distance(r), r.text))
    return rng.sample(candidates[: max(n + 2, 4)], n)


def same_list(row: Row, rows: list[Row]) -> list[Row]:
    """The rows of the list the row belongs to: Grbl's alarm and error lists are two tables (same numbers)."""
    return [r for r in rows if r.level == row.level] if row.level in ("alarm", "error") else rows


def window(row: Row, rows: list[Row], rng: random.Random) -> list[Row]:
    rows = same_list(row, rows)
    i = rows.index(row)
    size = rng.randint(2, 4)
    start = max(0, min(i - rng.randint(0, size - 1), len(rows) - size))
    return rows[start : start + size]


def product_of(profile: Profile, rng: random.Random) -> str | None:
    return rng.choice(profile.models) if profile.named else None


def coded_question(profile: Profile, row: Row, rng: random.Random, product: str | None = None,
                   as_mnemonic: bool = False) -> str:
    product = product if product is not None else product_of(profile, rng)
    return question(profile, product, ask_code(profile, row, rng, as_mnemonic), rng)


def same_code(row, profile, tables, rng):
    """The page lists the question's code under the question's product (any spelling of the series)."""
    if not profile.named:
        return
    rows = window(row, tables.rows[row.source], rng) if rng.random() < 0.5 else [row]
    body = table(profile, rows, rng) if len(rows) > 1 else line(profile, row, rng)
    c = page(profile, body, rng, product_of(profile, rng), software=rng.random() < 0.3)
    yield _pair(row, tables, coded_question(profile, row, rng), c, ALIGNED, "fault", "same_product_same_code", rows,
                f"same main model; {row.code.show()} is listed", profile, rng)


def near_miss(row, profile, tables, rng):
    """The page lists other codes of the same table under the same product: the codes decide."""
    if not profile.named:
        return
    rows = near_rows(row, tables.rows[row.source], rng, rng.choice([1, 2, 3]))
    if rows is None:
        return
    body = table(profile, rows, rng) if len(rows) > 1 else line(profile, rows[0], rng)
    c = page(profile, body, rng, product_of(profile, rng))
    yield _pair(row, tables, coded_question(profile, row, rng), c, UNALIGNED, "fault", "same_product_diff_code", rows,
                f"same product; {row.code.show()} vs {', '.join(r.code.show() for r in rows)}", profile, rng)


def cnc_table(row, profile, tables, rng):
    """A table without colons (`1164  ALARM-A  MCS ENCODER ERROR`, tab, `| 17 | ... |`): its first cells are codes."""
    if profile.style not in ("bare", "al", "err", "grbl", "mn"):
        return
    rows = tables.rows[row.source]
    form = "mnemonic" if profile.style == "mn" else ""
    as_mn = profile.style == "mn"
    product = product_of(profile, rng)
    if rng.random() < 0.5:
        win = window(row, rows, rng)
        if len(win) < 2:
            return
        c = page(profile, table(profile, win, rng, form), rng, product)
        yield _pair(row, tables, coded_question(profile, row, rng, as_mnemonic=as_mn), c, ALIGNED, "fault",
                    "table_row_matches", win, f"a table's first cells are codes; {_name(row, as_mn)} is one",
                    profile, rng)
        return
    win = near_rows(row, rows, rng, rng.choice([2, 3, 4]))
    if win is None:
        return
    win.sort(key=rows.index)
    c = page(profile, table(profile, win, rng, form), rng, product)
    yield _pair(row, tables, coded_question(profile, row, rng, as_mnemonic=as_mn), c, UNALIGNED, "fault",
                "table_row_none_matches", win, f"the table's codes are {', '.join(_name(r, as_mn) for r in win)}; "
                f"{_name(row, as_mn)} is none of them", profile, rng)


def _rule(profile: Profile) -> str:
    """The decision step that decides a pair whose products agree: the parameters or the codes."""
    return "parameter" if profile.style in PARAMETER_STYLES else "fault"


def _name(row: Row, as_mnemonic: bool) -> str:
    return (row.mn or row.code).show() if as_mnemonic else row.code.show()


def newline_after_cue(row, profile, tables, rng):
    """`ALARM 1529⏎M AXIS BELT SLIP`: the description on the next line; its first letter is no unit of the code."""
    if profile.style not in ("bare", "grbl"):
        return
    other = near_rows(row, tables.rows[row.source], rng)
    target = row if rng.random() < 0.5 else (other[0] if other else None)
    if target is None:
        return
    cues = [f"{target.level}:", target.level.upper()] if profile.style == "grbl" else ["ALARM ", "报警", "Alarm "]
    body = f"{rng.choice(cues).strip()} {target.text}\n{target.description}".replace(": ", ":")
    c = page(profile, body, rng, product_of(profile, rng))
    same = target is row
    yield _pair(row, tables, coded_question(profile, row, rng), c, ALIGNED if same else UNALIGNED, "fault",
                "code_then_newline_" + ("same" if same else "diff"), [target],
                f"a number on the line after a cue is the cue's; {row.code.show()} vs {target.code.show()}",
                profile, rng)


def series_spelling(row, profile, tables, rng):
    """`ACOPOSinverter p86` = `ACOPOSinverterP86` = `ACOPOSinverter P86`: one model in any case, spaced or glued."""
    if len(profile.models) < 2:
        return
    q_product, c_product = rng.sample(profile.models, 2)
    c = page(profile, line(profile, row, rng), rng, c_product)
    yield _pair(row, tables, coded_question(profile, row, rng, product=q_product), c, ALIGNED, _rule(profile),
                "series_spelling", [row], f"{q_product!r} and {c_product!r} are one model; {row.code.show()} listed",
                profile, rng)


def alias_in_heading(row, profile, tables, rng):
    """`PF400` asked against a page headed `PreciseFlex 400 (PF400)`: the page names the short name too."""
    if not profile.alias:
        return
    q = coded_question(profile, row, rng, product=rng.choice(profile.alias))
    if rng.random() < 0.5:
        c = page(profile, line(profile, row, rng), rng, rng.choice(profile.alias_heading))
        yield _pair(row, tables, q, c, ALIGNED, "fault", "alias_in_heading_same_code", [row],
                    f"the heading names the short name as well; {row.code.show()} listed", profile, rng)
        return
    rows = near_rows(row, tables.rows[row.source], rng)
    if rows:
        c = page(profile, line(profile, rows[0], rng), rng, rng.choice(profile.alias_heading))
        yield _pair(row, tables, q, c, UNALIGNED, "fault", "alias_in_heading_diff_code", rows,
                    f"the heading names the short name as well; {row.code.show()} vs {rows[0].code.show()}",
                    profile, rng)


def two_series_on_page(row, profile, tables, rng):
    """A page for two series (`OSP-P300 / OSP-P200 报警一览`) against a question about one of them: one product of the
    page matches, so the codes decide."""
    if not profile.sibling or profile.style in PARAMETER_STYLES:
        return
    sibling = rng.choice(profile.sibling)  # (a profile's siblings may be several series: the same one on both sides)
    both = f"{rng.choice(profile.models)} / {sibling}"
    q = coded_question(profile, row, rng, product=sibling)
    if rng.random() < 0.5:
        c = page(profile, line(profile, row, rng), rng, both)
        yield _pair(row, tables, q, c, ALIGNED, "fault", "two_series_page_same_code", [row],
                    f"one of the page's two series is the question's; {row.code.show()} listed", profile, rng)
        return
    rows = near_rows(row, tables.rows[row.source], rng)
    if rows:
        c = page(profile, line(profile, rows[0], rng), rng, both)
        yield _pair(row, tables, q, c, UNALIGNED, "fault", "two_series_page_diff_code", rows,
                    f"one of the page's two series is the question's; {row.code.show()} vs {rows[0].code.show()}",
                    profile, rng)


def two_codes_asked(row, profile, tables, rng):
    """Two codes in one question (`先返回-4，后返回-3`): a page listing one of them keeps, one listing neither drops."""
    if profile.style in PARAMETER_STYLES or not profile.named:
        return
    near = near_rows(row, tables.rows[row.source], rng, 2)
    if near is None:
        return
    second, third = near
    as_mn = profile.style == "mn" and rng.random() < 0.5
    first_text, second_text = (ask_code(profile, r, rng, as_mnemonic=as_mn) for r in (row, second))
    q = rng.choice(("{p}先{a}，后来又{b}，怎么处理？", "{p} {a}, then {b}: what to do?", "{p}同时出现{a}和{b}")).format(
        p=rng.choice(profile.models), a=first_text, b=second_text)
    if rng.random() < 0.5:
        c = page(profile, line(profile, second, rng, "pair" if as_mn else ""), rng, product_of(profile, rng))
        yield _pair(row, tables, q, c, ALIGNED, "fault", "two_codes_one_listed", [second],
                    f"the question asks {_name(row, as_mn)} and {_name(second, as_mn)}; the page lists the second",
                    profile, rng)
        return
    if differs_from_both := [r for r in [third] if r.code.main.lstrip("-") != second.code.main.lstrip("-")
                             and not (r.mnemonic and r.mnemonic.lower() == second.mnemonic.lower())]:
        c = page(profile, line(profile, differs_from_both[0], rng, "pair" if as_mn else ""), rng,
                 product_of(profile, rng))
        yield _pair(row, tables, q, c, UNALIGNED, "fault", "two_codes_none_listed", differs_from_both,
                    f"the question asks {_name(row, as_mn)} and {_name(second, as_mn)}; the page lists "
                    f"{_name(differs_from_both[0], as_mn)}", profile, rng)


def sibling_series(row, profile, tables, rng):
    """The same code under another series of the same vendor: products differ, drop."""
    if not profile.sibling:
        return
    sib = rng.choice(profile.sibling)
    c = page(profile, line(profile, row, rng), rng, sib)
    yield _pair(row, tables, coded_question(profile, row, rng), c, UNALIGNED, "product", "sibling_series_same_code",
                [row], f"series {profile.models[0]} vs {sib}; product first", profile, rng)


def other_vendor(row, profile, tables, rng):
    """Another vendor's page with a code that looks the same where there is one: products differ, drop."""
    others = tables.others(row)
    if not profile.named or not others:
        return
    source = rng.choice(others)
    other_profile = PROFILES[source]
    same = tables.by_main[source].get(row.code.main)
    other = rng.choice(same) if same else rng.choice(tables.rows[source])
    c = page(other_profile, line(other_profile, other, rng), rng, product_of(other_profile, rng))
    yield _pair(row, tables, coded_question(profile, row, rng), c, UNALIGNED, "product", "other_vendor", [other],
                f"products differ ({profile.models[0]} vs {other_profile.models[0]}); product first",
                other_profile, rng)


def chunk_no_product(row, profile, tables, rng):
    """The page names no product (a bare excerpt of the table): the codes decide."""
    if rng.random() < 0.5:
        c = page(profile, line(profile, row, rng), rng, None)
        yield _pair(row, tables, coded_question(profile, row, rng), c, ALIGNED, "fault", "chunk_no_product_same_code",
                    [row], f"the chunk names no product; {row.code.show()} listed", profile, rng)
        return
    rows = near_rows(row, tables.rows[row.source], rng)
    if rows:
        c = page(profile, line(profile, rows[0], rng), rng, None)
        yield _pair(row, tables, coded_question(profile, row, rng), c, UNALIGNED, "fault",
                    "chunk_no_product_diff_code", rows, f"the chunk names no product; {row.code.show()} vs "
                    f"{rows[0].code.show()}", profile, rng)


def question_no_product(row, profile, tables, rng):
    """The question names only a code (with its cue): the codes decide."""
    q = question(profile, None, ask_code(profile, row, rng), rng)
    if rng.random() < 0.5:
        c = page(profile, line(profile, row, rng), rng, product_of(profile, rng))
        yield _pair(row, tables, q, c, ALIGNED, _rule(profile),
                    "question_no_product_same_code", [row], f"the question names no product; {row.code.show()} listed",
                    profile, rng)
        return
    rows = near_rows(row, tables.rows[row.source], rng)
    if rows:
        c = page(profile, line(profile, rows[0], rng), rng, product_of(profile, rng))
        yield _pair(row, tables, q, c, UNALIGNED, _rule(profile),
                    "question_no_product_diff_code", rows,
                    f"the question names no product; {row.code.show()} vs {rows[0].code.show()}", profile, rng)


def no_entity(row, profile, tables, rng):
    """The question names no entity: default keep."""
    c = page(profile, line(profile, row, rng), rng, product_of(profile, rng))
    yield _pair(row, tables, rng.choice(NO_ENTITY_QUESTIONS), c, ALIGNED, "default", "question_no_entity", [row],
                "the question names no entity", profile, rng)


def software_names(row, profile, tables, rng):
    """Software, firmware and protocol names beside the product (page or question) are never products."""
    if not profile.software or not profile.named:
        return
    c = page(profile, line(profile, row, rng), rng, product_of(profile, rng), software=True)
    q = coded_question(profile, row, rng)
    if rng.random() < 0.4:
        if profile.apps:
            app = rng.choice(profile.apps)
            q = rng.choice([f"用软件{app}查到", f"在软件 {app} 里看到", f"固件{app}下，"]) + q
    yield _pair(row, tables, q, c, ALIGNED, _rule(profile), "software_name_same_code", [row],
                f"software names are never products; same product, {row.code.show()} listed", profile, rng)


def brand_own(row, profile, tables, rng):
    """A brand and a device word against the brand's own series: the brand aligns or (unknown brand) decides nothing;
    the codes decide."""
    if not profile.brand or not profile.named or profile.style in PARAMETER_STYLES:
        return
    b = rng.choice(profile.brand)
    # a Latin word right before a product word reads as a letters-only model (`AKD驱动器`): 的 keeps the brand a brand
    templates = ("{b}的{d}{c}怎么办", "{b}的{d}{c}是什么意思", "{b}家的{d} {c} how to fix") if b.isascii() else \
        ("{b}{d}{c}怎么办", "{b}{d}{c}是什么意思", "{b}{d} {c} how to fix")
    q = rng.choice(templates).format(b=b, d=profile.device, c=ask_code(profile, row, rng))
    if rng.random() < 0.5:
        c = page(profile, line(profile, row, rng), rng, product_of(profile, rng))
        yield _pair(row, tables, q, c, ALIGNED, "fault", "brand_own_series_same_code", [row],
                    f"brand {profile.brand[0]} with its own series; {row.code.show()} listed", profile, rng)
        return
    rows = near_rows(row, tables.rows[row.source], rng)
    if rows:
        c = page(profile, line(profile, rows[0], rng), rng, product_of(profile, rng))
        yield _pair(row, tables, q, c, UNALIGNED, "fault", "brand_own_series_diff_code", rows,
                    f"brand {profile.brand[0]} with its own series; {row.code.show()} vs {rows[0].code.show()}",
                    profile, rng)


# mnemonic kinds (spec v3 MN family) --------------------------------------------------------------------------------


def mnemonic_same(row, profile, tables, rng):
    """`显示OCF` against a page listing OCF (heading with a colon, or a pair `Code 9 (OCF)`), any case."""
    if profile.style != "mn":
        return
    form = rng.choice(["mnemonic", "pair"])
    c = page(profile, line(profile, row, rng, form), rng, product_of(profile, rng))
    yield _pair(row, tables, coded_question(profile, row, rng, as_mnemonic=True), c, ALIGNED, "fault",
                f"mnemonic_same_{form}", [row], f"mnemonic {row.mn.show()} listed (lower-case normal form)", profile,
                rng)


def mnemonic_diff(row, profile, tables, rng):
    """A mnemonic against a page whose mnemonics (or pairs) are all other: drop."""
    if profile.style != "mn":
        return
    rows = near_rows(row, tables.rows[row.source], rng, rng.choice([1, 2]))
    if rows is None:
        return
    form = rng.choice(["mnemonic", "pair"])
    c = page(profile, "\n".join(line(profile, r, rng, form) for r in rows), rng, product_of(profile, rng))
    yield _pair(row, tables, coded_question(profile, row, rng, as_mnemonic=True), c, UNALIGNED, "fault",
                f"mnemonic_diff_{form}", rows, f"mnemonic {row.mn.show()} vs {', '.join(r.mn.show() for r in rows)}",
                profile, rng)


def number_against_pair(row, profile, tables, rng):
    """`故障码9` against `Code 9 (OCF)`: the pair counts as either name; another pair's number differs."""
    if profile.style != "mn":
        return
    q = coded_question(profile, row, rng)
    if rng.random() < 0.5:
        c = page(profile, line(profile, row, rng, "pair"), rng, product_of(profile, rng))
        yield _pair(row, tables, q, c, ALIGNED, "fault", "number_vs_pair_same", [row],
                    f"the chunk pairs {row.text} with {row.mnemonic}; numbers equal", profile, rng)
        return
    rows = near_rows(row, tables.rows[row.source], rng)
    if rows:
        c = page(profile, line(profile, rows[0], rng, "pair"), rng, product_of(profile, rng))
        yield _pair(row, tables, q, c, UNALIGNED, "fault", "number_vs_pair_diff", rows,
                    f"{row.code.show()} vs the pair {rows[0].text} ({rows[0].mnemonic})", profile, rng)


def mnemonic_vs_number(row, profile, tables, rng):
    """A mnemonic against numbered codes only (or a number against mnemonics only) decides nothing: keep."""
    if profile.style != "mn":
        return
    rows = near_rows(row, tables.rows[row.source], rng)
    if rows is None:
        return
    if rng.random() < 0.5:
        q = coded_question(profile, row, rng, as_mnemonic=True)
        c = page(profile, line(profile, rows[0], rng, "number"), rng, product_of(profile, rng))
        why = f"mnemonic {row.mn.show()} against the numbered {rows[0].code.show()} decides nothing"
    else:
        q = coded_question(profile, row, rng)
        c = page(profile, line(profile, rows[0], rng, "mnemonic"), rng, product_of(profile, rng))
        why = f"{row.code.show()} against the mnemonic {rows[0].mn.show()} decides nothing"
    yield _pair(row, tables, q, c, ALIGNED, "default", "mnemonic_vs_number_undecided", rows, why, profile, rng)


# signed kinds ------------------------------------------------------------------------------------------------------


def sign_differs(row, profile, tables, rng):
    """`返回-4` against `错误码 4`: different codes (the user wrote the sign, the manual writes its signs). A question
    with no sign (`错误码4`, or a user who drops it, `报错1046`) against `-4`/`-1046`: undecided, keep (spec v3: a
    sign dropped in typing decides nothing)."""
    if profile.style not in ("signed", "signed_zh"):
        return
    twin_main = row.code.main[1:] if row.code.main.startswith("-") else "-" + row.code.main
    twins = tables.by_main[row.source].get(twin_main)
    if twins:
        c = page(profile, line(profile, twins[0], rng), rng, product_of(profile, rng))
        q = coded_question(profile, row, rng)
        if row.code.main.startswith("-"):
            yield _pair(row, tables, q, c, UNALIGNED, "fault", "signed_vs_unsigned", twins,
                        f"{row.code.show()} vs {twins[0].code.show()}: the question's sign belongs to the code",
                        profile, rng)
        else:
            yield _pair(row, tables, q, c, ALIGNED, "default", "sign_dropped", twins,
                        f"{row.code.show()} asked without a sign, {twins[0].code.show()} listed: a dropped sign "
                        "decides nothing", profile, rng)
    elif row.code.main.startswith("-"):
        dropped = rng.choice([f"报错{row.text[1:]}", f"error {row.text[1:]}", f"错误码{row.text[1:]}"])
        c = page(profile, line(profile, row, rng), rng, product_of(profile, rng))
        yield _pair(row, tables, question(profile, product_of(profile, rng), dropped, rng), c, ALIGNED, "default",
                    "sign_dropped", [row], f"BARE/{row.text[1:]} asked, {row.code.show()} listed: a dropped sign "
                    "decides nothing", profile, rng)


# parameter kinds ---------------------------------------------------------------------------------------------------


def parameter(row, profile, tables, rng):
    """`参数2000` or `P02.00` against a page naming that parameter (either separator), or only others: rule 3."""
    if profile.style not in PARAMETER_STYLES:
        return
    q = coded_question(profile, row, rng)
    if rng.random() < 0.5:
        rows = window(row, tables.rows[row.source], rng) if rng.random() < 0.5 else [row]
        c = page(profile, table(profile, rows, rng), rng, product_of(profile, rng))
        other = profile.style == "pgroup" and row.text not in q
        kind = "parameter_other_separator" if other else "parameter_same"
        yield _pair(row, tables, q, c, ALIGNED, "parameter", kind, rows,
                    f"parameter {row.code.main} listed" + (" (`-` and `.` are one separator)" if other else ""),
                    profile, rng)
        return
    rows = near_rows(row, tables.rows[row.source], rng, rng.choice([1, 2]))
    if rows:
        c = page(profile, table(profile, rows, rng), rng, product_of(profile, rng))
        yield _pair(row, tables, q, c, UNALIGNED, "parameter", "parameter_diff", rows,
                    f"parameters {row.code.main} vs {', '.join(r.code.main for r in rows)}", profile, rng)


BUILDERS: tuple[KindBuilder, ...] = (
    same_code, near_miss, cnc_table, newline_after_cue, series_spelling, alias_in_heading, sibling_series,
    two_series_on_page, two_codes_asked, other_vendor,
    chunk_no_product, question_no_product, no_entity, software_names, brand_own, mnemonic_same, mnemonic_diff,
    number_against_pair, mnemonic_vs_number, sign_differs, parameter)
PARAM_BUILDERS = {parameter, series_spelling, sibling_series, no_entity, question_no_product, software_names}


def build_split(split: str, rng: random.Random, data: Path = DATA, builders: tuple[KindBuilder, ...] = BUILDERS,
                per_kind: int = PER_KIND) -> list[Pair]:
    """The split's pairs from the tables under `data`/sources whose provenance names the split, at most `per_kind`
    per (table, kind) (PER_KIND_OF's kinds keep their own caps)."""
    provenance = {p["id"]: p for p in json.loads((data / "sources" / "provenance.json").read_text("utf-8"))}
    sources = tuple(s for s, p in provenance.items() if p["split"] == split)
    tables = Tables({s: load_rows(s, PROFILES[s].style, data) for s in sources},
                    {s: provenance[s]["vendor"] for s in sources})
    pairs: list[Pair] = []
    for source in sources:
        profile = PROFILES[source]
        for builder in builders:
            if profile.style in PARAMETER_STYLES and builder not in PARAM_BUILDERS:
                continue
            made: list[Pair] = []
            for _ in range(PASSES):
                for row in rng.sample(tables.rows[source], len(tables.rows[source])):
                    made.extend(builder(row, profile, tables, rng))
                    if len(made) >= PER_KIND_OF.get(builder.__name__, per_kind):
                        break
                if len(made) >= PER_KIND_OF.get(builder.__name__, per_kind):
                    break
            pairs.extend(made)
    for pair in pairs:  # some questions typed in full-width characters (`Ｐ８６`, `返回－４`)
        if rng.random() < 0.08:
            pair.question, pair.variant = fullwidth(pair.question), "fullwidth"
    return balance(dedupe(pairs), rng)


def corpus(pairs: list[Pair], split: str) -> list[dict[str, str]]:
    """The split's chunks alone, once each, with their page titles: what a RAG system indexes (no labels)."""
    seen: dict[str, dict[str, str]] = {}
    for pair in pairs:
        if pair.chunk not in seen:
            seen[pair.chunk] = {"id": f"{split}-{len(seen) + 1:05d}", "title": pair.chunk_title, "text": pair.chunk}
    return list(seen.values())


def write_jsonl(records: list[dict[str, str]], path: Path) -> None:
    jsonl.write_jsonl(path, records)


def main() -> None:
    out = out_folder(__doc__, DATA)
    for name in SPLITS:
        pairs = build_split(name, random.Random(f"{SEED}:{name}"))
        write_jsonl([p.record() for p in pairs], out / f"{name}.jsonl")
        write_jsonl(corpus(pairs, name), out / f"{name}_corpus.jsonl")
        print(f"{name}: {len(pairs)} pairs, {len(corpus(pairs, name))} chunks")


if __name__ == "__main__":
    main()
