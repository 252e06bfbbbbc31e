"""Spec v3's worked examples whose code forms the rules do not read yet (work in progress on issue 21).

Each is an expected 不对齐 that the rules still keep. Tests mark them xfail(strict=True): remove an entry as
soon as its form lands (the strict mark then fails, naming it)."""

PENDING_V3: dict[tuple[str, str], str] = {
}
