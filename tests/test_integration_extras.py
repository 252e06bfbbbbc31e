"""Importing an integration whose host framework is missing fails with an ImportError naming the extra."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# integration module -> (the host's top-level package, the extra that installs it)
HOSTS = {
    "integrations.llamaindex": ("llama_index", "llamaindex"),
    "integrations.llamaindex_eval": ("llama_index", "llamaindex"),
    "integrations.llamaindex_embedding": ("llama_index", "llamaindex"),
    "integrations.langchain": ("langchain_core", "langchain"),
    "integrations.langchain_embedding": ("langchain_core", "langchain"),
    "integrations.haystack": ("haystack", "haystack"),
    "integrations.ray": ("ray", "ray"),
    "integrations.ragas": ("ragas", "ragas"),
    "integrations.deepeval": ("deepeval", "deepeval"),
}

# One interpreter for all modules: each import runs with its host hidden (sys.modules[name] = None makes any
# import of it fail as a missing module does) and the integrations re-imported from scratch.
PROBE = """
import json, sys
results = {}
for module, host in json.loads(sys.argv[1]).items():
    for name in [m for m in sys.modules if m.split(".")[0] in (host, "integrations")]:
        del sys.modules[name]
    sys.modules[host] = None
    try:
        __import__(module)
        results[module] = None
    except ImportError as exc:
        results[module] = [type(exc).__name__, str(exc), exc.name]
    del sys.modules[host]
print(json.dumps(results))
"""


def test_each_integration_names_its_extra_when_its_host_is_missing():
    hosts = {module: host for module, (host, _) in HOSTS.items()}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(hosts)], capture_output=True, text=True,
                          check=True, timeout=120)
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for module, (host, extra) in HOSTS.items():
        assert results[module] is not None, f"{module} imported without {host}"
        kind, message, name = results[module]
        assert kind == "MissingExtraError" and name.split(".")[0] == host, (module, results[module])
        assert f'pip install "ea-plugin[{extra}]"' in message and f" needs {host}, which is not installed" in message


def test_the_error_is_an_import_error_that_code_can_catch():
    from ea_plugin import MissingExtraError

    assert issubclass(MissingExtraError, ImportError)
    with pytest.raises(ImportError):
        raise MissingExtraError("x")


def test_a_backend_whose_extra_is_missing_names_it():
    """load_judge("transformers") without torch: once a bare ModuleNotFoundError, now the [local] extra."""
    probe = """
import sys
sys.modules["torch"] = None
from ea_plugin import MissingExtraError, load_judge
try:
    load_judge("transformers", model="m")
except MissingExtraError as exc:
    print(exc)
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == 'the transformers backend needs torch, which is not installed: pip install ' \
        '"ea-plugin[local]"', done.stdout + done.stderr
