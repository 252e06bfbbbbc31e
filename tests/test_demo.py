"""The RAG demo (`ea-judge demo`, `python -m integrations.demo`) and the shipped sample corpus."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("llama_index.core", reason="needs the [llamaindex] extra")

from ea_plugin.rules import extract_entities
from integrations.corpus import SAMPLE_CORPUS, CorpusError, load_chunks
from integrations.demo import DEFAULT_QUESTIONS, main

REPO = Path(__file__).resolve().parents[1]
# One line per retrieved chunk: "   1. DROP 不对齐 sim=0.41 [md500-e100] MD500变频器…", then "        why: …".
CHUNK_LINE = re.compile(r"^\s+\d+\. (KEEP|DROP) (\S+)\s+sim=[\d.]+ \[([^\]]+)\]")


def chunk_rows(output: str) -> list[tuple[str, str, str, str]]:
    """(KEEP/DROP, label, chunk id, why) for every chunk shown."""
    lines = output.splitlines()
    rows = []
    for line, why in zip(lines, lines[1:], strict=False):
        match = CHUNK_LINE.match(line)
        if match:
            assert why.strip().startswith("why:"), why
            rows.append((*match.groups(), why.strip().removeprefix("why:").strip()))
    return rows


def test_demo_shows_each_retrieved_chunk_kept_or_dropped_with_the_reason(capsys):
    assert main(["--question", "sv660n出现e100故障怎么办？", "--top-k", "6"]) == 0
    rows = {chunk_id: (action, label, why) for action, label, chunk_id, why in chunk_rows(capsys.readouterr().out)}
    assert len(rows) == 6
    assert rows["md500-e100"][:2] == ("DROP", "不对齐")
    assert rows["md500-e100"][2].startswith("产品不同：question为sv660n(主型号sv660)，chunk为MD500")
    assert rows["sv660n-e102"][:2] == ("DROP", "不对齐") and "故障码不同" in rows["sv660n-e102"][2]
    assert rows["sv660n-e100"][:2] == ("KEEP", "对齐") and "E族主码100" in rows["sv660n-e100"][2]


def test_default_questions_show_near_misses_dropped_and_an_entity_free_question_keeping_all(capsys):
    assert main([]) == 0
    output = capsys.readouterr().out
    blocks = re.split(r"^\[\d+/\d+\] ", output, flags=re.M)[1:]
    assert len(blocks) == len(DEFAULT_QUESTIONS)
    actions = [{row[0] for row in chunk_rows(block)} for block in blocks]
    *with_entities, entity_free = actions
    assert all(seen == {"KEEP", "DROP"} for seen in with_entities)  # each shows a near miss dropped
    assert entity_free == {"KEEP"}  # 伺服驱动器怎么调增益？ names no entity: default keep
    assert re.search(r"6 questions: 36 chunks retrieved, \d+ kept, \d+ dropped", output)


def test_failing_judge_keeps_every_chunk_and_the_demo_shows_the_error(integration_backends, capsys):
    assert main(["-q", "md500参数F0-02怎么设？", "--top-k", "3", "--backend", "broken"]) == 0
    output = capsys.readouterr().out
    rows = chunk_rows(output)
    assert [row[:2] for row in rows] == [("KEEP", "-")] * 3
    assert all(row[3].startswith("error: BackendError: judge server unreachable") for row in rows)
    assert "the judge failed: policy keeps" in output


def test_min_keep_option_keeps_chunks_the_judge_drops(tmp_path, capsys):
    corpus = tmp_path / "md500.jsonl"  # MD500 chunks only: a question about another product drops them all
    lines = [json.dumps(c.__dict__, ensure_ascii=False) for c in load_chunks() if c.id.startswith("md500-")]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["-q", "asda-a2报AL009", "--top-k", "3", "--min-keep", "3", "--corpus", str(corpus)]) == 0
    rows = chunk_rows(capsys.readouterr().out)
    assert [row[:2] for row in rows] == [("KEEP", "不对齐")] * 3
    assert all("kept to honour min_keep" in row[3] for row in rows)


def test_a_bad_corpus_line_is_named_and_the_demo_fails(tmp_path, capsys):
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text('{"id": "a", "title": "t", "text": "md500"}\n{"id": "b", "title": "t"}\n', encoding="utf-8")
    assert main(["--corpus", str(corpus)]) == 1
    assert f"{corpus}:2: needs non-empty string fields" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--top-k", "0"], ["--min-keep", "-1"]])
def test_out_of_range_options_are_usage_errors(argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


def test_help_passes_through_the_ea_judge_separator(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--", "--help"])
    assert exit_info.value.code == 0
    assert "--top-k" in capsys.readouterr().out


# Runs `python -m integrations.demo` with every non-loopback connection refused, empty tiktoken and NLTK
# caches (so any attempt to load either would have to download), and reports which heavy modules loaded.
_OFFLINE_RUNNER = """
import runpy, sys

def no_network(event, args):
    if event == "socket.connect":
        address = args[1]
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in ("127.0.0.1", "::1", "localhost"):
            print(f"BLOCKED connection to {address}", file=sys.stderr)
            raise OSError("network access is disabled in this test")

sys.addaudithook(no_network)
sys.argv = ["integrations.demo", "--top-k", "4"]
try:
    runpy.run_module("integrations.demo", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print("LOADED", sorted(m for m in ("torch", "transformers", "tiktoken", "nltk", "openai") if m in sys.modules))
sys.exit(code)
"""


def test_demo_runs_offline_without_torch_tiktoken_or_nltk(tmp_path):
    (tmp_path / "tiktoken").mkdir()
    (tmp_path / "nltk").mkdir()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TIKTOKEN_CACHE_DIR": str(tmp_path / "tiktoken"),
        "NLTK_DATA": str(tmp_path / "nltk"),
        "PYTHONPATH": str(REPO),
    }
    result = subprocess.run(
        [sys.executable, "-c", _OFFLINE_RUNNER], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "BLOCKED" not in result.stderr
    assert "NLTK" not in result.stdout + result.stderr  # LlamaIndex prints "NLTK download error" on failure
    assert "LOADED []" in result.stdout
    assert len(chunk_rows(result.stdout)) == 4 * len(DEFAULT_QUESTIONS)


def test_sample_corpus_has_near_miss_products_fault_codes_and_parameters():
    chunks = load_chunks(SAMPLE_CORPUS)
    assert 40 <= len(chunks) <= 60
    entities = [extract_entities(c.text) for c in chunks]
    mains = {p.main for e in entities for p in e.products}
    assert {"sv660", "is620", "md500", "md290", "asdaa2", "sgd7"} <= mains
    written = {f.text.lower() for e in entities for f in e.faults} | {p.text for e in entities for p in e.parameters}
    assert {"e100", "e101", "er.101", "e101.0", "al001", "e001", "e.oc1"} <= written
    assert {"H02-00", "F0-02", "F0-03"} <= written
    assert sum(e.empty for e in entities) >= 5  # entity-free chunks, kept by default


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json\n", "invalid JSON"),
        ('["a list"]\n', "needs non-empty string fields"),
        ('{"id": "a", "title": "t", "text": " "}\n', "needs non-empty string fields"),
        ('{"id": "a", "title": "t", "text": "x"}\n\n{"id": "a", "title": "t", "text": "y"}\n', "duplicate id 'a'"),
    ],
)
def test_corpus_loader_names_the_bad_line(tmp_path, content, message):
    path = tmp_path / "corpus.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError, match=re.escape(message)) as error:
        load_chunks(path)
    assert error.value.line == content.rstrip("\n").count("\n") + 1
