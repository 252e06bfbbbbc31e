"""Each option is declared once (its dataclass field, with default and help): the docs' tables and the command
line's help are generated from it, and this fails when a table drifts (issue 23, part 2)."""

from __future__ import annotations

import dataclasses

import pytest

from devtools.option_tables import PAGES, TABLES, render, table
from ea_plugin.backends.openai.backend import OpenAIOptions
from ea_plugin.cli import main
from ea_plugin.judge import JudgeOptions
from ea_plugin.options import documented


def test_the_docs_option_tables_are_the_dataclasses_own():
    texts = {page.name: page.read_text(encoding="utf-8") for page in PAGES}
    for name in TABLES:
        assert any(f"<!-- options: {name} -->" in text for text in texts.values()), f"no docs table for {name}"
    for page, text in texts.items():
        assert render(text) == text, f"{page}: an option table drifted; run python devtools/option_tables.py"


def test_a_table_that_drifted_is_noticed():
    drifted = "<!-- options: openai -->\n| `timeout` | `30.0` | seconds |\n<!-- /options -->"
    assert render(drifted) != drifted and "seconds one request may take" in render(drifted)
    assert table("openai").count("\n") == 1 + len(dataclasses.fields(OpenAIOptions))


def test_ea_judge_backends_lists_every_option_with_its_default_and_help(capsys: pytest.CaptureFixture):
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    for doc in documented(OpenAIOptions):
        assert f"--option {doc.name}=...  (default {doc.default}) {doc.help}" in out


def test_the_shortcut_flags_help_is_the_options_help(capsys: pytest.CaptureFixture):
    with pytest.raises(SystemExit):
        main(["judge", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "openai: the server's http(s) URL up to /v1 (default: $OPENAI_BASE_URL)" in help_text
    threshold = next(d for d in documented(JudgeOptions) if d.name == "threshold")
    assert " ".join(threshold.help.split()) in help_text  # the judge flags' help is JudgeOptions' too
