"""Backends plug in through pluggy, as models do in the `llm` CLI.

A plugin implements ``ea_register_backends(register)`` and calls ``register(name, factory)``; the
factory takes the backend's keyword arguments and returns an object with ``score``/``generate``.
Built-in backends use the same hook. Third-party packages expose theirs under the entry-point group
``ea_plugin``; entry points are loaded once, on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pluggy

from ea_plugin.errors import UnknownBackendError

PROJECT = "ea_plugin"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

BackendFactory = Callable[..., Any]
_BUILTIN_MODULES = (
    "ea_plugin.backends.rules",
    "ea_plugin.backends.transformers",
    "ea_plugin.backends.openai",
)


class BackendSpecs:
    @hookspec
    def ea_register_backends(self, register: Callable[[str, BackendFactory], None]) -> None:
        """Register backends: call ``register(name, factory)`` once per backend."""


_manager: pluggy.PluginManager | None = None
_lock = threading.Lock()


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager; built-ins and entry points are loaded on first call."""
    global _manager
    with _lock:
        if _manager is None:
            import importlib

            manager = pluggy.PluginManager(PROJECT)
            manager.add_hookspecs(BackendSpecs)
            for module_name in _BUILTIN_MODULES:
                manager.register(importlib.import_module(module_name), name=module_name)
            manager.load_setuptools_entrypoints(PROJECT)
            _manager = manager
        return _manager


def register_plugin(plugin: object, name: str | None = None) -> None:
    """Register an in-process plugin (a module or object with ``ea_register_backends``)."""
    get_plugin_manager().register(plugin, name=name)


def unregister_plugin(plugin: object) -> None:
    get_plugin_manager().unregister(plugin)


def backend_factories() -> dict[str, BackendFactory]:
    factories: dict[str, BackendFactory] = {}

    def register(name: str, factory: BackendFactory) -> None:
        factories[name] = factory

    get_plugin_manager().hook.ea_register_backends(register=register)
    return factories


def create_backend(name: str, **kwargs: Any) -> Any:
    factories = backend_factories()
    if name not in factories:
        raise UnknownBackendError(f"no backend named {name!r}; registered: {sorted(factories)}")
    return factories[name](**kwargs)
