"""Word lists of spec v2: what is never a product, code cues, units, product words (lower-case)."""

from __future__ import annotations

import re

from ea_plugin.normalize import PRODUCT_WORDS

# Letter prefixes of tokens that are never products (spec v2, "Never products"): interfaces, buses,
# standards, units, terminals and parts, and the code/parameter words. Longer lower-case words of
# running text (sensor, status, overload...) are caught by shape instead (see products.plausible_model).
NEVER_PRODUCT = frozenset("""
rs ip ipv ac dc pt ntc ptc kty rj ul iec en iso gb din vde csa ce cat sil ple usb ddr com eth lan
can canopen ethercat profinet profibus modbus ethernet devicenet cclink mechatrolink sercos ssi biss endat
cn di do ai ao dio sw ch led lcd cpu mcu gpu fan pin tb jp db pg sb km qf fu hl ka kt io plc hmi pid pwm
vf svc foc agv amr cnc scara
kw kv kva hz khz mhz ms us ns mm cm nm mv ma va rpm kg dn bit bits byte bytes kb mb gb awg
err error fault alarm alm warn warning code al pn fn un pr
no nr num ver rev vol fig tab sec page step item note axis joint sensor status line row col id sn
to at in on of for and or by is be as up max min typ set see per all off top low high out
""".split())

# A bare number is a code next to these cues (spec v2). Before it: Chinese cues directly, English ones
# as words, optionally followed by "code", "no." or "#"; after it: 故障/报警/错误, optionally after 号.
CUES_BEFORE_ZH = ("报警码", "报警号", "报警代码", "故障码", "故障代码", "故障号", "错误码", "错误代码", "代码",
                  "报警", "报错", "出现", "显示", "提示", "故障", "错误", "告警", "警报", "报")
CUES_BEFORE_EN = ("alarm", "error", "fault", "code", "err", "alm")
CUES_AFTER = ("故障", "报警", "错误")

# After a number, these make it a quantity, never a code: units, %, and Chinese measure words.
UNIT_AFTER = re.compile(
    r"\s*(?:[%‰°℃Ω]|(?:[kmμu]?(?:v|a|w|hz|s|m|g|b|va|ohm)|mm|cm|nm|n·m|rpm|r/min|kg|bits?|bytes?|kb|mb|"
    r"h|min|secs?|seconds?|minutes?|hours?|times|ppr|pulses?|degrees?|db)(?![a-z])"
    r"|[次个种台根条项行页章节轴路位倍度转圈年月日天秒分时周帧组把只件处段层级遍毫微伏安瓦赫米千万亿])"
)

# A model followed by one of these is read as a product even where its shape alone would not be.
PRODUCT_WORD_AFTER = re.compile(r"\s?(?:" + "|".join(PRODUCT_WORDS) + ")")

# Words that, standing right before "N:", make it a step or a note, not a table row of codes.
ROW_NOT_AFTER = frozenset("step item note figure fig table tab page chapter section no ratio time version".split())
