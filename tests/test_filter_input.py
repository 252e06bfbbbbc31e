"""`ea-judge filter` on bad input (issue 13, items 1-6): one bad line never stops a run, bad options stop it
with one clear line, and every input line ends up exactly once in the output, the rejects or the blank count."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ea_plugin.cli import main

GOOD = [{"question": "sv660n报e100", "chunk": "md500 e100", "id": "a"},
        {"question": "sv660n报e100", "chunk": "sv660 e100.1", "id": "b"},
        {"question": "is620p报AL001", "chunk": "is620p E001", "id": "c"}]


def line(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


def run_filter(source: Path, output: Path, *extra: str) -> int:
    try:
        return main(["filter", str(source), "-o", str(output), "--quiet", *extra])
    except SystemExit as exc:  # argparse's own usage errors
        return int(exc.code or 0)


def rows(path: Path) -> list[dict]:
    return [json.loads(text) for text in path.read_bytes().split(b"\n") if text]


def judged_ids(output: Path) -> list[tuple[int, str]]:
    return [(row["ea"]["line"], row["id"]) for row in rows(output)]


def rejects(output: Path) -> list[dict]:
    return rows(output.with_suffix(".rejects.jsonl"))


def test_a_line_of_bad_utf8_is_rejected_with_its_number_and_the_rest_judged(tmp_path: Path):
    source, output = tmp_path / "pairs.jsonl", tmp_path / "judged.jsonl"
    source.write_bytes(b"\n".join([line(GOOD[0]), b'{"question": "\xff\xfe", "chunk": "x"}', line(GOOD[1])]) + b"\n")
    assert run_filter(source, output) == 0
    assert judged_ids(output) == [(1, "a"), (3, "b")]
    [reject] = rejects(output)
    assert reject["line"] == 2 and "not valid UTF-8" in reject["reason"] and "0xff" in reject["reason"]
    assert run_filter(source, output) == 0  # a rerun finds nothing left to do and nothing to crash on
    assert len(rows(output)) == 2 and len(rejects(output)) == 1


def test_a_lone_surrogate_is_rejected_and_reruns_get_past_it(tmp_path: Path, capsys: pytest.CaptureFixture):
    source, output = tmp_path / "pairs.jsonl", tmp_path / "judged.jsonl"
    source.write_bytes(b"\n".join([b'{"question": "sv660n\\ud800", "chunk": "md500 e100"}', line(GOOD[1])]) + b"\n")
    assert run_filter(source, output) == 0
    assert judged_ids(output) == [(2, "b")]
    [reject] = rejects(output)
    assert reject["line"] == 1 and "lone surrogate" in reject["reason"] and "\\ud800" in reject["text"]
    assert run_filter(source, output) == 0
    assert "skipped=2" in capsys.readouterr().err


def test_a_torn_last_output_line_from_a_killed_run_is_cut_off_and_that_record_redone(tmp_path: Path):
    source, output = tmp_path / "pairs.jsonl", tmp_path / "judged.jsonl"
    source.write_bytes(b"".join(line(r) + b"\n" for r in GOOD))
    assert run_filter(source, output) == 0
    data = output.read_bytes()
    output.write_bytes(data[: data.rindex(b"\n", 0, len(data) - 1) + 1 + 25])  # killed 25 bytes into row 3
    assert run_filter(source, output) == 0
    assert judged_ids(output) == [(1, "a"), (2, "b"), (3, "c")]


def test_a_bom_at_the_start_is_not_part_of_line_1(tmp_path: Path):
    source, output = tmp_path / "pairs.jsonl", tmp_path / "judged.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + line(GOOD[0]) + b"\n" + line(GOOD[1]) + b"\n")
    assert run_filter(source, output) == 0
    assert judged_ids(output) == [(1, "a"), (2, "b")]
    assert rejects(output) == []


def test_a_raw_cr_or_line_separator_inside_a_record_splits_nothing(tmp_path: Path):
    source, output = tmp_path / "pairs.jsonl", tmp_path / "judged.jsonl"
    with_cr = line(GOOD[0]).replace(b"md500 e100", b"md500\re100")
    with_ls = line(GOOD[1]).replace(b"sv660 e100.1", "sv660\u2028e100.1\u0085".encode())
    source.write_bytes(b"\n".join([with_cr, with_ls, line(GOOD[2])]) + b"\r\n")
    assert run_filter(source, output) == 0
    assert judged_ids(output) == [(1, "a"), (2, "b"), (3, "c")]
    assert rows(output)[0]["chunk"] == "md500\re100" and rows(output)[1]["chunk"] == "sv660\u2028e100.1\u0085"
    assert rejects(output) == []
    assert len(output.read_text(encoding="utf-8").splitlines()) == 3  # written escaped: naive readers cope too


@pytest.mark.parametrize("case", ["output_is_input", "missing_dir", "output_is_dir", "missing_input",
                                  "unwritable", "zero_chunk_size", "rejects_is_output"])
def test_bad_paths_and_options_stop_with_one_clear_line(case: str, tmp_path: Path, capsys: pytest.CaptureFixture):
    source, output = tmp_path / "pairs.jsonl", tmp_path / "judged.jsonl"
    source.write_bytes(line(GOOD[0]) + b"\n")
    before = source.read_bytes()
    extra: tuple[str, ...] = ()
    expected = {"output_is_input": "would overwrite the input", "missing_dir": "directory does not exist",
                "output_is_dir": "is a directory", "missing_input": "input not found",
                "unwritable": "not writable", "zero_chunk_size": "must be >= 1",
                "rejects_is_output": "are the same file"}[case]
    if case == "output_is_input":
        output = tmp_path / "." / "pairs.jsonl"
    elif case == "missing_dir":
        output = tmp_path / "no-such-dir" / "judged.jsonl"
    elif case == "output_is_dir":
        output = tmp_path
    elif case == "missing_input":
        source = tmp_path / "missing.jsonl"
    elif case == "unwritable":
        if not Path("/sys").is_dir():
            pytest.skip("needs /sys, which even root cannot write files into")
        output = Path("/sys/ea-judged.jsonl")
    elif case == "zero_chunk_size":
        extra = ("--records-per-step", "0")
    elif case == "rejects_is_output":
        extra = ("--rejects", str(output))
    assert run_filter(source, output, *extra) != 0
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert len([text for text in err.splitlines() if "error:" in text]) == 1
    if source.exists():
        assert source.read_bytes() == before


def test_an_output_holding_a_line_it_did_not_write_stops_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture):
    source, output = tmp_path / "pairs.jsonl", tmp_path / "judged.jsonl"
    source.write_bytes(line(GOOD[0]) + b"\n")
    output.write_bytes(b"a note someone typed into the output\n")
    assert run_filter(source, output) == 2
    err = capsys.readouterr().err
    assert "line 1 is not a record this command wrote" in err and "Traceback" not in err
    assert output.read_bytes() == b"a note someone typed into the output\n"  # nothing appended after it


@pytest.mark.parametrize("change", ["another_file", "line_inserted", "line_edited", "reject_fixed"])
def test_resuming_with_a_changed_input_is_refused_not_silently_skipped(change: str, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture):
    # Before: a rerun skipped by line number alone, so another input (or lines moved by an insert) into the
    # same output judged nothing, exit 0, and its records were never judged.
    source, output = tmp_path / "pairs.jsonl", tmp_path / "judged.jsonl"
    first = [line(GOOD[0]), b"{not json", line(GOOD[1])]
    source.write_bytes(b"\n".join(first) + b"\n")
    assert run_filter(source, output) == 0
    written = output.read_bytes(), output.with_suffix(".rejects.jsonl").read_bytes()
    changed = {"another_file": [line({**GOOD[2], "id": "z"}), first[1], first[2]],
               "line_inserted": [first[0], line(GOOD[2])] + first[1:],
               "line_edited": [first[0], first[1], line({**GOOD[1], "chunk": "sv660 e100.2"})],
               "reject_fixed": [first[0], line(GOOD[2]), first[2]]}[change]
    source.write_bytes(b"\n".join(changed) + b"\n")
    capsys.readouterr()
    assert run_filter(source, output) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "now holds another record" in err and "new output" in err, err
    assert (output.read_bytes(), output.with_suffix(".rejects.jsonl").read_bytes()) == written


def test_resuming_with_lines_appended_judges_only_the_new_lines(tmp_path: Path):
    source, output = tmp_path / "pairs.jsonl", tmp_path / "judged.jsonl"
    source.write_bytes(line(GOOD[0]) + b"\n" + line(GOOD[1]) + b"\n")
    assert run_filter(source, output) == 0
    source.write_bytes(source.read_bytes() + line(GOOD[2]) + b"\n")
    assert run_filter(source, output) == 0
    assert judged_ids(output) == [(1, "a"), (2, "b"), (3, "c")]


@pytest.mark.parametrize("where", ["output", "rejects"])
def test_an_output_that_cannot_be_read_back_is_refused_not_a_hang(where: str, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture):
    # Before: `-o /dev/stdout | cat` or a FIFO hung forever (the resume reads the output back first), and the
    # default rejects file of /dev/stdout was created as /dev/stdout.rejects.jsonl.
    from tests.hang import finishes

    source, fifo = tmp_path / "pairs.jsonl", tmp_path / "fifo"
    source.write_bytes(line(GOOD[0]) + b"\n")
    os.mkfifo(fifo)
    paths = ["-o", str(fifo)] if where == "output" else ["-o", str(tmp_path / "out.jsonl"), "--rejects", str(fifo)]
    assert finishes(lambda: main(["filter", str(source), *paths, "--quiet"]), timeout_s=30) == 2
    assert "must be a regular file" in capsys.readouterr().err
    assert run_filter(source, tmp_path / "out.jsonl", "--rejects", os.devnull) == 0  # /dev/null is read as empty
