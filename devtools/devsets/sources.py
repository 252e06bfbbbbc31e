"""What every set's source extractor shares (devset_sources, realtext_sources, devset_v3_sources, fresh_sources):
a table's ``Source``, reading its files at the recorded commit from a folder of git copies (<owner>+<name>/repo;
where a repository's history cannot be had, plain copies of the files at that commit, <owner>+<name>/files/<path>,
serve), writing its CSV and provenance.json, and the command line. An extractor is run once by hand; what it writes
is committed, and the set's builder reads those files alone."""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

Row = dict[str, str]


@dataclass(frozen=True)
class Source:
    """A table: files of a public repository at a commit, and the parser that cuts its rows from their texts."""

    id: str
    repo: str
    commit: str
    paths: tuple[str, ...]
    vendor: str
    series: str
    licence: str
    split: str  # where the table's pairs go: a tuning split, a held-out one (scored only at the end), a set's only one
    form: str  # the spec v3 form the table exercises (the v3 and fresh sets; "" for the v2-era sets)
    parse: Callable[[list[str]], list[Row]]  # the files' texts, in the order of ``paths``

    def record(self, rows: int) -> dict[str, object]:
        """Its provenance.json entry; the v2-era sets (devset, realtext: no form) record their one file as "path"."""
        where: dict[str, object] = {"paths": list(self.paths)} if self.form else {"path": self.paths[0]}
        form = {"form": self.form} if self.form else {}
        return {"id": self.id, "repo": self.repo, "commit": self.commit, **where, "vendor": self.vendor,
                "series": self.series, "licence": self.licence, "split": self.split, **form, "rows": rows}


def one_file(id: str, repo: str, commit: str, path: str, vendor: str, series: str, licence: str, split: str,
             parse: Callable[[str], list[Row]]) -> Source:
    """A table of one file whose parser takes that file's text (the v2-era sets' tables)."""
    return Source(id, repo, commit, (path,), vendor, series, licence, split, "", lambda texts: parse(texts[0]))


def read(mirrors: Path, source: Source) -> list[str]:
    """The texts of the source's files at its commit: UTF-8 (Latin-1 for the older C headers, a `µ` in a comment),
    line ends as Python's text files read them."""
    folder = mirrors / source.repo.replace("/", "+")
    if (folder / "repo").exists():
        blobs = [subprocess.run(["git", "-C", str(folder / "repo"), "show", f"{source.commit}:{path}"], check=True,
                                capture_output=True).stdout for path in source.paths]
    else:  # a plain copy of each file at the recorded commit
        blobs = [(folder / "files" / path).read_bytes() for path in source.paths]
    return [_decode(blob).replace("\r\n", "\n").replace("\r", "\n") for blob in blobs]


def _decode(blob: bytes) -> str:
    try:
        return blob.decode("utf-8")
    except UnicodeDecodeError:
        return blob.decode("latin-1")


def extract(sources: Sequence[Source], fields: Sequence[str], out: Path, mirrors: Path,
            only: Sequence[str] | None = None) -> None:
    """Cut each source's rows into out/<id>.csv (columns ``fields``) and record them in out/provenance.json
    (``only``: re-extract those, keep the other recorded ones)."""
    out.mkdir(parents=True, exist_ok=True)
    provenance_path = out / "provenance.json"
    old = {p["id"]: p for p in json.loads(provenance_path.read_text("utf-8"))} if provenance_path.exists() else {}
    records = []
    for source in sources:
        if only and source.id not in only and source.id in old:
            records.append(old[source.id])
            continue
        rows = source.parse(read(mirrors, source))
        with (out / f"{source.id}.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        records.append(source.record(len(rows)))
        print(f"{source.id}: {len(rows)} rows")
    provenance_path.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main(sources: Sequence[Source], fields: Sequence[str], out: Path, doc: str,
         argv: Sequence[str] | None = None) -> None:
    """An extractor's command line: its sources, CSV columns, folder and docstring."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, required=True, help="git copies: <owner>+<name>/repo per repository")
    parser.add_argument("--only", nargs="+", action="extend", choices=[s.id for s in sources], metavar="ID",
                        help="re-extract these tables; keep the others' recorded files")
    args = parser.parse_args(argv)
    extract(sources, fields, out, args.mirrors, args.only)
