"""Backends are found through pluggy: in-process registration and installed entry points."""

import subprocess
import sys
import textwrap

import pytest

from ea_plugin import UnknownBackendError, load_judge
from ea_plugin.plugins import backend_factories, hookimpl, register_plugin, unregister_plugin


class EchoBackend:
    name = "echo"

    def __init__(self, label="对齐"):
        self.label = label

    def score(self, pairs):
        from ea_plugin import Judgement

        return [Judgement(self.label, score=1.0, mode="fast", backend=self.name) for _ in pairs]

    generate = score


class EchoPlugin:
    @hookimpl
    def ea_register_backends(self, register):
        register("echo", EchoBackend)


def test_builtin_backends_register_through_the_hook():
    assert {"rules", "transformers", "openai"} <= set(backend_factories())


def test_in_process_plugin_is_found_and_gets_its_kwargs():
    plugin = EchoPlugin()
    register_plugin(plugin, name="echo-test")
    try:
        judge = load_judge("echo", label="不对齐", threshold=0.9)
        assert judge.policy.threshold == 0.9 and judge.backend.label == "不对齐"
    finally:
        unregister_plugin(plugin)
    with pytest.raises(UnknownBackendError):
        load_judge("echo")


def test_installed_entry_point_plugin_is_found(tmp_path):
    """A real distribution on sys.path whose entry_points.txt names a module in group ea_plugin."""
    (tmp_path / "ea_third_party.py").write_text(textwrap.dedent("""
        from ea_plugin.plugins import hookimpl
        from ea_plugin.backends.rules import RulesBackend

        class ThirdParty(RulesBackend):
            name = "third-party"

        @hookimpl
        def ea_register_backends(register):
            register("third-party", ThirdParty)
    """))
    dist = tmp_path / "ea_third_party-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ea-third-party\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[ea_plugin]\nthird = ea_third_party\n")
    code = "from ea_plugin import load_judge; print(load_judge('third-party').judge('sv660n', 'md500').backend)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(tmp_path), "PATH": ""}, check=True)
    assert out.stdout.strip() == "third-party"


def test_import_does_not_import_torch():
    code = "import sys, ea_plugin; ea_plugin.load_judge('rules'); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
