"""`ea-judge demo`, `ea-judge retrieve` and `ea-judge report`, registered through ea_plugin's commands hook (entry point
``integrations`` in group ``ea_plugin``). Each is its module's ``COMMAND`` (also what ``python -m
integrations.<module>`` runs); neither module imports LlamaIndex until the demo runs."""

from __future__ import annotations

import argparse

from ea_plugin.plugins import hookimpl


@hookimpl
def ea_register_commands(subparsers: argparse._SubParsersAction) -> None:
    from integrations import demo, report, retrieve

    for module in (demo, retrieve, report):
        module.COMMAND.add_to(subparsers)
