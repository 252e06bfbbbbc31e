"""Placeholder: the openai backend is being written (see issue 2)."""

from ea_plugin.plugins import hookimpl


@hookimpl
def ea_register_backends(register) -> None:  # noqa: ANN001
    pass
