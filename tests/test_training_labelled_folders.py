"""training.run --labelled takes several training.label folders: old and new labels are trained together."""

from __future__ import annotations

import json
from pathlib import Path

from training.label import main as label_main
from training.run import main as run_main


def write_pairs(path: Path, indices: range) -> Path:
    rows = [{"question": f"sv660n报e{100 + i}怎么办", "chunk": f"{'sv660n' if i % 2 else 'md500'}的e{100 + i}故障"}
            for i in indices]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_several_labelled_folders_are_converted_together(tmp_path: Path):
    folders = []
    for name, indices in (("old", range(0, 6)), ("new", range(6, 10))):
        folders.append(tmp_path / name)
        assert label_main([str(write_pairs(tmp_path / f"{name}.jsonl", indices)), "--out", str(folders[-1]),
                           "--quiet"]) == 0
    work = tmp_path / "work"
    assert run_main(["--labelled", *map(str, folders), "--work", str(work), "--skip", "configs,train,evaluate",
                     "--val", "0", "--test", "0"]) == 0
    stats = json.loads((work / "data" / "train_stats.json").read_text(encoding="utf-8"))
    assert stats["total_input"] == 10 == stats["converted"] and stats["labels"] == {"对齐": 5, "不对齐": 5}
    assert set(stats["inputs"]) == {str(folder / name) for folder in folders
                                    for name in ("aligned.json", "unaligned.json")}
    ids = {record["id"] for record in json.loads((work / "data" / "train.json").read_text(encoding="utf-8"))}
    assert len(ids) == 10  # one id per pair, though both folders hold an aligned.json
    # A rerun with the same folders is already done; with one folder less, the convert step's inputs changed.
    assert run_main(["--labelled", *map(str, folders), "--work", str(work), "--skip", "configs,train,evaluate",
                     "--val", "0", "--test", "0"]) == 0
    assert run_main(["--labelled", str(folders[0]), "--work", str(work), "--skip", "configs,train,evaluate",
                     "--val", "0", "--test", "0"]) == 1
