"""The rules' hot modules compiled to C by mypyc: optional, the same judgements, fewer instructions a pair.

    ea-judge rules compile            # needs mypy (pip install "ea-plugin[compiled]") and a C compiler
    ea-judge rules status             # which build runs: compiled or pure Python
    ea-judge rules compile --remove   # back to pure Python

The extension modules are written beside their sources, wherever the package is installed (an editable checkout
too): Python imports an extension before a source of the same name. A stamp beside them records each source's
hash. A source edited after compiling would leave its old compiled code running, so then ``ea_plugin.rules``
imports the sources instead, with a :class:`StaleCompiledRulesWarning` (compile again, or remove the build).
This module is never compiled and imports nothing of the rules: it runs before them.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import json
import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ea_plugin.errors import EAPluginError

RULES = Path(__file__).resolve().parent / "rules"
# The modules a judgement spends its time in. records stays Python (its frozen dataclasses build slower compiled);
# catalog and learn gain nothing measurable.
MODULES = ("text", "words", "normalize", "codes", "products", "extract", "decision")
_GROUP = "_native"  # the shared library all compiled modules call into: ea_plugin/rules/_native__mypyc*.so
STAMP = ".compiled.json"


class CompileError(EAPluginError, RuntimeError):
    """The rules could not be compiled (mypyc missing, no C compiler, a failed build); the sources still run."""


class StaleCompiledRulesWarning(UserWarning):
    """A compiled rules module is older than its source: the sources run until it is compiled again."""


@dataclass(frozen=True)
class BuildState:
    compiled: tuple[str, ...]  # modules with an extension for this Python beside their source
    stale: tuple[str, ...]  # those whose source changed since they were compiled
    stamp: dict[str, object]  # what the build recorded (empty: none)

    @property
    def running(self) -> str:
        """What ``ea_plugin.rules`` runs: ``compiled (mypyc)``, ``pure Python`` (also where a compiled module is
        stale: every module then runs its source), or a mix (named) where only some were built."""
        if not self.compiled or self.stale:
            return "pure Python"
        if len(self.compiled) == len(MODULES):
            return "compiled (mypyc)"
        return f"partly compiled ({', '.join(self.compiled)})"


def _extension(module: str, folder: Path = RULES) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"{module}{suffix}"
        if path.exists():
            return path
    return None


def _source_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def state(folder: Path = RULES) -> BuildState:
    """Which rules modules have a compiled build for this Python in ``folder``, and which of them are stale."""
    compiled = tuple(m for m in MODULES if _extension(m, folder) is not None)
    if not compiled:
        return BuildState((), (), {})
    try:
        stamp = json.loads((folder / STAMP).read_text("utf-8"))
        sources = stamp["sources"]
    except (OSError, ValueError, KeyError, TypeError):  # no stamp (copied by hand) or a broken one: trust none
        return BuildState(compiled, compiled, {})
    stale = tuple(m for m in compiled if sources.get(m) != _source_hash(folder / f"{m}.py"))
    return BuildState(compiled, stale, stamp)


class _SourcesFirst(importlib.abc.MetaPathFinder):
    """Finds the stale modules' sources before the import system finds their extensions."""

    def __init__(self, stale: tuple[str, ...]) -> None:
        self.names = {f"ea_plugin.rules.{m}": RULES / f"{m}.py" for m in stale}

    def find_spec(self, fullname: str, path: object = None, target: ModuleType | None = None
                  ) -> importlib.machinery.ModuleSpec | None:
        source = self.names.get(fullname)
        return importlib.util.spec_from_file_location(fullname, source) if source is not None else None


def use_fresh_build() -> None:
    """Called by ``ea_plugin.rules`` before its modules load: where a compiled module is stale, every compiled
    module is passed over for its source (they call into one another) and a warning says so."""
    current = state()
    if not current.stale:
        return
    sys.meta_path.insert(0, _SourcesFirst(current.compiled))
    warnings.warn(f"ea_plugin.rules: {', '.join(f'{m}.py' for m in current.stale)} changed after the rules were "
                  "compiled; the sources run. Compile again (ea-judge rules compile) or remove the build "
                  "(ea-judge rules compile --remove).", StaleCompiledRulesWarning, stacklevel=2)


def remove(folder: Path = RULES) -> list[Path]:
    """Delete the compiled modules, the shared library and the stamp from ``folder``; returns what was deleted."""
    gone = []
    for path in folder.iterdir():
        name = path.name
        is_build = name == STAMP or (name.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)) and (
            name.split(".", 1)[0] in MODULES or name.startswith(f"{_GROUP}__mypyc")))
        if is_build:
            path.unlink()
            gone.append(path)
    return gone


def compile_rules(folder: Path = RULES, jobs: int | None = None) -> BuildState:
    """Compile MODULES of ``folder`` (an ``ea_plugin/rules`` directory) with mypyc, in place, and stamp the build.
    Raises CompileError where mypyc or a C compiler is missing or the build fails (nothing half-built is left)."""
    try:
        from mypyc.build import mypycify
        from setuptools import Distribution
    except ImportError as error:
        raise CompileError(f"compiling the rules needs mypyc (part of mypy) and setuptools: pip install "
                           f"\"ea-plugin[compiled]\" ({error})") from error
    root = folder.parent.parent  # the directory holding the ea_plugin package: module names are found from it
    try:
        remove(folder)
    except OSError as error:  # a read-only install (a system site-packages)
        raise CompileError(f"cannot write the compiled rules beside their sources in {folder}: {error}") from error
    started = time.perf_counter()
    log = io.StringIO()  # mypy's notes and the compiler's command lines: shown only where the build fails
    with tempfile.TemporaryDirectory(prefix="ea-rules-build-") as scratch, contextlib.redirect_stdout(log), \
            contextlib.redirect_stderr(log):
        cwd = os.getcwd()
        os.chdir(root)  # setuptools' in-place build writes each extension beside its source, relative to here
        try:
            # mypy's options first: no config file of the current directory, its cache in the scratch folder
            options = ["--config-file=", f"--cache-dir={scratch}/cache", "--ignore-missing-imports"]
            extensions = mypycify([*options, *(f"ea_plugin/rules/{m}.py" for m in MODULES)], opt_level="3",
                                  group_name=f"ea_plugin.rules.{_GROUP}", target_dir=f"{scratch}/c")
            distribution = Distribution({"name": "ea-plugin-rules", "ext_modules": extensions})
            build = distribution.get_command_obj("build_ext")
            build.inplace, build.build_temp, build.build_lib = True, f"{scratch}/temp", f"{scratch}/lib"
            build.parallel = jobs or os.cpu_count() or 1
            distribution.run_command("build_ext")
        except (SystemExit, Exception) as error:  # mypy's and distutils' failures exit or raise their own types
            remove(folder)
            raise CompileError(f"compiling the rules failed: {error!r} (a C compiler and Python's headers are "
                               f"needed; the sources still run)\n{log.getvalue()[-3000:]}") from error
        finally:
            os.chdir(cwd)
    stamp = {"python": sys.version.split()[0], "mypy": _mypy_version(), "seconds": round(time.perf_counter() - started),
             "sources": {m: _source_hash(folder / f"{m}.py") for m in MODULES}}
    (folder / STAMP).write_text(json.dumps(stamp, indent=1) + "\n", "utf-8")
    return state(folder)


def _mypy_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mypy")
    except PackageNotFoundError:
        return "unknown"
