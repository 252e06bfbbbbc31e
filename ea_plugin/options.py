"""Checks for option values, shared by the judge's options, its policy and every backend's options.

Each check raises OptionError naming the option, the rule it breaks and the value given, so a bad value
fails where the user gave it (at construction), not at the first call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ea_plugin.errors import OptionError

T = TypeVar("T")


def check_int(name: str, value: Any, minimum: int = 1, maximum: int | None = None, *, none_ok: bool = False) -> None:
    """An integer (not a bool) in [minimum, maximum]; with ``none_ok``, None too (meaning "the default")."""
    if value is None and none_ok:
        return
    bounds = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or \
            (maximum is not None and value > maximum):
        raise OptionError(f"{name} must be an integer {bounds}{' or None' if none_ok else ''}, got {value!r}",
                          option=name)


def check_number(name: str, value: Any, low: float, high: float | None = None, *, low_open: bool = False,
                 high_open: bool = False) -> None:
    """A real number (int or float, not a bool) between ``low`` and ``high``; an open end excludes itself."""
    left, right = "(" if low_open else "[", ")" if high_open or high is None else "]"
    span = f"{left}{low}, {'inf' if high is None else high}{right}"
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and \
        (value > low if low_open else value >= low) and \
        (high is None or (value < high if high_open else value <= high))
    if not ok:
        raise OptionError(f"{name} must be a number in {span}, got {value!r}", option=name)


def check_choice(name: str, value: Any, choices: Collection[Any]) -> None:
    if isinstance(value, bool) or value not in choices:
        raise OptionError(f"{name} must be one of {tuple(choices)}, got {value!r}", option=name)


def check_type(name: str, value: Any, types: type | tuple[type, ...], what: str) -> None:
    """``value`` is an instance of ``types``; ``what`` says so in words for the message."""
    if not isinstance(value, types):
        raise OptionError(f"{name} must be {what}, got {value!r}", option=name)


def check_http_url(name: str, value: Any) -> None:
    """An http(s) URL with a host: a typo such as ``127.0.0.1:8000/v1`` fails here, not as a connection error."""
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError(f"{name} must be an http:// or https:// URL with a host, got {value!r}", option=name)


def from_arguments(options_type: type[T], arguments: Mapping[str, Any]) -> T:
    """``options_type`` (a dataclass) built from a constructor's keyword arguments (``locals()``), so a
    backend keeps its keyword signature and checks its options in one place."""
    return options_type(**{f.name: arguments[f.name] for f in dataclasses.fields(options_type)})  # type: ignore[arg-type]
