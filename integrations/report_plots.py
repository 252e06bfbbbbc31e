"""The PNG plots of ``ea-judge report`` (matplotlib, no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from integrations.retrieval_metric import RetrievalJudgement, RetrievalSummary

PRECISION_BY_RANK = "precision_by_rank.png"
DISTRIBUTION = "precision_distribution.png"
COMPARE = "before_after.png"


def pyplot():  # noqa: ANN201 - matplotlib.pyplot; raises ImportError without the [report] extra
    import matplotlib

    matplotlib.use("Agg")  # files only: works on servers without a display
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:  # noqa: ANN001 - a matplotlib Figure
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    pyplot().close(fig)  # figures stay in pyplot's registry until closed
    return path


def _points(values: Sequence[float | None]) -> tuple[list[int], list[float]]:
    known = [(rank, v) for rank, v in enumerate(values, start=1) if v is not None]
    return [r for r, _ in known], [v for _, v in known]


def plot_precision_by_rank(out: Path, runs: dict[str, RetrievalSummary]) -> Path:
    """Share of the judged chunks at each rank that the judge called aligned, one line per run."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for (name, summary), style in zip(runs.items(), ("o-", "s--"), strict=False):
        ranks, values = _points(summary.precision_by_rank)
        ax.plot(ranks, values, style, label=name)
    ax.set(xlabel="rank", ylabel="entity-alignment precision", ylim=(-0.02, 1.02), title="Precision by rank")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    return _save(fig, out / PRECISION_BY_RANK)


def plot_distribution(out: Path, runs: dict[str, Sequence[RetrievalJudgement]]) -> Path:
    """Histogram of per-question precision (questions with no judged chunk left out), one series per run."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = [i / 10 for i in range(11)]
    series = {name: [p for p in (r.precision() for r in results) if p is not None] for name, results in runs.items()}
    ax.hist(list(series.values()), bins=bins, label=list(series), rwidth=0.9)
    ax.set(xlabel="per-question entity-alignment precision", ylabel="questions",
           title="Distribution of per-question precision")
    ax.legend()
    return _save(fig, out / DISTRIBUTION)


def plot_before_after(out: Path, before: RetrievalSummary, after: RetrievalSummary) -> Path:
    """Precision@k and the share of questions with an off-entity chunk in the top k, before and after."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    ks = list(before.ks)
    positions = range(len(ks))
    panels = (("precision@k", "precision_at"), ("questions with an off-entity chunk in top k", "off_entity_share_at"))
    for ax, (title, attribute) in zip(axes, panels, strict=True):
        for offset, (name, summary) in ((-0.2, ("before", before)), (0.2, ("after", after))):
            values = [getattr(summary, attribute).get(k) for k in ks]
            ax.bar([p + offset for p in positions], [v or 0.0 for v in values], width=0.4, label=name)
        ax.set_xticks(list(positions), [f"k={k}" for k in ks])
        ax.set(ylim=(0, 1.05), title=title)
        ax.legend()
    return _save(fig, out / COMPARE)
