"""The evaluation PNG: confusion matrix, and for scored backends the reliability diagram and threshold sweep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ea_plugin.prompts import ALIGNED, UNALIGNED


def write_report_png(path: str | Path, report: dict[str, Any], title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scored = bool(report.get("reliability", {}).get("n"))
    fig, axes = plt.subplots(1, 3 if scored else 1, figsize=(15 if scored else 5, 4.5), squeeze=False)
    _confusion(axes[0][0], report["confusion"])
    if scored:
        _reliability(axes[0][1], report["reliability"])
        _sweep(axes[0][2], report["threshold_sweep"], report.get("threshold"))
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _confusion(ax, table: dict[str, dict[str, int]]) -> None:  # noqa: ANN001 - matplotlib Axes
    labels = (ALIGNED, UNALIGNED)
    names = ("aligned", "not aligned")  # ASCII tick labels: CJK fonts are often missing
    grid = [[table[g][p] for p in labels] for g in labels]
    ax.imshow(grid, cmap="Blues")
    for r in range(2):
        for c in range(2):
            ax.text(c, r, str(grid[r][c]), ha="center", va="center", fontsize=14)
    ax.set_xticks([0, 1], [f"pred {n}" for n in names])
    ax.set_yticks([0, 1], [f"gold {n}" for n in names])
    ax.set_title("confusion matrix")


def _reliability(ax, rel: dict[str, Any]) -> None:  # noqa: ANN001
    bins = rel["bins"]
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.plot([b["mean_score"] for b in bins], [b["aligned_share"] for b in bins], "o-", label="judge")
    for b in bins:
        ax.annotate(str(b["n"]), (b["mean_score"], b["aligned_share"]), fontsize=7, xytext=(3, 3),
                    textcoords="offset points")
    ax.set_xlabel("mean P(aligned) in bin")
    ax.set_ylabel("share actually aligned")
    ece = rel.get("ece")
    ax.set_title("reliability" + (f" (ECE {ece:.3f})" if ece is not None else ""))
    ax.legend(loc="upper left")


def _sweep(ax, rows: list[dict[str, Any]], threshold: float | None) -> None:  # noqa: ANN001
    ts = [r["threshold"] for r in rows]
    for key, label in (("accuracy", "accuracy"), ("f1_unaligned", "F1 (not aligned)"),
                       ("wrongly_dropped_rate", "aligned wrongly dropped")):
        ax.plot(ts, [r[key] if r[key] is not None else float("nan") for r in rows], label=label)
    if threshold is not None:
        ax.axvline(threshold, color="grey", linestyle=":", label=f"threshold {threshold}")
    ax.set_xlabel("threshold on P(aligned) to keep a chunk")
    ax.set_title("threshold sweep")
    ax.legend(loc="best", fontsize=8)
