"""The domain of spec v3 (docs/spec.md): entities and their normal forms, the catalog, the decision.

Pure functions, no I/O but reading catalog files:
- ``extract_entities(text, catalog=None)`` -> :class:`Entities` (products incl. brands, fault codes, parameters),
  each entity with its text, span in the NFKC-normalised text, normal form and ``why``;
- ``apply_rules(question_entities, chunk_entities)`` -> :class:`RuleOutcome` (label, reason, deciding rule);
- ``load_catalog(paths)`` -> :class:`Catalog` (built-in + user files);
- ``learn_catalog(texts, titles=None, ids=None, min_support=2)`` -> a catalog mapping learned from a corpus
  (``ea_plugin.rules.learn``: ``write_learned`` writes it, ``catalog_from_corpus`` loads it with the others).

Its hot modules may run compiled (``ea-judge rules compile``: ``ea_plugin.compiled_rules``); a stale build is
passed over for the sources.
"""

from ea_plugin.compiled_rules import use_fresh_build

use_fresh_build()  # before the modules below load (pyproject.toml lets their imports follow it: E402)

from ea_plugin.rules.catalog import Catalog, CatalogError, load_catalog
from ea_plugin.rules.decision import RuleOutcome, apply_rules
from ea_plugin.rules.extract import extract_entities
from ea_plugin.rules.learn import learn_catalog
from ea_plugin.rules.normalize import main_model, normalize_product
from ea_plugin.rules.records import Entities, Entity, FaultCode, Parameter, Product, describe

__all__ = ["Catalog", "CatalogError", "Entities", "Entity", "FaultCode", "Parameter", "Product", "RuleOutcome",
           "apply_rules", "describe", "extract_entities", "learn_catalog", "load_catalog", "main_model",
           "normalize_product"]
