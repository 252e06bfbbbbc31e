"""The model-free backend: a thin adapter over ``ea_plugin.rules`` (spec v3's entities and decision).

It is the embedded default (no model, no torch) and the reference that the training data audit
compares teacher labels with. Each judgement records which rule decided and on which entities
(``extra["rule"]``, ``extra["entities"]``) and says so in step 4 of its analysis.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from ea_plugin._moved import moved_names
from ea_plugin.collector import collector_paused
from ea_plugin.errors import OptionError
from ea_plugin.judgement import Judgement, Pair
from ea_plugin.options import build_options, option, options_signature
from ea_plugin.plugins import hookimpl
from ea_plugin.prompts import ALIGNED, format_analysis
from ea_plugin.rules import Entities, describe, extract_entities
from ea_plugin.rules.catalog import Catalog, load_catalog
from ea_plugin.rules.decision import RuleOutcome, apply_rules

# The decision lived here before ea_plugin.rules; the old names still resolve, with a DeprecationWarning.
__getattr__ = moved_names(__name__, "ea_plugin.rules.decision", {
    "Check": "Check", "RuleDecision": "RuleOutcome", "decide": "apply_rules", "check_products": "check_products",
    "check_faults": "check_faults", "check_parameters": "check_parameters", "faults_relate": "faults_relate",
    "MATCH": "MATCH", "MISMATCH": "MISMATCH", "UNDECIDED": "UNDECIDED"})

CatalogOption = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | Catalog | None


@dataclass(frozen=True)
class RulesOptions:
    """The rules backend's options (each field's help says what it does), checked when built."""

    catalog: CatalogOption = option(
        "user or learned catalogs (a path, a list of paths, or a built Catalog) extending the built-in one; a "
        "file that cannot be read or has a mistake raises CatalogError naming it", None)
    pause_gc: bool = option(
        "pause Python's cyclic garbage collector while a batch is judged (judging makes no reference cycles; "
        "about 12% more pairs/s on new texts); False leaves it alone", True)

    def __post_init__(self) -> None:
        if not isinstance(self.pause_gc, bool):
            raise OptionError(f"pause_gc must be True or False, got {self.pause_gc!r}", option="pause_gc")
        if self.catalog is None or isinstance(self.catalog, Catalog):
            return
        paths = [self.catalog] if isinstance(self.catalog, (str, os.PathLike)) else self.catalog
        if not isinstance(paths, Sequence) or not all(isinstance(p, (str, os.PathLike)) for p in paths):
            raise OptionError(f"catalog must be a path, a list of paths or a Catalog, got {self.catalog!r}",
                              option="catalog")


class RulesBackend:
    """Decides by the spec's rules; ``score`` is 1.0 or 0.0, ``generate`` writes the four-step analysis.

    Takes RulesOptions' options as keywords, or ``options=`` a RulesOptions.
    """

    name = "rules"
    options_type = RulesOptions  # its options, each with default and help (docs and --help read them)
    __signature__ = options_signature(RulesOptions)

    def __init__(self, *args: Any, options: RulesOptions | None = None, **changes: Any) -> None:
        self.options = build_options(RulesOptions, options, args, changes, "the rules backend")
        catalog = self.options.catalog
        self.catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)

    def judge_pair(self, pair: Pair) -> tuple[Entities, Entities, RuleOutcome]:
        q_entities = extract_entities(pair.question, self.catalog)
        c_entities = extract_entities(pair.chunk, self.catalog)
        return q_entities, c_entities, apply_rules(q_entities, c_entities)

    def _judgement(self, pair: Pair, mode: str) -> Judgement:
        q_entities, c_entities, outcome = self.judge_pair(pair)
        reasoning = format_analysis(describe(q_entities), describe(c_entities), outcome.label, outcome.reason)
        extra: dict[str, Any] = {"rule": outcome.rule, "entities": outcome.entities()}
        score = 1.0 if outcome.label == ALIGNED else 0.0
        # All fields by position, in Judgement's order (label, score, reasoning, raw, mode, backend, error,
        # truncated, extra): matching keywords to parameters made up most of building it.
        return Judgement(outcome.label, score, reasoning, reasoning, mode, self.name, None, False, extra)

    def score(self, pairs: list[Pair]) -> list[Judgement]:
        return self._judge_all(pairs, "fast")

    def generate(self, pairs: list[Pair]) -> list[Judgement]:
        return self._judge_all(pairs, "think")

    def _judge_all(self, pairs: list[Pair], mode: str) -> list[Judgement]:
        with collector_paused() if self.options.pause_gc else nullcontext():
            return [self._judgement(pair, mode) for pair in pairs]


@hookimpl
def ea_register_backends(register) -> None:  # noqa: ANN001 - pluggy passes the registrar
    register("rules", RulesBackend)
