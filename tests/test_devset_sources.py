"""The sets' source extractors share devtools/devsets/sources.py: a table's files read at the recorded commit of a
real git copy (or plain copies where no history can be had), its CSV and provenance.json written, and ``--only``
re-extracting some tables while the others' records are kept."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from devtools.devsets import sources
from devtools.devsets.sources import Row, Source, one_file


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def mirrors(tmp_path: Path) -> tuple[Path, str]:
    """A folder of git copies holding owner+name/repo, whose first commit has the table and a later one breaks it."""
    repo = tmp_path / "mirrors" / "owner+name" / "repo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / "alarms.txt").write_bytes("1: Overcurrent\r\n2: Überspannung\r\n".encode("latin-1"))
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "table")
    commit = _git(repo, "rev-parse", "HEAD")
    (repo / "alarms.txt").write_text("not the recorded table\n")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "later")
    return tmp_path / "mirrors", commit


def _parse(texts: list[str]) -> list[Row]:
    return [{"code": code, "description": text} for line in texts[0].split("\n") if line
            for code, text in [line.split(": ")]]


def test_a_table_is_cut_at_its_recorded_commit_and_recorded(mirrors: tuple[Path, str], tmp_path: Path):
    folder, commit = mirrors
    table = Source("t1", "owner/name", commit, ("alarms.txt",), "Vendor", "Series", "MIT", "devset", "cnc_table",
                   _parse)
    sources.main([table], ["code", "description"], tmp_path / "out", "Cut.", ["--mirrors", str(folder)])
    assert (tmp_path / "out" / "t1.csv").read_text("utf-8") == "code,description\n1,Overcurrent\n2,Überspannung\n"
    assert json.loads((tmp_path / "out" / "provenance.json").read_text("utf-8")) == [
        {"id": "t1", "repo": "owner/name", "commit": commit, "paths": ["alarms.txt"], "vendor": "Vendor",
         "series": "Series", "licence": "MIT", "split": "devset", "form": "cnc_table", "rows": 2}]


def test_only_re_extracts_the_named_tables_and_keeps_the_other_records(mirrors: tuple[Path, str], tmp_path: Path):
    folder, commit = mirrors
    out = tmp_path / "out"
    out.mkdir()
    kept = {"id": "t1", "path": "gone.txt", "rows": 7}  # a table whose repository is no longer at hand
    (out / "provenance.json").write_text(json.dumps([kept]), encoding="utf-8")
    tables = [one_file("t1", "gone/repo", commit, "gone.txt", "V", "S", "MIT", "devset", lambda text: []),
              one_file("t2", "owner/name", commit, "alarms.txt", "V", "S", "MIT", "holdout",
                       lambda text: _parse([text]))]
    sources.main(tables, ["code", "description"], out, "Cut.", ["--mirrors", str(folder), "--only", "t2"])
    records = json.loads((out / "provenance.json").read_text("utf-8"))
    assert records[0] == kept and records[1]["path"] == "alarms.txt" and records[1]["rows"] == 2
    assert "form" not in records[1] and not (out / "t1.csv").exists()


def test_a_plain_copy_serves_where_there_is_no_history(tmp_path: Path):
    copy = tmp_path / "mirrors" / "owner+name" / "files" / "doc" / "alarms.txt"
    copy.parent.mkdir(parents=True)
    copy.write_text("7: Overload\n", encoding="utf-8")
    table = one_file("t", "owner/name", "0" * 40, "doc/alarms.txt", "V", "S", "MIT", "devset",
                     lambda text: _parse([text]))
    assert table.parse(sources.read(tmp_path / "mirrors", table)) == [{"code": "7", "description": "Overload"}]
