"""Names users imported before issue 23's moves keep working, and each use warns with the new name."""

from __future__ import annotations

import importlib
import sys

import pytest


@pytest.mark.parametrize(("old", "new", "name"), [
    ("ea_plugin.catalog", "ea_plugin.rules.catalog", "load_catalog"),
    ("ea_plugin.normalize", "ea_plugin.rules.normalize", "main_model"),
    ("ea_plugin.entities", "ea_plugin.rules", "extract_entities"),
    ("ea_plugin.verdict", "ea_plugin.judgement", "Judgement"),
    ("integrations.extras", "ea_plugin.errors", "MissingExtraError"),
])
def test_an_old_module_path_warns_with_the_new_one_and_gives_the_same_object(old, new, name):
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {new}"):
        module = importlib.import_module(old)
    assert getattr(module, name) is getattr(importlib.import_module(new), name)


@pytest.mark.parametrize(("old", "new"), [("decide", "apply_rules"), ("RuleDecision", "RuleOutcome"),
                                          ("check_products", "check_products")])
def test_the_rules_backend_still_lends_the_decision_under_its_old_names(old, new):
    from ea_plugin.backends import rules
    from ea_plugin.rules import decision

    with pytest.warns(DeprecationWarning, match=f"moved to ea_plugin.rules.decision.{new}"):
        assert getattr(rules, old) is getattr(decision, new)
    with pytest.raises(AttributeError):
        rules.no_such_name  # noqa: B018


def test_the_commands_still_lend_the_extras_of_modules():
    from ea_plugin import arguments, errors

    with pytest.warns(DeprecationWarning, match="moved to ea_plugin.errors.EXTRA_OF_MODULE"):
        assert arguments.EXTRA_OF_MODULE is errors.EXTRA_OF_MODULE
