"""Every expected failure of a command is one `error:` line that says the fix, never a traceback (issue 24, items
13, 14 and 16): usage errors exit 2, a command that could not finish exits 1, Ctrl-C 130 with what is safe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ea_plugin import load_judge
from ea_plugin.backends.rules import RulesBackend
from ea_plugin.cli import main
from ea_plugin.errors import OptionError
from ea_plugin.plugins import hookimpl, register_plugin, unregister_plugin
from ea_plugin.rules.catalog import CatalogError
from tests.test_commands import ea_judge_without

REPO = Path(__file__).resolve().parents[1]


def one_error_line(capsys: pytest.CaptureFixture, prog: str = "ea-judge") -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if ": error: " in line]
    assert len(lines) == 1 and lines[0].startswith(prog), err
    return lines[0]


@pytest.mark.parametrize("question", ["", "   ", "\n"])
def test_an_empty_question_is_a_usage_error(question: str, capsys: pytest.CaptureFixture):
    assert main(["judge", question, "md500 e100"]) == 2
    assert "question: must not be empty" in one_error_line(capsys, "ea-judge judge")


def test_the_openai_backend_without_base_url_names_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture):
    source = tmp_path / "pairs.jsonl"
    source.write_text('{"question": "q", "chunk": "c"}\n', encoding="utf-8")
    assert main(["filter", str(source), "-o", str(tmp_path / "out.jsonl"), "--backend", "openai", "--model", "m"]) == 2
    assert "needs base_url (--base-url)" in one_error_line(capsys, "ea-judge filter")


def test_a_mistyped_backend_gets_a_did_you_mean(capsys: pytest.CaptureFixture):
    assert main(["judge", "q", "c", "--backend", "rule"]) == 2
    line = one_error_line(capsys)
    assert "no backend named 'rule' (did you mean 'rules'?)" in line and not line.endswith("'")


@pytest.mark.parametrize(("argv", "suggested"), [
    (["judge", "q", "c", "--treshold", "0.3"], "--threshold"),
    (["filter", "in.jsonl", "-o", "out.jsonl", "--records-per-stp", "2"], "--records-per-step"),
    (["catalog", "check", "x.yaml", "--jsn"], None),
])
def test_a_mistyped_option_gets_a_did_you_mean(argv: list[str], suggested: str | None, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments" in err
    assert (f"(did you mean {suggested}?)" in err) if suggested else "did you mean" not in err


@pytest.mark.parametrize(("argv", "suggested"), [
    (["filtr", "in.jsonl"], "'filter'"),
    (["judge", "q", "c", "--mode", "fsat"], "'fast'"),
    (["judge", "q", "c", "--on-error", "kep"], "'keep'"),
    # Before: a mistyped profile was found only after the convert step had run.
    (["run", "--labelled", "in", "--work", "w", "--profile", "lroa"], "'lora'"),
])
def test_a_mistyped_choice_gets_a_did_you_mean(argv: list[str], suggested: str, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err and f"(did you mean {suggested}?" in err


@pytest.mark.parametrize("cascade", [False, 0, "ab", (0.1, "x"), (0.2, float("nan")), (0.9, 0.1)])
def test_a_cascade_that_is_not_two_numbers_is_an_option_error(cascade: object):
    with pytest.raises(OptionError, match="cascade must be"):
        load_judge("rules", cascade=cascade)


def test_a_catalog_path_with_a_nul_is_a_catalog_error():
    with pytest.raises(CatalogError, match="without NUL"):
        load_judge("rules", catalog="a\x00b")


def test_a_model_that_is_not_in_the_offline_cache_is_one_line(capsys: pytest.CaptureFixture):
    pytest.importorskip("transformers")
    assert main(["judge", "q", "c", "--backend", "transformers", "--model", "no-such-org/no-such-model-ea"]) == 1
    assert "hf download" in one_error_line(capsys)


@pytest.mark.parametrize("option", ["--model", "--adapter"])
def test_a_model_path_that_is_not_there_says_so(option: str, tmp_path: Path, capsys: pytest.CaptureFixture):
    # Before: the hub's loader read the path as a hub id: "Repo id must be in the form 'repo_name'...".
    missing = str(tmp_path / "runs" / "merged")
    argv = ["judge", "q", "c", "--backend", "transformers", "--model", "Qwen/Qwen3-8B", option, missing]
    assert main(argv) == 2
    assert f"{option[2:]} {missing}: no such directory" in one_error_line(capsys)


def test_a_backend_whose_extra_is_missing_names_the_extra():
    result = ea_judge_without("torch", "judge", "q", "c", "--backend", "transformers", "--model", "m",
                              EA_PLUGIN_LOAD_PLUGINS="")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert 'pip install "ea-plugin[local]"' in result.stderr


class _InterruptedBackend(RulesBackend):
    """Answers two calls (fast or think mode), then the user presses Ctrl-C once."""

    calls = 0

    def _call(self, method, pairs):
        type(self).calls += 1
        if type(self).calls == 3:
            raise KeyboardInterrupt
        return method(pairs)

    def score(self, pairs):
        return self._call(super().score, pairs)

    def generate(self, pairs):
        return self._call(super().generate, pairs)


class _InterruptedPlugin:
    @hookimpl
    def ea_register_backends(self, register):
        register("interrupted", _InterruptedBackend)


@pytest.fixture
def interrupted_backend():
    """The backend "interrupted" (a real plugin), its call count at zero."""
    _InterruptedBackend.calls = 0
    plugin = _InterruptedPlugin()
    register_plugin(plugin, name="interrupted")
    yield "interrupted"
    unregister_plugin(plugin)


def five_pairs(path: Path) -> Path:
    path.write_text("".join(json.dumps({"question": "sv660n报e100", "chunk": f"sv660n e10{i}"}) + "\n"
                            for i in range(5)), encoding="utf-8")
    return path


def test_ctrl_c_in_filter_says_what_is_safe_and_that_a_rerun_resumes(tmp_path: Path, capsys, interrupted_backend):
    source, output = five_pairs(tmp_path / "pairs.jsonl"), tmp_path / "out.jsonl"
    argv = ["filter", str(source), "-o", str(output), "--backend", interrupted_backend, "--mode", "fast",
            "--records-per-step", "1", "--batch-size", "1", "--quiet"]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and "2 records are safe" in err and "again to resume" in err
    assert len(output.read_text(encoding="utf-8").splitlines()) == 2


def _read_only_dir(tmp_path: Path) -> Path:
    """A directory this process cannot write in: chmod 555, or (as root, whom modes do not stop) /sys."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if not os.access(folder, os.W_OK):
        return folder
    sys_dir = Path("/sys/ea-judge-test")
    try:
        sys_dir.mkdir()
    except OSError:
        return sys_dir.parent
    sys_dir.rmdir()
    pytest.skip("no read-only directory here")


EXAMPLES = REPO / "training" / "examples"


@pytest.mark.parametrize("command", ["convert", "label"])
@pytest.mark.parametrize("where", ["file-as-directory", "read-only"])
def test_an_output_that_cannot_be_written_is_one_line(command: str, where: str, tmp_path: Path, capsys):
    if where == "file-as-directory":
        (tmp_path / "a-file").write_text("x")
        out = tmp_path / "a-file" / "out"
    else:
        out = _read_only_dir(tmp_path) / "out"
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"question": "sv660n报e100", "chunk": "md500 e100"}) + "\n", encoding="utf-8")
    argv = {"convert": ["convert", "--aligned", str(EXAMPLES / "aligned.json"), "--output", str(out / "train.json")],
            "label": ["label", str(pairs), "--out", str(out), "--quiet"]}[command]
    assert main(argv) == 1
    line = one_error_line(capsys, f"ea-judge {command}")
    assert str(tmp_path / "a-file") in line or "ermi" in line or "ead-only" in line


def test_ctrl_c_in_label_says_what_is_safe_and_that_a_rerun_resumes(tmp_path: Path, capsys, interrupted_backend):
    pairs, out = five_pairs(tmp_path / "pairs.jsonl"), tmp_path / "labelled"
    argv = ["label", str(pairs), "--out", str(out), "--backend", interrupted_backend, "--records-per-step", "1",
            "--quiet"]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and "2 labelled pairs are safe" in err and "again to resume" in err
    assert main(argv) == 0  # the rerun labels the other three
    assert "skipped_as_done=2" in capsys.readouterr().err


def test_a_reader_that_stops_early_is_no_error():
    """`ea-judge extract ... | head -1` once ended with "error: [Errno 32] Broken pipe". The output (thousands of
    entities) is larger than a pipe holds, so the writer meets the closed pipe whatever the timing."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "EA_PLUGIN_LOAD_PLUGINS": ""}
    text = "报警 " + " ".join(f"E{n}" for n in range(100, 4100))
    writer = subprocess.Popen([sys.executable, "-m", "ea_plugin.cli", "extract", text], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env)
    assert writer.stdout is not None and writer.stderr is not None
    first = writer.stdout.readline()
    writer.stdout.close()  # the reader stops after one line, as head -1 does
    err = writer.stderr.read().decode()
    assert writer.wait(timeout=120) == 141 and first and err == ""


def test_every_extra_a_missing_module_names_exists_in_pyproject():
    import tomllib

    from ea_plugin.errors import EXTRA_OF_MODULE

    extras = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert set(EXTRA_OF_MODULE.values()) <= set(extras), set(EXTRA_OF_MODULE.values()) - set(extras)


# -- a run whose judgements failed says so (second adversarial pass; issue 24 item 15 beyond filter) ---------
class _DownBackend:
    """A server that is down (``up`` False): every judgement fails, as with a wrong --base-url port."""

    name = "down"
    up = False

    def generate(self, pairs: list) -> list:
        from ea_plugin import ALIGNED, Judgement

        if _DownBackend.up:
            return [Judgement(ALIGNED, backend=self.name) for _ in pairs]
        return [Judgement.failed("server unreachable at http://127.0.0.1:9/v1", backend=self.name) for _ in pairs]

    score = generate


class _DownPlugin:
    @hookimpl
    def ea_register_backends(self, register):
        register("down", _DownBackend)


@pytest.fixture
def down_backend():
    _DownBackend.up = False
    plugin = _DownPlugin()
    register_plugin(plugin, name="down")
    yield "down"
    unregister_plugin(plugin)


def _failing_run(command: str, tmp_path: Path) -> list[str]:
    pairs = five_pairs(tmp_path / "pairs.jsonl")
    retrieved = tmp_path / "retrieved.jsonl"
    retrieved.write_text(json.dumps({"question": "sv660n报e100", "contexts": ["sv660n e100", "md500 e100"]}) + "\n",
                         encoding="utf-8")
    return {"judge": ["judge", "sv660n报e100", "md500 e100"],
            "examples": ["examples"],
            "report": ["report", str(retrieved), "-o", str(tmp_path / "report"), "--quiet"],
            "select": ["select", str(pairs), "--out", str(tmp_path / "chosen.jsonl"), "--count", "2"],
            "evaluate": ["evaluate", "--data", str(EXAMPLES / "aligned.json"), "--out", str(tmp_path / "eval")],
            "label": ["label", str(pairs), "--out", str(tmp_path / "labelled"), "--quiet"]}[command]


@pytest.mark.parametrize("command", ["judge", "examples", "report", "select", "evaluate", "label"])
def test_a_run_whose_judgements_all_failed_exits_1_with_one_warning(command: str, tmp_path: Path, capsys,
                                                                    down_backend):
    # Before: each exited 0 (label wrote every pair as a teacher_error reject and never asked again).
    argv = [*_failing_run(command, tmp_path), "--backend", down_backend]
    assert main(argv) == 1
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if ": warning: " in line]
    assert "Traceback" not in err and len(warnings) == 1, err
    assert warnings[0].startswith(f"ea-judge {command}: warning: ") and "judgements failed" in warnings[0]
    if command == "label":  # the server is back: the same command asks again for every failed pair
        _DownBackend.up = True
        assert main(argv) == 0
        stats = json.loads((tmp_path / "labelled" / "label_stats.json").read_text(encoding="utf-8"))
        assert stats["rejected_by_category"].get("teacher_error", 0) == 0, stats  # each pair got an answer


def test_evaluate_on_a_file_without_labels_is_one_line_not_a_traceback(tmp_path: Path, capsys):
    pairs = five_pairs(tmp_path / "pairs.jsonl")
    assert main(["evaluate", "--data", str(pairs), "--out", str(tmp_path / "eval"), "--backend", "rules"]) == 2
    line = one_error_line(capsys, "ea-judge evaluate")
    assert "holds no labelled pair" in line and "missing or invalid: ['label']" in line


@pytest.mark.parametrize("entry", ["ea-judge", "python -m training.label"])
def test_ctrl_c_while_the_command_starts_is_one_line(entry: str, monkeypatch, capsys):
    # Before: Ctrl-C in the first second (the plugins' modules importing) printed a 40-line traceback.
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    if entry == "ea-judge":
        monkeypatch.setattr("ea_plugin.cli.add_plugin_commands", interrupted, raising=False)
        monkeypatch.setattr("ea_plugin.plugins.add_plugin_commands", interrupted)
        status = main(["filter", "in.jsonl", "-o", "out.jsonl"])
    else:
        import dataclasses

        from training import label

        monkeypatch.setattr(label, "COMMAND", dataclasses.replace(label.COMMAND, configure=interrupted))
        status = label.main(["in.jsonl", "--out", "x"])
    err = capsys.readouterr().err
    assert status == 130 and err.count("\n") == 1 and "interrupted while starting: nothing was run" in err, err


def test_evaluating_no_pairs_is_a_named_error_wherever_it_is_called():
    # `ea-judge run`'s evaluate step calls evaluate() directly: an empty set was a TypeError there too.
    from training.evaluate import NoLabelledPairs, evaluate

    with pytest.raises(NoLabelledPairs, match="no labelled pair"):
        evaluate(load_judge("rules"), [], show_progress=False)


@pytest.mark.parametrize(("argv", "says"), [
    # Before: --eval-limit -3 evaluated all but the last 3 pairs, silently; --port 99999 reached vLLM.
    (["run", "--work", "w", "--eval-limit", "-3"], "argument --eval-limit: must be >= 1, got -3"),
    (["run", "--work", "w", "--eval-batch-size", "0"], "argument --eval-batch-size: must be >= 1, got 0"),
    (["serve", "--model", "m", "--port", "99999"], "argument --port: must be a port in 1-65535, got 99999"),
])
def test_numbers_out_of_range_are_usage_errors(argv: list[str], says: str, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert says in one_error_line(capsys, f"ea-judge {argv[0]}")


def test_a_retriever_that_is_not_callable_is_one_line(tmp_path: Path, capsys):
    # Before: --retriever os:path (a module, not a factory) was a TypeError traceback.
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "sv660n报e100"}) + "\n", encoding="utf-8")
    status = main(["mine", "--questions", str(questions), "--corpus", str(questions), "--retriever", "os:path",
                   "--out", str(tmp_path / "m.jsonl")])
    line = one_error_line(capsys, "ea-judge mine")
    assert status == 1 and "os:path: path is a module, not a function or class" in line
    # A factory that takes other arguments was the call's TypeError traceback (os:getcwd takes none).
    status = main(["mine", "--questions", str(questions), "--corpus", str(questions), "--retriever",
                   "os.path:basename", "--out", str(tmp_path / "m.jsonl")])
    line = one_error_line(capsys, "ea-judge mine")
    assert status == 1 and "basename cannot be called as FACTORY(chunks, top_k)" in line


def test_evaluate_without_matplotlib_writes_its_metrics_and_says_how_to_get_the_plot(tmp_path: Path, capsys,
                                                                                    monkeypatch):
    # Before: every pair was judged, then the missing [report] extra failed the command (exit 1) at report.png.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = tmp_path / "eval"
    assert main(["evaluate", "--data", str(EXAMPLES / "aligned.json"), "--out", str(out), "--backend", "rules"]) == 0
    assert (out / "metrics.json").exists() and (out / "predictions.jsonl").exists()
    assert not (out / "report.png").exists()
    assert 'report.png left out: matplotlib is not installed' in capsys.readouterr().err


def test_mine_over_a_corpus_without_usable_chunks_says_so(tmp_path: Path, capsys):
    # Before: "--questions needs --corpus (built-in BM25) or --retriever", though --corpus was given.
    pairs = five_pairs(tmp_path / "pairs.jsonl")
    assert main(["mine", "--questions", str(pairs), "--question-field", "question", "--corpus", str(pairs), "--out",
                 str(tmp_path / "m.jsonl")]) == 1
    assert "the corpus has no usable chunks" in one_error_line(capsys, "ea-judge mine")
