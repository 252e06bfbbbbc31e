"""`ea-judge extract` (what the rules read in a text, and why), `ea-judge catalog check FILE`,
`ea-judge catalog learn CORPUS.jsonl -o learned.yaml` (a catalog learned from the corpus a RAG system indexes) and
`ea-judge rules compile|status` (the rules' hot modules compiled by mypyc, or not)."""

from __future__ import annotations

import argparse
import sys

from ea_plugin import compiled_rules
from ea_plugin.arguments import positive_int
from ea_plugin.jsonl import InputFileError, dumps, read_file
from ea_plugin.outputs import refuse_overwrite
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
        print(dumps([e.to_dict() for e in entities]))
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


def cmd_catalog_learn(args: argparse.Namespace) -> int:
    from ea_plugin.rules.learn import learn, write_learned  # the learner loads only for this command

    if args.output is None and args.explain is None:
        raise InputFileError("say where to write the catalog (-o learned.yaml) or what to explain (--explain NAME)")
    if args.output is not None:
        refuse_overwrite([args.corpus, *(args.catalog or [])], [args.output])
    texts, titles, ids = [], [], []
    skipped = 0
    for line in read_file(args.corpus):
        record = line.record
        text = record.get(args.text_field) if record is not None else None
        if record is None or not isinstance(text, str) or not text.strip():
            skipped += 1  # not an object, or no text: nothing to learn from
            continue
        texts.append(text)
        title, ident = record.get(args.title_field), record.get(args.id_field)
        titles.append(title if isinstance(title, str) else None)
        usable = isinstance(ident, (str, int)) and not isinstance(ident, bool)
        ids.append(str(ident) if usable else f"line {line.number}")
    if skipped:
        print(f"warning: {skipped} line(s) of {args.corpus} without a '{args.text_field}' string skipped",
              file=sys.stderr)
    learned = learn(texts, titles, ids, args.min_support, args.catalog)
    if args.explain is not None:
        print(learned.explain(args.explain))
    if args.output is not None:
        write_learned(learned.mapping, args.output)
        catalog = check_catalog(args.output)
        mapping = learned.mapping
        print(f"{args.output}: {len(mapping['series'])} series, {len(mapping['brands'])} brands, "
              f"{len(mapping['software'])} software names from {len(texts)} pages (min support {args.min_support})"
              + (f"; {len(catalog.notes)} entries dropped on loading (clashes)" if catalog.notes else ""))
    return 0


def cmd_rules_compile(args: argparse.Namespace) -> int:
    if args.remove:
        gone = compiled_rules.remove()
        print(f"removed {len(gone)} file(s) of the compiled build: the rules run as pure Python")
        return 0
    print(f"compiling {', '.join(compiled_rules.MODULES)} with mypyc (about a minute)...", flush=True)
    built = compiled_rules.compile_rules()
    print(f"{compiled_rules.RULES}: {built.running}, {built.stamp.get('seconds')} s "
          f"(mypy {built.stamp.get('mypy')}, Python {built.stamp.get('python')})")
    return 0


def cmd_rules_status(args: argparse.Namespace) -> int:
    current = compiled_rules.state()
    print(f"the rules run {current.running}")
    if current.stale:
        print(f"stale (source changed since compiling, so the sources run): {', '.join(current.stale)}")
    return 0


@hookimpl
def ea_register_commands(subparsers: argparse._SubParsersAction) -> None:
    extract = subparsers.add_parser("extract", help="the entities the rules read in a text, with normal forms and why")
    extract.add_argument("text")
    extract.add_argument("--catalog", action="append", metavar="FILE", help="a user catalog (YAML/JSON); repeatable")
    extract.add_argument("--json", action="store_true", help="print the entities as a JSON list")
    extract.set_defaults(func=cmd_extract)

    catalog = subparsers.add_parser("catalog", help="product catalogs: check a catalog file, learn one from a corpus")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True)
    check = catalog_sub.add_parser("check", help="validate a catalog file (exit 0 when it loads)")
    check.add_argument("file")
    check.set_defaults(func=cmd_catalog_check)

    learn = catalog_sub.add_parser(
        "learn", help="learn a catalog from a corpus of manual chunks (JSONL; no labels, no model)",
        description="Series with their aliases, the brands beside them, their listed codes and software names, "
                    "learned from the chunks (and titles or file names) a RAG system indexes. The output is an "
                    "ordinary catalog file: load it with --catalog.")
    learn.add_argument("corpus", help="JSONL, one chunk per line: {id, title, text}")
    learn.add_argument("-o", "--output", help="the catalog file to write (YAML)")
    learn.add_argument("--min-support", type=positive_int, default=2, metavar="N",
                       help="pages an entry needs to be kept (default 2)")
    learn.add_argument("--text-field", default="text")
    learn.add_argument("--title-field", default="title", help="the page title or file name (optional per line)")
    learn.add_argument("--id-field", default="id")
    learn.add_argument("--catalog", action="append", metavar="FILE",
                       help="a user catalog the learned one must not contradict; repeatable")
    learn.add_argument("--explain", metavar="NAME", help="show the pages behind the entries named NAME")
    learn.set_defaults(func=cmd_catalog_learn)

    rules = subparsers.add_parser("rules", help="the rules backend's build: compiled by mypyc or pure Python")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    compile_ = rules_sub.add_parser(
        "compile", help="compile the rules' hot modules with mypyc (the same judgements, faster)",
        description="Builds C extensions of the rules' hot modules beside their sources (needs pip install "
                    "\"ea-plugin[compiled]\" and a C compiler). Judgements are the same; a source edited later "
                    "runs as Python until compiled again.")
    compile_.add_argument("--remove", action="store_true", help="remove the compiled build (pure Python again)")
    compile_.set_defaults(func=cmd_rules_compile)
    status = rules_sub.add_parser("status", help="say whether the rules run compiled or as pure Python")
    status.set_defaults(func=cmd_rules_status)
