"""Checks for option values, shared by the judge's options, its policy and every backend's options.

Each check raises OptionError naming the option, the rule it breaks and the value given, so a bad value
fails where the user gave it (at construction), not at the first call.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ea_plugin.errors import OptionError, UnknownOptionError

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
    # Never inf (an unbounded wait is a hang) nor NaN (no comparison holds): neither is a number in any span here.
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and \
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
    try:  # urlsplit and .port raise ValueError for an unclosed IPv6 bracket or a port past 65535
        parts = urlsplit(value) if isinstance(value, str) else None
        port_ok = parts is None or parts.port != 0
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        port = "" if port_ok else " and a port in 1-65535"
        raise OptionError(f"{name} must be an http:// or https:// URL with a host{port}, got {value!r}", option=name)


# -- each option declared once: a dataclass field with its default and its help ---------------------------
HELP = "help"  # the field metadata key holding an option's one-line help
REQUIRED = "required"  # OptionDoc.default of an option without a default


def option(help: str, default: Any = dataclasses.MISSING, *, default_factory: Any = dataclasses.MISSING) -> Any:
    """A field of an options dataclass: its default and its help, the one place either is written. The
    backend's keywords, the docs' tables and the command line's help are all read from here."""
    return dataclasses.field(default=default, default_factory=default_factory, metadata={HELP: help})


def same_as(options_type: type, name: str) -> Any:
    """A field declared as ``options_type``'s field ``name`` (its default and help), for an options class that
    takes the same option on another's behalf (the judge's options hold its policy's)."""
    source = next(f for f in dataclasses.fields(options_type) if f.name == name)
    return dataclasses.field(default=source.default, default_factory=source.default_factory,
                             metadata=source.metadata)


@dataclass(frozen=True)
class OptionDoc:
    name: str
    default: str  # as a user would write it (REQUIRED when there is none)
    help: str


def documented(options_type: type) -> list[OptionDoc]:
    """Each option of ``options_type``: name, default and help, in declaration order."""
    docs = []
    for f in dataclasses.fields(options_type):
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = repr(f.default_factory())
        else:
            default = REQUIRED
        docs.append(OptionDoc(f.name, default, f.metadata.get(HELP, "")))
    return docs


def option_table(options_type: type) -> str:
    """A Markdown table of ``options_type``'s options (the docs' tables are this, checked by a test)."""
    rows = ["| option | default | what it does |", "| --- | --- | --- |"]
    rows += [f"| `{d.name}` | {'required' if d.default == REQUIRED else f'`{d.default}`'} | {_cell(d.help)} |"
             for d in documented(options_type)]
    return "\n".join(rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def options_signature(options_type: type) -> inspect.Signature:
    """The keyword signature a backend taking ``options_type`` presents (``inspect.signature``, so load_judge
    checks option names against it): each field with its default, then ``options=`` a whole options object."""
    parameters: list[inspect.Parameter] = []
    keyword_only = False
    for f in dataclasses.fields(options_type):
        default: Any = inspect.Parameter.empty
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        # A required option after one with a default cannot be positional: it and the rest become keyword-only.
        keyword_only = keyword_only or (bool(parameters) and default is inspect.Parameter.empty and
                                        parameters[-1].default is not inspect.Parameter.empty)
        kind = inspect.Parameter.KEYWORD_ONLY if keyword_only else inspect.Parameter.POSITIONAL_OR_KEYWORD
        parameters.append(inspect.Parameter(f.name, kind, default=default, annotation=f.type))
    parameters.append(inspect.Parameter("options", inspect.Parameter.KEYWORD_ONLY, default=None,
                                        annotation=f"{options_type.__name__} | None"))
    return inspect.Signature(parameters)


def build_options(options_type: type[T], options: T | None, args: Sequence[Any], changes: Mapping[str, Any],
                  where: str) -> T:
    """``options_type`` from a backend's arguments: ``options`` (default: the defaults) with the positional
    ``args`` (in field order) and the keyword ``changes``; checked by the dataclass. An unknown name raises
    UnknownOptionError listing the valid ones (``where`` says whose)."""
    names = [f.name for f in dataclasses.fields(options_type)]  # type: ignore[arg-type]
    if len(args) > len(names):
        raise TypeError(f"{where} takes at most {len(names)} positional options, got {len(args)}")
    given = dict(zip(names, args, strict=False))
    for name, value in changes.items():
        if name not in names:
            raise UnknownOptionError(name, {f"{where} options": names}, where)
        if name in given:
            raise TypeError(f"{where} got option {name!r} twice (by position and by name)")
        given[name] = value
    if options is None:
        return options_type(**given)
    if not isinstance(options, options_type):
        raise OptionError(f"options must be a {options_type.__name__}, got {type(options).__name__}",
                          option="options")
    return dataclasses.replace(options, **given)  # type: ignore[type-var]
