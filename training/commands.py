"""The training package's ``ea-judge`` subcommands (mine, select, label, convert, run, evaluate, serve), registered
through ea_plugin's commands hook (entry point ``training`` in group ``ea_plugin``). Each is its module's
``COMMAND``, which is also what ``python -m training.<module>`` runs."""

from __future__ import annotations

import argparse

from ea_plugin.plugins import hookimpl


@hookimpl
def ea_register_commands(subparsers: argparse._SubParsersAction) -> None:
    from training import convert, evaluate, label, mine, run, select, serve

    for module in (mine, select, label, convert, run, evaluate, serve):
        module.COMMAND.add_to(subparsers)
