"""The worked examples of spec/alignment-rules.md (v3), defined once: `ea-judge examples` and the tests use them."""

from __future__ import annotations

from dataclasses import dataclass

from ea_plugin.prompts import ALIGNED, UNALIGNED


@dataclass(frozen=True)
class WorkedExample:
    question: str
    chunk: str
    label: str
    why: str


WORKED_EXAMPLES: tuple[WorkedExample, ...] = (
    WorkedExample("sv660n出现e100故障怎么办？", "sv660系列e100.1故障表示过电流…", ALIGNED,
                  "sv660n ~ sv660 (main model sv660); e100 ~ e100.1 (main code 100)"),
    WorkedExample("sv660n出现e100故障怎么办？", "md500变频器e100故障…", UNALIGNED,
                  "products differ: sv660 vs md500 (product first)"),
    WorkedExample("sv660n出现e100故障怎么办？", "sv660n报e101故障时…", UNALIGNED, "same product, main codes 100 vs 101"),
    WorkedExample("SV660P报Er.101", "SV660N的E101.0表示系统参数异常", ALIGNED, "sv660 = sv660; E family, main code 101"),
    WorkedExample("e100故障怎么办", "伺服驱动器报e100.2…", ALIGNED, "no product on the question side; codes align"),
    WorkedExample("is620p报警AL001", "is620p出现E001…", UNALIGNED, "AL family vs E family"),
    WorkedExample("伺服驱动器怎么调增益？", "sv660n增益调整步骤…", ALIGNED, "the question names no entity"),
    WorkedExample("md500参数F0-02怎么设", "md500的F0-03参数表示…", UNALIGNED, "same product, parameter F0-02 vs F0-03"),
    WorkedExample("md500和md290报E.OC1", "md290 E.OC1 过流…", ALIGNED, "one of the question's products matches"),
    WorkedExample("sv660n报e100", "过电流故障的一般处理方法…", ALIGNED, "the chunk names neither product nor code"),
    WorkedExample("机械臂显示7是什么意思", "报警12表示关节2超速…", UNALIGNED, "bare codes 7 vs 12 (cues 显示, 报警)"),
    WorkedExample("欧姆龙G5报警38.1", "G5系列 38.0：驱动禁止输入异常…", ALIGNED,
                  "G5 after a brand is a model; bare 38.1 ~ 38.0"),
    WorkedExample("MINAS A6显示Err15.0", "A6伺服Err15.1 过热保护…", ALIGNED,
                  "A6 ~ MINAS A6 (catalog alias); E family, main code 15"),
    WorkedExample("AKD报F436怎么处理", "AKD驱动器故障F438：电机过热…", UNALIGNED, "F family (no separator), 436 vs 438"),
    WorkedExample("AKD报F436", "AKD警告n436：电机温度高…", UNALIGNED, "fault F vs warning N"),
    WorkedExample("台达伺服报AL013", "ASDA-B3报警AL013：紧急停止…", ALIGNED, "brand 台达 aligns with its model ASDA-B3"),
    WorkedExample("台达伺服报AL013", "MR-J4报警AL.13：时钟错误…", UNALIGNED, "brand 台达 vs a model of 三菱 (catalog)"),
    WorkedExample("台达ASDA-A2报AL013", "台达ASDA-B2报警AL013…", UNALIGNED, "models differ; the shared brand adds nothing"),
    WorkedExample("ASDA-B3报AL3E1", "ASDA-B3报警AL3E3：同步周期错误", UNALIGNED, "AL/3e1 vs AL/3e3"),
    WorkedExample("0x2310是什么错误", "ASDA-B3报警AL001：过电流", ALIGNED, "HEX against AL decides nothing; default keep"),
    WorkedExample("MG 400报警17怎么办", "报警17：关节超限位…", ALIGNED, "MG 400 is a model, not code 400; codes 17 = 17"),
    WorkedExample("ASDA-A2报AL003", "【ASDA-A2】报警AL003：Undervoltage (sensor 1 below limit)", ALIGNED,
                  "\"sensor 1\" is running text, not a product"),
    # spec v3: mnemonic codes, spaced family codes, signed codes, series words, short models, long parameter
    # indices, software names, table rows without colons
    WorkedExample("安川A1000变频器显示oC", "A1000故障一览 ov：主回路过电压…", UNALIGNED, "mnemonic codes oc vs ov (MN family)"),
    WorkedExample("V1000报OH1故障", "V1000 故障显示 oH1：散热片过热", ALIGNED, "OH1 = oH1 (lower-case normal form)"),
    WorkedExample("台达VFD-E出现ocA", "VFD-E 异常代码 ocd：减速中过电流", UNALIGNED, "mnemonics oca vs ocd"),
    WorkedExample("A1000报oC", "A1000 故障码 2（oC）过电流", ALIGNED, "the chunk pairs 2 with oC: the mnemonic aligns"),
    WorkedExample("MR-J4报AL 16", "MR-J4 报警 AL.16：编码器初始通信异常", ALIGNED, "`AL 16` is one code, AL/16"),
    WorkedExample("SDK调用返回-2", "错误码说明 2：参数超出范围", UNALIGNED, "signed code -2 vs 2"),
    WorkedExample("ACOPOS p3报6019", "ACOPOS P3 报警列表 6019：过流", ALIGNED,
                  "`ACOPOS p3` = `ACOPOS P3` (one model, any case)"),
    WorkedExample("CR10机器人报警22", "CR5机器人 报警22：关节超速", UNALIGNED,
                  "CR10 and CR5 are models (product word); products differ"),
    WorkedExample("参数P2.1523怎么设", "P2-1523：制动电阻最大值…", ALIGNED,
                  "same parameter; `-` and `.` are one separator"),
    WorkedExample("参数P2.1523怎么设", "P2.1522：制动电阻功率…", UNALIGNED, "parameters 2.1523 vs 2.1522"),
    WorkedExample("IRC5报警20205", "20205 报警（RobotWare 选项异常）：请检查 IRC5 的系统设置", ALIGNED,
                  "RobotWare is software, not a product; codes equal"),
    WorkedExample("A1000报Uv1", "A1000 故障代码表\noC    过电流\nov    过电压", UNALIGNED,
                  "a table: oc and ov are its codes; uv1 is neither"),
)
