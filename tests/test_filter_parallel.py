"""`ea-judge filter --workers N`: worker processes give the same output files as one process, in input order,
and a step whose worker fails follows the judge's on_error policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ea_plugin.cli import main
from ea_plugin.errors import JudgeError
from ea_plugin.parallel import Engine, engine, failed_step
from integrations.corpus import load_chunks

QUESTIONS = ["md500参数F0-02怎么设？", "sv660n出现e100故障怎么办？", "is620p报警AL001"]


def write_input(path: Path, records: int = 700) -> Path:
    chunks = [c.text for c in load_chunks()]
    lines = [json.dumps({"question": QUESTIONS[i % 3], "chunk": chunks[i % len(chunks)], "n": i}, ensure_ascii=False)
             for i in range(records)]
    lines[5] = "{not json"
    lines[400] = json.dumps({"question": "q", "chunk": "  "})
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_filter(tmp_path: Path, name: str, *extra: str) -> tuple[bytes, bytes]:
    source = tmp_path / "in.jsonl"
    if not source.exists():
        write_input(source)
    out = tmp_path / f"{name}.jsonl"
    assert main(["filter", str(source), "-o", str(out), "--quiet", "--records-per-step", "50", *extra]) == 0
    return out.read_bytes(), out.with_suffix(".rejects.jsonl").read_bytes()


def test_two_worker_processes_write_the_same_files_as_one_process(tmp_path: Path):
    one = run_filter(tmp_path, "one")
    two = run_filter(tmp_path, "two", "--workers", "2")
    assert two == one
    rows = [json.loads(line) for line in one[0].splitlines()]
    assert [r["n"] for r in rows] == [n for n in range(700) if n not in (5, 400)]
    assert {r["ea"]["why"] for r in rows} >= {"aligned", "unaligned"}
    assert [json.loads(line)["line"] for line in one[1].splitlines()] == [6, 401]


def test_a_rerun_with_workers_resumes_after_what_one_process_wrote(tmp_path: Path):
    whole = run_filter(tmp_path, "whole")
    source, out = tmp_path / "in.jsonl", tmp_path / "part.jsonl"
    out.write_bytes(b"".join(line + b"\n" for line in whole[0].splitlines()[:123]))
    assert main(["filter", str(source), "-o", str(out), "--quiet", "--workers", "2"]) == 0
    assert out.read_bytes() == whole[0]


def test_workers_refuse_a_backend_that_takes_an_accelerator(capsys: pytest.CaptureFixture, tmp_path: Path):
    source = write_input(tmp_path / "in.jsonl")
    status = main(["filter", str(source), "-o", str(tmp_path / "o.jsonl"), "--workers", "2", "--backend",
                   "transformers", "--model", "m"])
    assert status == 2 and "one judge per GPU" in capsys.readouterr().err


class _DyingWorkers(Engine):
    """Every step's worker fails past the judge (as a crashed process or a lost Ray actor does)."""

    def _submit(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return pairs

    def _result(self, handle: object) -> list:
        raise ConnectionError("worker lost")


@pytest.mark.parametrize("on_error", ["keep", "drop"])
def test_a_step_whose_worker_fails_follows_on_error_for_each_pair(on_error: str):
    config = {"backend": "rules", "options": {"on_error": on_error, "mode": "think"}}
    steps = [("a", [("q1", "c1"), ("q2", "c2")]), ("b", [("q3", "c3")])]
    results = list(_DyingWorkers(config, window=2).map(steps))
    assert [tag for tag, _ in results] == ["a", "b"] and [len(r) for _, r in results] == [2, 1]
    decision = results[0][1][0]
    assert (decision.kept, decision.why) == ((True, "kept_on_error") if on_error == "keep" else
                                            (False, "dropped_on_error"))
    assert decision.error == "worker failed: ConnectionError: worker lost" and decision.mode == "think"
    with pytest.raises(JudgeError, match="worker failed: ConnectionError: lost"):
        failed_step({"backend": "rules", "options": {"on_error": "raise"}}, [("q", "c")], ConnectionError("lost"))


def test_the_local_engine_takes_no_ray_address():
    from ea_plugin.errors import OptionError

    with pytest.raises(OptionError, match="address"):
        engine("local", {"backend": "rules", "options": {}}, 2, address="ray://x:1")


def test_a_killed_worker_process_stops_the_run_with_what_was_written_kept(tmp_path: Path):
    import os
    import signal

    from ea_plugin.parallel import WorkersStopped

    config = {"backend": "rules", "options": {"mode": "think"}}
    steps = ((i, [("sv660n报e100", f"sv660n e{100 + i}")] * 20) for i in range(50))
    with engine("local", config, 2) as judging, pytest.raises(WorkersStopped, match="worker processes stopped"):
        for index, results in judging.map(steps):
            assert len(results) == 20
            if index == 0:
                os.kill(next(iter(judging.pool._processes)), signal.SIGKILL)


def test_a_catalog_that_cannot_be_read_fails_before_any_worker_starts(tmp_path: Path, capsys: pytest.CaptureFixture):
    source = write_input(tmp_path / "in.jsonl")
    status = main(["filter", str(source), "-o", str(tmp_path / "o.jsonl"), "--workers", "2", "--catalog",
                   str(tmp_path / "missing.yaml")])
    assert status == 2 and "missing.yaml" in capsys.readouterr().err
