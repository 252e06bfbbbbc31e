"""Named errors: every failure a caller can meet says what went wrong and with which record."""

from __future__ import annotations

USAGE = 2  # a command's exit status when something it was given cannot be used (argparse's own)


class EAPluginError(Exception):
    """Base class of every error ea_plugin raises on purpose."""

    exit_status = 1  # what a command exits with when this error stops it (ea_plugin.arguments)


# The modules an optional extra installs: whatever misses one (a command, an integration) names the extra.
EXTRA_OF_MODULE = {
    "torch": "local", "transformers": "local", "peft": "local", "accelerate": "local",
    "openai": "openai", "llama_index": "llamaindex", "langchain_core": "langchain", "langchain_classic": "langchain",
    "matplotlib": "report", "llamafactory": "train", "bm25s": "train", "deepspeed": "train", "liger_kernel": "train",
    "ragas": "ragas", "deepeval": "deepeval", "ray": "ray", "haystack": "haystack",
}


class MissingExtraError(EAPluginError, ImportError):
    """A module that an optional extra installs is missing; the message names the pip extra that installs it."""


def missing_extra(error: ImportError, needed_by: str = "this", extra: str | None = None) -> ImportError:
    """The error to raise (``from error``) where ``needed_by`` found a module missing: a MissingExtraError naming
    ``extra`` (an integration knows its own; else the missing module's, EXTRA_OF_MODULE), or ``error`` itself where
    no extra installs that module."""
    module = (error.name or "").split(".")[0]
    extra = extra or EXTRA_OF_MODULE.get(module)
    if extra is None:
        return error
    return MissingExtraError(f"{needed_by} needs {module or 'a module'}, which is not installed: "
                             f"pip install \"ea-plugin[{extra}]\"", name=error.name)


class InvalidPairError(EAPluginError, ValueError):
    """A question or chunk that cannot be judged: not a string, or empty."""

    exit_status = USAGE

    def __init__(self, message: str, *, field: str, value: object) -> None:
        super().__init__(f"{field}: {message} (got {value!r:.80})")
        self.field = field
        self.value = value


class UnknownBackendError(EAPluginError, KeyError):
    """load_judge() was given a backend name that no plugin registered."""

    exit_status = USAGE

    def __str__(self) -> str:  # KeyError's would quote the message
        return str(self.args[0]) if self.args else ""


class ModeNotSupportedError(EAPluginError, NotImplementedError):
    """The backend cannot judge in the requested mode (e.g. no log-probs for fast mode)."""


class BackendError(EAPluginError, RuntimeError):
    """A backend failed for a whole batch (server down, model error)."""


class BackendClosedError(BackendError):
    """The backend was closed while this call was in flight (its result will never come)."""


class JudgeError(EAPluginError, RuntimeError):
    """Raised by AlignmentJudge under on_error="raise" for a judgement that carries an error."""

    def __init__(self, message: str, *, question: str, chunk: str) -> None:
        super().__init__(f"{message} (question={question!r:.60}, chunk={chunk!r:.60})")
        self.question = question
        self.chunk = chunk


class OptionError(EAPluginError, ValueError):
    """An option given to the judge, a policy, a backend or an integration that cannot be used."""

    exit_status = USAGE

    def __init__(self, message: str, *, option: str) -> None:
        super().__init__(message)
        self.option = option


class UnknownOptionError(OptionError, TypeError):
    """An option name nobody takes; the message lists the valid names (and the closest one)."""

    def __init__(self, option: str, valid: dict[str, list[str]], where: str) -> None:
        import difflib

        every = [name for names in valid.values() for name in names]
        close = difflib.get_close_matches(option, every, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        listed = "; ".join(f"{group}: {', '.join(sorted(names)) or '(none)'}" for group, names in valid.items())
        super().__init__(f"{where}: unknown option {option!r}{hint}. Valid options: {listed}", option=option)
        self.valid = valid
