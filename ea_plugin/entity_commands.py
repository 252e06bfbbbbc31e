"""`ea-judge extract` (what the rules read in a text, and why) and `ea-judge catalog check FILE`."""

from __future__ import annotations

import argparse
import json

from ea_plugin.plugins import hookimpl
from ea_plugin.rules import Entity, FaultCode, Product, extract_entities
from ea_plugin.rules.catalog import check_catalog, load_catalog
from ea_plugin.rules.records import FAULT_TYPE, OTHER_TYPE, PRODUCT_TYPE


def entity_line(entity: Entity) -> str:
    """One line per entity: type, text, normal form, family/main code or series/brand, span, why."""
    if isinstance(entity, Product):
        kind = f"{PRODUCT_TYPE}({'品牌' if entity.is_brand else '型号'})"
        detail = f"main={entity.main}" + (f" series={entity.series}" if entity.series else "") + (
            f" brand={entity.brand}" if entity.brand else "")
    elif isinstance(entity, FaultCode):
        kind = FAULT_TYPE
        detail = f"family={entity.family or '-'} main={entity.main}" + (f" sub={entity.sub}" if entity.sub else "")
    else:
        kind, detail = OTHER_TYPE, ""
    start, end = entity.span
    return f"{kind:8} {entity.text!r:18} normal={entity.normal:16} {detail:40} [{start}:{end}] {entity.why}"


# A CatalogError raised here reaches ea_plugin.cli.main, which prints it on one line and exits with 2.
def cmd_extract(args: argparse.Namespace) -> int:
    entities = extract_entities(args.text, load_catalog(args.catalog)).in_order()
    if args.json:
        print(json.dumps([e.to_dict() for e in entities], ensure_ascii=False))
    else:
        print("\n".join(entity_line(e) for e in entities) if entities else "(no entity)")
    return 0


def cmd_catalog_check(args: argparse.Namespace) -> int:
    catalog = check_catalog(args.file)
    for note in catalog.notes:  # a learned file's entries that loading dropped (clashes with other entries)
        print(f"note: {note}")
    print(f"{args.file}: ok ({len(catalog.brands)} brands, {len(catalog.series)} series, "
          f"{len(catalog.software)} software names with the built-in catalog)")
    return 0


@hookimpl
def ea_register_commands(subparsers: argparse._SubParsersAction) -> None:
    extract = subparsers.add_parser("extract", help="the entities the rules read in a text, with normal forms and why")
    extract.add_argument("text")
    extract.add_argument("--catalog", action="append", metavar="FILE", help="a user catalog (YAML/JSON); repeatable")
    extract.add_argument("--json", action="store_true", help="print the entities as a JSON list")
    extract.set_defaults(func=cmd_extract)

    catalog = subparsers.add_parser("catalog", help="product catalogs: check a user catalog file")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True)
    check = catalog_sub.add_parser("check", help="validate a catalog file (exit 0 when it loads)")
    check.add_argument("file")
    check.set_defaults(func=cmd_catalog_check)
