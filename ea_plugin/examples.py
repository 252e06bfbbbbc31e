"""The worked examples of spec/alignment-rules.md (v2), defined once: `ea-judge examples` and the tests use them."""

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
)
