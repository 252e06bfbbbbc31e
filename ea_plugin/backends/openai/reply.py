"""Reading a chat completion as the API defines it: anything else is that one request's MalformedReply.

The openai client builds its reply objects without validating them, so a server (or a proxy) that sends
``choices`` as an object, ``content`` as a number or ``usage`` as a string hands us values of any type.
``read_reply`` checks each field it uses and raises MalformedReply naming the first that breaks the shape,
so one odd reply fails its own pair and never its batch. Works on the client's objects and on plain dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class MalformedReply(ValueError):
    """A reply whose JSON breaks the chat completion's shape; the message names the field."""


def is_object(value: Any) -> bool:
    """A JSON object: a dict, or a model the openai client built from one."""
    return isinstance(value, Mapping) or hasattr(value, "model_dump")


def get(obj: Any, name: str) -> Any:
    """Field ``name`` of a dict or of a client object (None when absent)."""
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def _typed(obj: Any, name: str, types: type, where: str, what: str) -> Any:
    """Field ``name`` when it is null or of ``types`` (a bool is not an integer here), else MalformedReply."""
    value = get(obj, name)
    if value is None:
        return None
    if not isinstance(value, types) or (isinstance(value, bool) and types is not bool):
        raise MalformedReply(f"{where}.{name} is {_shown(value)}, not {what}")
    return value


def _shown(value: Any) -> str:
    return f"{type(value).__name__} {value!r:.60}"


@dataclass(frozen=True)
class Reply:
    """The fields of a completion's first choice that a judgement uses, each of its API type."""

    content: str
    reasoning: str | None
    logprobs: Any  # choice.logprobs, checked by label_logprobs.read_steps
    facts: dict[str, Any] = field(default_factory=dict)  # finish_reason and token counts, for judgement.extra


def read_reply(completion: Any) -> Reply:
    """The first choice of ``completion``; MalformedReply where a field the judge reads breaks the API's shape.

    ``content`` null is an empty answer (the parser then says no label); a reasoning field that is not text
    is ignored (it is a server extension, not the API's).
    """
    if not is_object(completion):
        raise MalformedReply(f"the reply is {_shown(completion)}, not a chat completion object")
    choices = get(completion, "choices")
    if not isinstance(choices, list) or not choices:
        raise MalformedReply(f"choices is {_shown(choices)}, not a non-empty list")
    choice = choices[0]
    if not is_object(choice):
        raise MalformedReply(f"choices[0] is {_shown(choice)}, not an object")
    message = get(choice, "message")
    if not is_object(message):
        raise MalformedReply(f"choices[0].message is {_shown(message)}, not an object")
    content = _typed(message, "content", str, "choices[0].message", "a string or null")
    # vLLM's reasoning parser puts the thinking in `reasoning` (older servers: `reasoning_content`).
    reasoning = next((r for r in (get(message, "reasoning"), get(message, "reasoning_content"))
                      if isinstance(r, str) and r), None)
    finish = _typed(choice, "finish_reason", str, "choices[0]", "a string or null")
    logprobs = get(choice, "logprobs")
    if logprobs is not None and not is_object(logprobs):
        raise MalformedReply(f"choices[0].logprobs is {_shown(logprobs)}, not an object or null")
    facts: dict[str, Any] = {"finish_reason": finish}
    usage = get(completion, "usage")
    if usage is not None:
        if not is_object(usage):
            raise MalformedReply(f"usage is {_shown(usage)}, not an object or null")
        for name in ("prompt_tokens", "completion_tokens"):
            facts[name] = _typed(usage, name, int, "usage", "an integer")
    return Reply(content or "", reasoning, logprobs, facts)
