"""Spec v3's worked examples whose code forms the rules do not read yet (work in progress on issue 21).

Each is an expected 不对齐 that the rules still keep. Tests mark them xfail(strict=True): remove an entry as
soon as its form lands (the strict mark then fails, naming it)."""

PENDING_V3: dict[tuple[str, str], str] = {
    ("安川A1000变频器显示oC", "A1000故障一览 ov：主回路过电压…"): "MN mnemonic codes next to a cue",
    ("台达VFD-E出现ocA", "VFD-E 异常代码 ocd：减速中过电流"): "MN mnemonic codes next to a cue",
    ("A1000报Uv1", "A1000 故障代码表\noC    过电流\nov    过电压"): "table rows without colons (MN cells)",
}
