"""Made-up vendors' manual pages and questions for the rules benchmarks and equivalence checks (deterministic).

``vendors(n)``: series of ~60 brands (Latin and Chinese names), each series word with one to three parts
(``Voltrix P86``), each series with its codes (numbers, family codes, panel mnemonics); no catalog knows them.
``page``: a manual page of 150+ characters holding several entities (a heading naming the series with its
brand, two to four table rows, a running-text note, sometimes a parameter or a software name). ``question``
names a series and a code, a mnemonic or a parameter. ``pairs``/``rag_pairs``: texts that occur once each.
"""

from __future__ import annotations

import random

_SYLLABLES = ("vol", "tri", "xen", "mar", "kor", "dan", "lum", "bra", "quo", "zet", "ori", "pax", "nex", "sol",
              "tor", "vex", "ara", "cel", "dyn", "fer", "gal", "hel", "ion", "jul", "kin", "lex", "mon", "nor")
_HAN = "泽塔库恩博锐腾飞华达正弘捷科瑞宏伟永诚精工睿智天远星辰鼎盛恒通联创新源"
_DESCRIPTIONS = ("过电流", "过电压", "欠压", "编码器通信异常", "Overcurrent", "Overheat", "Motor stall detected",
                 "制动电阻过载", "Position deviation too large", "参数校验错误", "Fieldbus communication lost",
                 "散热器过热")
_NOTES = ("检查 DC24V 控制电源是否正常。", "按第2步的方法复位。", "断电30秒后重新上电。",
          "The RS485 port is on connector CN1.", "Check the wiring of Axis 3 and terminal DI1.",
          "防护等级 IP65，请勿带电插拔。", "负载超过50%时更易发生。")


def vendors(series_count: int, seed: int = 7) -> list[dict]:
    """Made-up series: brand (Latin, Chinese), series word, part, codes (numbers, family codes, mnemonics)."""
    rng = random.Random(seed)
    out: list[dict] = []
    words: set[str] = set()
    while len(out) < series_count:
        word = "".join(rng.sample(_SYLLABLES, 2)).capitalize() + rng.choice(("", "Drive", "Arm", "Flex", "Tron"))
        if word.lower() in words:
            continue
        words.add(word.lower())
        latin = "".join(rng.sample(_SYLLABLES, 3)).upper()
        han = "".join(rng.sample(_HAN, 2))
        for _ in range(rng.randint(1, 3)):
            part = rng.choice(("{L}{d}", "{L}{d}{d}", "{d}{d}0", "{L}{L}{d}0")).format(
                L=rng.choice("PSXKQZ"), d=rng.randint(1, 9))
            mnemonics = {"".join(rng.choice("OCUVHLFEGRB") for _ in range(3)) for _ in range(6)}
            numbers = rng.sample(range(1, 400), 8)
            families = [rng.choice(("E{n}", "AL{n:03d}", "Err{n}")).format(n=rng.randint(1, 999)) for _ in range(4)]
            out.append({"brand": latin, "han": han, "word": word, "part": part, "mnemonics": sorted(mnemonics),
                        "numbers": numbers, "families": families})
    return out[:series_count]


def _name(s: dict, rng: random.Random) -> str:
    return rng.choice(("{w} {p}", "{w}{p}", "{w}-{p}")).format(w=s["word"], p=s["part"])


def page(s: dict, rng: random.Random) -> tuple[str, str]:
    """(title, text) of one manual page of the series ``s``: 150+ characters, several entities."""
    brand = rng.choice((s["brand"] + " ", s["han"], ""))
    heading = rng.choice(("【{n}】故障代码", "{b}{n} — Fault codes", "{b}{n} 报警一览", "{n} 故障代码（LFT）")).format(
        b=brand, n=_name(s, rng))
    rows = []
    for _ in range(rng.randint(2, 4)):
        number, mnemonic = rng.choice(s["numbers"]), rng.choice(s["mnemonics"])
        rows.append(rng.choice(("故障码 {n}（{m}）：{d}", "Code {n} ({m}): {d}", "{m}    {d}", "{f}：{d}",
                                "报警 {n}：{d}")).format(n=number, m=mnemonic, d=rng.choice(_DESCRIPTIONS),
                                                        f=rng.choice(s["families"])))
    extra = rng.choice(("", f"参数P2-{rng.randint(10, 1999)}用于设置加速时间。",
                        f"参数可用软件{s['word'][:4]} Studio备份和恢复。"))
    intro = "下表列出代码、名称及处理方法，请先排除故障原因再复位。"
    text = "\n".join([heading, intro, *rows, rng.choice(_NOTES), extra]).strip()
    title = rng.choice(("{w}_{p}_Manual.pdf", "{w} {p} 用户手册", "{b} {w} {p} 故障处理")).format(
        w=s["word"], p=s["part"], b=s["han"])
    return title, text


def question(s: dict, rng: random.Random) -> str:
    return rng.choice(("{n}报故障码{c}怎么办", "{b}{n}显示{m}", "{n}出现{f}故障", "{n}参数P2-{p}怎么设",
                       "请问{n}报警{c}是什么意思")).format(
        n=_name(s, rng), c=rng.choice(s["numbers"]), m=rng.choice(s["mnemonics"]), f=rng.choice(s["families"]),
        p=rng.randint(10, 1999), b=rng.choice((s["han"], s["brand"] + " ", "")))


def rag_pairs(series: list[dict], count: int, seed: int, seen: set[str]) -> list[tuple[str, str]]:
    """``count`` pairs: new questions, each against 10 new chunks."""
    chunks = iter(pairs(series, count, seed, seen))
    rng = random.Random(seed + 1)
    out: list[tuple[str, str]] = []
    while len(out) < count:
        q = question(rng.choice(series), rng)
        if q in seen:
            continue
        seen.add(q)
        out += [(q, next(chunks)[1]) for _ in range(min(10, count - len(out)))]
    return out


def corpus(series: list[dict], count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [page(rng.choice(series), rng) for _ in range(count)]


def pairs(series: list[dict], count: int, seed: int, seen: set[str] | None = None) -> list[tuple[str, str]]:
    """``count`` (question, chunk) pairs whose texts occur once each (and not in ``seen``); half of the chunks
    are of the question's series, half of another."""
    rng = random.Random(seed)
    seen = set() if seen is None else seen
    out: list[tuple[str, str]] = []
    while len(out) < count:
        s = rng.choice(series)
        q = question(s, rng)
        _, chunk = page(s if rng.random() < 0.5 else rng.choice(series), rng)
        if q in seen or chunk in seen or len(chunk) < 150:
            continue
        seen.update((q, chunk))
        out.append((q, chunk))
    return out
