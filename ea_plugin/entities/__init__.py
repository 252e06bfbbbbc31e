"""Entity extraction and normal forms of spec v2 (pure functions; see spec/alignment-rules.md).

``extract_entities(text, catalog=None)`` returns :class:`Entities` (products incl. brands, fault codes,
parameters), each entity with its text, span in the NFKC-normalised text, normal form and ``why``.
"""

from ea_plugin.entities.extract import extract_entities
from ea_plugin.entities.records import Entities, Entity, FaultCode, Parameter, Product, describe
from ea_plugin.normalize import main_model, normalize_product

__all__ = ["Entities", "Entity", "FaultCode", "Parameter", "Product", "describe", "extract_entities",
           "main_model", "normalize_product"]
