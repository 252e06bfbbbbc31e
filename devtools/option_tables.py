"""The option tables of the docs, generated from the options dataclasses (each option is declared once, as a
field with its default and help). ``python devtools/option_tables.py`` rewrites them in place; tests/test_docs
fails when a table drifts from its dataclass.

A table sits between ``<!-- options: NAME -->`` and ``<!-- /options -->``, NAME one of TABLES.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "docs" / "backends.md", ROOT / "docs" / "judge.md"]
TABLES = {
    "judge": "ea_plugin.judge:JudgeOptions",
    "rules": "ea_plugin.backends.rules:RulesOptions",
    "transformers": "ea_plugin.backends.transformers.backend:TransformersOptions",
    "openai": "ea_plugin.backends.openai.backend:OpenAIOptions",
}
_TABLE = re.compile(r"(?P<open><!-- options: (?P<name>\w+) -->\n).*?(?P<close><!-- /options -->)", re.S)


def table(name: str) -> str:
    from ea_plugin.options import option_table

    module, _, attribute = TABLES[name].partition(":")
    return option_table(getattr(importlib.import_module(module), attribute))


def render(text: str) -> str:
    """``text`` with every marked table regenerated (an unknown NAME raises KeyError naming it)."""
    return _TABLE.sub(lambda m: f"{m['open']}{table(m['name'])}\n{m['close']}", text)


def main() -> int:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        page.write_text(render(text), encoding="utf-8")
        print(f"{page.relative_to(ROOT)}: {len(_TABLE.findall(text))} tables", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
