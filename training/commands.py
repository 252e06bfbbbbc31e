"""`ea-judge serve`, registered through ea_plugin's commands hook (entry point ``training`` in group
``ea_plugin``)."""

from __future__ import annotations

import argparse

from ea_plugin.plugins import hookimpl


@hookimpl
def ea_register_commands(subparsers: argparse._SubParsersAction) -> None:
    from training import serve

    parser = subparsers.add_parser("serve", help="start vLLM for a trained judge with the training chat template")
    serve.add_arguments(parser)
    parser.set_defaults(func=serve.run)
