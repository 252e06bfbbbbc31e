"""The data audit: each teacher label against the rules backend.

Disagreements are kept in the training data (the teacher may know better than the rules) but flagged
and written to a report, since they are where teacher noise or gaps in the rules hide.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from ea_plugin.rules import extract_entities
from ea_plugin.rules.catalog import Catalog, load_catalog
from ea_plugin.rules.decision import apply_rules
from training.teacher import Example


@dataclass(frozen=True)
class AuditFlag:
    id: str
    question: str
    chunk: str
    teacher: str
    rules: str
    rule: str  # which rule decided: product, fault, parameter, default
    rules_reason: str
    kind: str | None

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


def audit(examples: Sequence[Example], catalog: Catalog | str | Sequence[str] | None = None) -> list[AuditFlag]:
    """One flag per example whose teacher label differs from the rules backend's (with ``catalog``: a Catalog
    or user/learned catalog files on top of the built-in one)."""
    catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    flags = []
    for example in examples:
        outcome = apply_rules(extract_entities(example.question, catalog), extract_entities(example.chunk, catalog))
        if outcome.label != example.label:
            flags.append(AuditFlag(example.id, example.question, example.chunk, example.label, outcome.label,
                                   outcome.rule, outcome.reason, example.kind))
    return flags


def summarize(flags: Sequence[AuditFlag], total: int) -> str:
    """One line for the console: how many disagree, and by which rule."""
    by_rule = Counter(f"{f.teacher}->{f.rules} ({f.rule})" for f in flags)
    detail = ", ".join(f"{k}: {v}" for k, v in by_rule.most_common())
    return f"audit: {len(flags)} of {total} teacher labels disagree with the rules backend" + (
        f" [{detail}]" if detail else ""
    )
