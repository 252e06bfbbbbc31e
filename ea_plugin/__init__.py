"""ea_plugin: an entity-alignment judge for RAG (question, chunk) pairs.

Importing this package does not import torch; the transformers backend loads it on first use.
"""

from ea_plugin.backends.base import Backend
from ea_plugin.errors import (
    BackendClosedError,
    BackendError,
    EAPluginError,
    InvalidPairError,
    JudgeError,
    MissingExtraError,
    ModeNotSupportedError,
    UnknownBackendError,
)
from ea_plugin.judge import AlignmentJudge, load_judge
from ea_plugin.judgement import Judgement, Pair, parse_answer
from ea_plugin.plugins import hookimpl
from ea_plugin.policy import Decision, Policy
from ea_plugin.prompts import ALIGNED, LABELS, UNALIGNED

__all__ = [
    "ALIGNED",
    "LABELS",
    "UNALIGNED",
    "AlignmentJudge",
    "Backend",
    "BackendClosedError",
    "BackendError",
    "Decision",
    "EAPluginError",
    "InvalidPairError",
    "JudgeError",
    "Judgement",
    "MissingExtraError",
    "ModeNotSupportedError",
    "Pair",
    "Policy",
    "UnknownBackendError",
    "hookimpl",
    "load_judge",
    "parse_answer",
]
__version__ = "0.1.0"
