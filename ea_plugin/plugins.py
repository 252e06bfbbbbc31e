"""Backends and commands plug in through pluggy, as models and commands do in the `llm` CLI.

Two hooks:
- ``ea_register_backends(register)``: call ``register(name, factory)``; the factory takes the backend's
  keyword arguments and returns an object with ``score``/``generate`` (``ea_plugin.Backend``).
- ``ea_register_commands(subparsers)``: add ``ea-judge`` subcommands with ``subparsers.add_parser(...)``
  and ``set_defaults(func=...)`` (argparse), most simply as ``ea_plugin.arguments.Command(...).add_to(subparsers)``
  (the shared backend flags, one ``error:`` line per failure, and a ``python -m`` form from the same code).

Built-in backends and commands use the same hooks. Other packages expose theirs under the entry-point
group ``ea_plugin`` (this repository's ``integrations`` and ``training`` do: demo, retrieve, report, and the
training steps);
entry points are loaded once, on first use. ``EA_PLUGIN_LOAD_PLUGINS`` limits which load: unset, all;
empty, none; otherwise a comma-separated list of entry-point or distribution names. A plugin that fails
to import is skipped with a warning, and a name registered twice warns (the later registration wins).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import threading
import warnings
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

PROJECT = "ea_plugin"
LOAD_PLUGINS_ENV = "EA_PLUGIN_LOAD_PLUGINS"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
log = logging.getLogger(__name__)

BackendFactory = Callable[..., Any]
_BUILTIN_MODULES = (
    "ea_plugin.backends.rules",
    "ea_plugin.backends.transformers",
    "ea_plugin.backends.openai",
    "ea_plugin.cli",  # the built-in commands
    "ea_plugin.entity_commands",  # extract, catalog check
)


class PluginWarning(UserWarning):
    """A plugin was skipped or overrides another registration."""


class Specs:
    @hookspec
    def ea_register_backends(self, register: Callable[[str, BackendFactory], None]) -> None:
        """Register backends: call ``register(name, factory)`` once per backend."""

    @hookspec
    def ea_register_commands(self, subparsers: argparse._SubParsersAction) -> None:
        """Add ``ea-judge`` subcommands: ``subparsers.add_parser(name, ...).set_defaults(func=run)``,
        where ``run(args: argparse.Namespace) -> int`` is the exit status."""


_manager: pluggy.PluginManager | None = None
_lock = threading.Lock()


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager; built-ins and entry points are loaded on first call."""
    global _manager
    with _lock:
        if _manager is None:
            manager = pluggy.PluginManager(PROJECT)
            manager.add_hookspecs(Specs)
            for module_name in _BUILTIN_MODULES:
                manager.register(importlib.import_module(module_name), name=module_name)
            _load_entry_points(manager)
            _manager = manager
        return _manager


def _allowed(entry_point: EntryPoint) -> bool:
    wanted = os.environ.get(LOAD_PLUGINS_ENV)
    if wanted is None:
        return True
    names = {name.strip() for name in wanted.split(",") if name.strip()}
    dist = entry_point.dist.name if entry_point.dist is not None else None
    return entry_point.name in names or dist in names


def _load_entry_points(manager: pluggy.PluginManager) -> None:
    for entry_point in entry_points(group=PROJECT):
        if not _allowed(entry_point) or manager.get_plugin(entry_point.name) is not None:
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:  # a broken or half-installed plugin must not take the judge down
            warnings.warn(f"plugin {entry_point.name!r} ({entry_point.value}) not loaded: {type(exc).__name__}: "
                          f"{exc}", PluginWarning, stacklevel=3)
            continue
        manager.register(plugin, name=entry_point.name)


def register_plugin(plugin: object, name: str | None = None) -> None:
    """Register an in-process plugin (a module or object with hook implementations)."""
    get_plugin_manager().register(plugin, name=name)


def unregister_plugin(plugin: object) -> None:
    get_plugin_manager().unregister(plugin)


def backend_factories() -> dict[str, BackendFactory]:
    """Registered backends by name; a name registered twice warns and the later plugin's factory wins."""
    calls: list[tuple[str, BackendFactory]] = []
    get_plugin_manager().hook.ea_register_backends(register=lambda name, factory: calls.append((name, factory)))
    factories: dict[str, BackendFactory] = {}
    # pluggy calls the most recently registered plugin first: replay in registration order.
    for name, factory in reversed(calls):
        if name in factories and factories[name] is not factory:
            warnings.warn(f"backend {name!r} is registered twice: {qualname(factory)} overrides "
                          f"{qualname(factories[name])}", PluginWarning, stacklevel=2)
        factories[name] = factory
    return factories


def add_plugin_commands(subparsers: argparse._SubParsersAction) -> None:
    """Let every plugin (built-in commands included) add its subcommands; one whose registration fails (a bug, a
    name another plugin took) is skipped with a warning, so it cannot take ``ea-judge`` down with it."""
    hook = get_plugin_manager().hook.ea_register_commands
    for impl in reversed(hook.get_hookimpls()):  # pluggy's own calling order
        try:
            impl.function(subparsers=subparsers)
        except Exception as exc:  # noqa: BLE001 - any failure of a plugin's code
            warnings.warn(f"plugin {impl.plugin_name!r}: its commands were not added: {type(exc).__name__}: {exc}",
                          PluginWarning, stacklevel=2)


def qualname(factory: BackendFactory) -> str:
    """Where a factory comes from, for messages: module.QualifiedName."""
    return f"{factory.__module__}.{getattr(factory, '__qualname__', factory)}"
