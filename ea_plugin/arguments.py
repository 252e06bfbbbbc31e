"""What every ``ea-judge`` command shares: the parser (a mistyped option gets a did-you-mean), the backend flags
of every command that judges, and the way a command fails: one ``error:`` line that says the fix.

Backend flags, the same for every command: ``--backend NAME``, the backend's options as ``--option KEY=VALUE``
(repeatable; a value that reads as JSON is converted: numbers, true, null) and the shortcuts ``--model``,
``--adapter``, ``--base-url``, ``--api-key`` and ``--catalog``; the judge's own options (``--mode``,
``--threshold``, ``--on-error``, ``--batch-size``) where the command lets the user choose them.

A command is a ``Command``: its name, help, and ``configure(parser)`` adding its arguments and
``set_defaults(func=...)``. ``Command.add_to(subparsers)`` makes it an ``ea-judge`` subcommand (through the commands
hook) and ``Command.main(argv)`` the ``python -m`` form of the same code.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ea_plugin._moved import moved_names
from ea_plugin.errors import EAPluginError, OptionError, missing_extra

if TYPE_CHECKING:
    from ea_plugin.judge import AlignmentJudge

FAILED = 1  # exit status of a command that could not finish
INTERRUPTED = 130  # Ctrl-C
BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a writer whose reader closed the pipe

__getattr__ = moved_names(__name__, "ea_plugin.errors", {"EXTRA_OF_MODULE": "EXTRA_OF_MODULE"})


# -- the parser -------------------------------------------------------------------------------------------
class Parser(argparse.ArgumentParser):
    """argparse with a did-you-mean for an option it does not know (``--treshold`` -> ``--threshold``) and for a
    value outside an option's or the subcommands' choices (``filtr`` -> ``filter``); its subcommands' parsers are of
    this class too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> argparse.Namespace:  # type: ignore[override]
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            parser = self._innermost(parsed)
            parser.error(f"unrecognized arguments: {' '.join(extras)}{parser.suggestion(extras)}")
        return parsed

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """A value outside ``choices`` (a subcommand, --mode, --on-error) names the closest choice."""
        choices = action.choices
        if choices is not None and value not in choices:
            close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
            if close:
                listed = ", ".join(repr(c) for c in choices)
                raise argparse.ArgumentError(action, f"invalid choice: {value!r} (did you mean {close[0]!r}?; "
                                                     f"choose from {listed})")
        super()._check_value(action, value)

    def _innermost(self, parsed: argparse.Namespace) -> Parser:
        """The (sub)command's parser that read the arguments: its options are the ones to suggest."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                chosen = action.choices.get(getattr(parsed, action.dest, None) or "")
                if isinstance(chosen, Parser):
                    return chosen._innermost(parsed)
        return self

    def suggestion(self, extras: Sequence[str]) -> str:
        known = [option for action in self._actions for option in action.option_strings
                 if option.startswith("--") and action.help is not argparse.SUPPRESS]
        for extra in extras:
            if extra.startswith("--"):
                close = difflib.get_close_matches(extra.split("=", 1)[0], known, n=1, cutoff=0.6)
                if close:
                    return f" (did you mean {close[0]}?)"
        return ""


def int_at_least(minimum: int) -> Callable[[str], int]:
    """argparse type: an integer >= ``minimum`` (argparse turns the error into a one-line usage error)."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    parse.__name__ = f"int >= {minimum}"  # what argparse names in "invalid ... value"
    return parse


positive_int = int_at_least(1)


def fraction(low_open: bool = False) -> Callable[[str], float]:
    """argparse type: a number in [0, 1] (or (0, 1] with ``low_open``)."""

    def parse(text: str) -> float:
        value = float(text)
        if not (0.0 < value if low_open else 0.0 <= value) or not value <= 1.0:
            raise argparse.ArgumentTypeError(f"must be in {'(' if low_open else '['}0, 1], got {text}")
        return value

    parse.__name__ = "number in (0, 1]" if low_open else "number in [0, 1]"
    return parse


def parse_options(items: Sequence[str], flag: str = "--option") -> dict[str, Any]:
    """``KEY=VALUE`` options (of ``flag``); values that read as JSON (numbers, true, null) are converted."""
    options: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise OptionError(f"{flag} needs KEY=VALUE, got {item!r}", option=flag.lstrip("-"))
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options


# -- backend flags ----------------------------------------------------------------------------------------
JUDGE_FLAGS = ("mode", "threshold", "on_error", "batch_size")
SHORTCUTS = ("model", "adapter", "base_url", "api_key", "catalog")


def shortcut_help(option: str) -> str:
    """A shortcut flag's help: the option's own help (its dataclass field's) for each built-in backend taking it."""
    from ea_plugin.backends.openai.backend import OpenAIOptions
    from ea_plugin.backends.rules import RulesOptions
    from ea_plugin.backends.transformers.backend import TransformersOptions
    from ea_plugin.options import documented

    backends = (("rules", RulesOptions), ("transformers", TransformersOptions), ("openai", OpenAIOptions))
    helps = [f"{name}: {doc.help}" for name, options in backends for doc in documented(options) if doc.name == option]
    return "; ".join(helps).replace("%", "%%")  # argparse formats help with %


def judge_help(option: str) -> str:
    """A judge flag's help: JudgeOptions' own for that field (Markdown backticks dropped)."""
    from ea_plugin.judge import JudgeOptions
    from ea_plugin.options import documented

    doc = next(d for d in documented(JudgeOptions) if d.name == option)
    return doc.help.replace("`", "").replace("%", "%%")


def add_backend_arguments(parser: argparse.ArgumentParser, *, default: str = "rules",
                          judge_flags: Sequence[str] = JUDGE_FLAGS, what: str = "the judge") -> None:
    """``--backend``, ``--option KEY=VALUE``, the shortcuts and the judge flags named in ``judge_flags``."""
    group = parser.add_argument_group("backend")
    group.add_argument("--backend", default=default,
                       help=f"{what}: rules, transformers, openai, or a plugin's name (default {default})")
    group.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                       help="a backend option (repeatable; `ea-judge backends` lists each backend's options with "
                            "their defaults and help)")
    group.add_argument("--model", help=shortcut_help("model"))
    group.add_argument("--adapter", help=shortcut_help("adapter"))
    group.add_argument("--base-url", help=shortcut_help("base_url"))
    group.add_argument("--api-key", help=shortcut_help("api_key"))
    group.add_argument("--catalog", action="append", metavar="FILE", help=shortcut_help("catalog") + "; repeatable")
    flags: dict[str, Callable[[], Any]] = {
        "mode": lambda: group.add_argument("--mode", choices=["fast", "think"], help=judge_help("mode")),
        "threshold": lambda: group.add_argument("--threshold", type=float, help=judge_help("threshold")),
        "on_error": lambda: group.add_argument("--on-error", choices=["keep", "drop", "raise"],
                                               help=judge_help("on_error")),
        "batch_size": lambda: group.add_argument("--batch-size", type=positive_int, help=judge_help("batch_size")),
    }
    for name in judge_flags:
        flags[name]()


@dataclass(frozen=True)
class BackendChoice:
    """A backend and its options as the command line gave them (the typed form library functions take)."""

    name: str = "rules"
    options: dict[str, Any] = field(default_factory=dict)  # the backend's: model, base_url, catalog, ...
    judge: dict[str, Any] = field(default_factory=dict)  # the judge's: mode, threshold, on_error, batch_size

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> BackendChoice:
        options = {name: getattr(args, name, None) for name in SHORTCUTS}
        options.update(parse_options(getattr(args, "option", None) or []))
        judge = {name: getattr(args, name, None) for name in JUDGE_FLAGS}
        return cls(args.backend, {k: v for k, v in options.items() if v is not None},
                   {k: v for k, v in judge.items() if v is not None})

    def config(self, **defaults: Any) -> dict[str, Any]:
        """The judge as ``AlignmentJudge.config()`` writes it down (workers build it from that): ``defaults`` (a
        command's own, e.g. mode="think") give way to what the user gave."""
        return {"backend": self.name, "options": {**defaults, **self.options, **self.judge}}

    @property
    def files_read(self) -> list[str]:
        """The files the judge reads (its catalogs): inputs of the command, which no output may overwrite."""
        return catalog_files(self.options)

    def load(self, **defaults: Any) -> AlignmentJudge:
        """The judge ``config(**defaults)`` describes."""
        from ea_plugin.judge import judge_from_config

        return judge_from_config(self.config(**defaults))


def judge_config_from_args(args: argparse.Namespace, **defaults: Any) -> dict[str, Any]:
    """The judge of the commands that show judgements (judge, examples, filter, demo, retrieve, report), as a
    configuration: the backend flags' choice, where the rules backend judges in think mode unless --mode says
    otherwise (it writes its four-step reasoning there)."""
    choice = BackendChoice.from_args(args)
    if choice.name == "rules":
        defaults.setdefault("mode", "think")
    return choice.config(**defaults)


def judge_from_args(args: argparse.Namespace, **defaults: Any) -> AlignmentJudge:
    """``judge_config_from_args``' judge."""
    from ea_plugin.judge import judge_from_config

    return judge_from_config(judge_config_from_args(args, **defaults))


def catalog_files(options: Mapping[str, Any]) -> list[str]:
    """The catalog paths among a backend's options (``--catalog`` or ``--option catalog=...``: one or a list)."""
    catalog = options.get("catalog")
    paths = catalog if isinstance(catalog, list | tuple) else [catalog]
    return [str(path) for path in paths if isinstance(path, str | os.PathLike)]


# -- commands ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    """One command: ``ea-judge NAME`` through the commands hook, and ``python -m MODULE`` through ``main``."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]  # adds the arguments and set_defaults(func=...)
    description: str | None = None

    def add_to(self, subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
        parser = subparsers.add_parser(self.name, help=self.help, description=self.description or self.help)
        self.configure(parser)
        return parser

    def main(self, argv: Sequence[str] | None = None, prog: str | None = None) -> int:
        parser = Parser(prog=prog or f"ea-judge {self.name}", description=self.description or self.help)

        def parse() -> argparse.Namespace:
            self.configure(parser)
            return parser.parse_args(sys.argv[1:] if argv is None else list(argv))

        args = start(parser.prog, parse)
        return args if isinstance(args, int) else run_command(parser.prog, args)


def start(prog: str, parse: Callable[[], argparse.Namespace]) -> argparse.Namespace | int:
    """``parse()``'s arguments; Ctrl-C meanwhile (building a parser imports the plugins' modules, a second or
    more) is one line and INTERRUPTED, not a traceback from inside an import."""
    try:
        return parse()
    except KeyboardInterrupt:
        print(f"{prog}: interrupted while starting: nothing was run", file=sys.stderr)
        return INTERRUPTED


def print_counts(counts: Mapping[str, Any]) -> None:
    """A data command's counts, ``key=value`` on one line of stderr (stdout stays free for data)."""
    print(" ".join(f"{k}={v}" for k, v in counts.items()), file=sys.stderr)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with what a command kept and how to go on (printed by run_command)."""


def run_command(prog: str, args: argparse.Namespace) -> int:
    """Run ``args.func(args)``; an expected failure is one ``PROG: error: ...`` line on stderr and an exit status
    (2: something given cannot be used; 1: the command could not finish), never a traceback."""
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # the reader went away (`ea-judge examples | head -1`): nothing to say, nobody to hear
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush does not fail again
        return BROKEN_PIPE
    except KeyboardInterrupt as exc:
        detail = f": {exc}" if isinstance(exc, Interrupted) else ""
        print(f"{prog}: interrupted{detail}", file=sys.stderr)
        return INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the expected kinds become one line; anything else is re-raised
        message, status = explain(exc)
        if message is None:
            raise
        fail(prog, message)
        return status


MAX_FAILED_SHARE = 0.5  # past this share of failed judgements a command's run is reported as failed (exit 1)


def judgements_failed(prog: str, failed: int, total: int, first: str | None = None,
                      fix: str = "fix the backend (e.g. --base-url, --model) and run again") -> int:
    """FAILED after one ``PROG: warning:`` line when more than half of ``total`` judgements failed (a wrong
    port, a server down: a run that would otherwise look like success); 0 otherwise."""
    if failed == 0 or failed <= MAX_FAILED_SHARE * total:
        return 0
    shown = f" (first: {one_line(first)})" if first else ""
    print(f"{prog}: warning: {failed} of {total} judgements failed{shown}; {fix}", file=sys.stderr)
    return FAILED


def decisions_failed(prog: str, decisions: Sequence[Any], **kwargs: Any) -> int:
    """``judgements_failed`` over decisions (those with an error failed)."""
    errors = [d.error for d in decisions if d.error]
    return judgements_failed(prog, len(errors), len(decisions), errors[0] if errors else None, **kwargs)


def fail(prog: str, message: str) -> None:
    print(f"{prog}: error: {one_line(message)}", file=sys.stderr)


def one_line(message: str) -> str:
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


def explain(exc: BaseException) -> tuple[str | None, int]:
    """(the line to print, exit status) for a failure a user can meet and fix; (None, 1) for a bug. An
    EAPluginError's class says its status (``exit_status``: 2 where what was given cannot be used)."""
    if isinstance(exc, EAPluginError):
        return str(exc), getattr(exc, "exit_status", FAILED)
    if isinstance(exc, ImportError):
        missing = missing_extra(exc)  # "this needs X, which is not installed: pip install ..."
        return (str(missing) if missing is not exc else f"{type(exc).__name__}: {exc}"), FAILED
    if isinstance(exc, OSError):
        return os_error(exc), FAILED
    return None, FAILED


def os_error(exc: OSError) -> str:
    """A file problem as "<what>: <path>"; a model that cannot be loaded (no file name) with what to do."""
    if exc.filename is not None:
        if isinstance(exc, (FileExistsError, NotADirectoryError)) and not os.path.isdir(exc.filename):
            # mkdir or open under a path whose directory part is a file
            return f"{exc.strerror}: {exc.filename} (a file is where a directory is needed: pass another path)"
        target = exc.filename if exc.filename2 is None else f"{exc.filename} -> {exc.filename2}"
        return f"{exc.strerror or type(exc).__name__}: {target}"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "huggingface" in str(exc).lower() or "model identifier" in str(exc) or "offline" in str(exc).lower():
        return (f"{first} (the model is neither a local directory nor in the Hugging Face cache: download it "
                "first with `hf download NAME`, or pass a local directory)")
    return first
