"""Deterministic benchmark pairs: a question and a Chinese manual-like chunk of 100 to 600 characters."""

from __future__ import annotations

import random

from ea_plugin.judgement import Pair

PRODUCTS = ("SV660N", "SV660P", "IS620P", "IS620N", "MD500", "MD500E", "MD290", "SV680N")
FAULTS = ("E100", "Er.101", "E740.2", "AL001", "E.OC1", "Err-01", "EB00.1", "A.020", "E101.1")
PARAMS = ("H02-00", "H03-10", "P0-01", "F0-02", "F1-05", "H08-19", "P2-03")
QUESTIONS = (
    "{product}报{fault}怎么处理？",
    "{product}出现{fault}故障是什么原因",
    "{product}的{param}参数怎么设置",
    "伺服驱动器报{fault}",
    "{product}上电后显示{fault}，电机不转",
    "怎么修改{param}？",
)
SENTENCES = (
    "{product}伺服驱动器上电后，面板显示{fault}，表示检测到过电流。",
    "请检查电机动力线U、V、W是否短路或对地短路，必要时更换电缆。",
    "确认编码器线缆连接可靠，屏蔽层已接地，避免干扰导致位置偏差过大。",
    "参数{param}用于设置控制模式，修改后需要重新上电才能生效。",
    "若故障在加速过程中出现，可适当延长加速时间或降低负载惯量比。",
    "{product}的再生制动电阻阻值应不低于手册规定的最小值。",
    "故障码{fault}的子码表示具体的检测位置，请结合子码判断原因。",
    "驱动器内部温度过高时会报警，请检查散热风扇是否正常运转。",
    "在速度模式下，{param}设定速度指令的来源，出厂值为0。",
    "如仍无法排除故障，请联系供应商并提供驱动器型号和软件版本号。",
    "电源电压低于额定值的85%时，主回路欠压保护动作。",
    "请使用示波器观察编码器反馈信号，确认无丢脉冲现象。",
)


def make_pairs(count: int, seed: int = 0, min_chars: int = 100, max_chars: int = 600) -> list[Pair]:
    """``count`` pairs; each chunk's length is drawn uniformly from [min_chars, max_chars]."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        fill = {"product": rng.choice(PRODUCTS), "fault": rng.choice(FAULTS), "param": rng.choice(PARAMS)}
        question = rng.choice(QUESTIONS).format(**fill)
        target = rng.randint(min_chars, max_chars)
        chunk = ""
        while len(chunk) < target:
            chunk += rng.choice(SENTENCES).format(
                product=rng.choice(PRODUCTS), fault=rng.choice(FAULTS), param=rng.choice(PARAMS)
            )
        pairs.append(Pair(question, chunk[:target]))
    return pairs
