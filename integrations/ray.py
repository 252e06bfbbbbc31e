"""Ray Data: judge a dataset of (question, chunk) rows on a cluster, one judge per actor, every row kept.

    import ray
    from integrations.ray import judge_dataset, split_rejects

    ds = ray.data.read_parquet("s3://logs/pairs/")                              # columns question, chunk, ...
    judged = judge_dataset(ds, "rules", concurrency=64)                          # CPU actors, one judge each
    judged = judge_dataset(ds, "transformers", {"model": "Qwen/Qwen3-8B", "adapter": "runs/ea/model"},
                           concurrency=8)                                        # GPU actors, one GPU each
    judged = judge_dataset(ds, "openai", {"model": "entity-alignment"},
                           base_urls=["http://gpu1:8000/v1", "http://gpu2:8000/v1"], concurrency=8)
    rows, rejects = split_rejects(judged)
    rows.filter(lambda r: r["ea_kept"]).write_parquet("kept/"); rejects.write_json("rejects/")

or by hand: ``ds.map_batches(JudgeBatches, fn_constructor_kwargs={"backend": "rules"}, concurrency=4,
batch_format="pandas")``. ``JudgeBatches`` builds its judge(s) once per actor; with ``base_urls`` (openai) an actor
holds one judge per server and sends its batches to them in turn, so any number of actors spreads the load over
every server. Each output row is the input row with these columns added:

  ea_kept, ea_why   the policy's decision (``ea_plugin.policy``): kept or not, and why
  ea_label, ea_score, ea_reason, ea_error, ea_backend   as in every integration (``integrations.selection``)
  ea_reasoning      the judge's whole analysis (think mode; a teacher's answer)
  ea_reject         why the row could not be judged (question or chunk missing, not text, or empty); the
                    decision columns are then null

No row is lost: a batch whose judge fails follows the judge's ``on_error`` (keep or drop, with ``ea_error``;
"raise" fails the job), and rows that cannot be judged come out with ``ea_reject``. ``judge_dataset`` keeps the
input order (it turns on Ray Data's ``preserve_order`` for the dataset it returns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ea_plugin.errors import JudgeError, missing_extra
from ea_plugin.judge import check_options, judge_from_config
from ea_plugin.judgement import is_blank
from ea_plugin.parallel import StepResult, actor_resources, failed_step, judge_step
from ea_plugin.policy import Decision
from integrations.selection import METADATA_KEYS, metadata

try:
    import pandas as pd
    import ray.data
except ImportError as exc:
    raise missing_extra(exc, __name__, "ray") from exc

KEPT = "ea_kept"
WHY = "ea_why"
REASONING = "ea_reasoning"
REJECT = "ea_reject"


class JudgeBatches:
    """A callable class for ``Dataset.map_batches``: one judge (per server with ``base_urls``) per actor."""

    def __init__(self, backend: str = "rules", judge_options: Mapping[str, Any] | None = None, *,
                 base_urls: Sequence[str] = (), question: str = "question", chunk: str = "chunk") -> None:
        options = dict(judge_options or {})
        self.configs = [{"backend": backend, "options": {**options, "base_url": url}} for url in base_urls] or \
            [{"backend": backend, "options": options}]
        self.judges = [judge_from_config(config) for config in self.configs]
        self.turn = 0
        self.question, self.chunk = question, chunk

    def __call__(self, batch: pd.DataFrame | Mapping[str, Any]) -> pd.DataFrame:
        frame = batch.copy() if isinstance(batch, pd.DataFrame) else pd.DataFrame(dict(batch))
        for column in (self.question, self.chunk):
            if column not in frame.columns:
                raise KeyError(f"JudgeBatches: the dataset has no column {column!r} (columns: {list(frame.columns)})")
        rows = list(zip(frame[self.question], frame[self.chunk], strict=True))
        rejects = [_reject(q, c, self.question, self.chunk) for q, c in rows]
        todo = [i for i, reason in enumerate(rejects) if reason is None]
        results = self._judge([rows[i] for i in todo])
        decisions: list[Decision | None] = [None] * len(rows)
        for index, result in zip(todo, results, strict=True):
            if isinstance(result, str):  # the judge refused the pair as invalid input
                rejects[index] = result
            else:
                decisions[index] = result
        return _with_columns(frame, decisions, rejects)

    def _judge(self, pairs: list[tuple[str, str]]) -> StepResult:
        index = self.turn % len(self.judges)
        self.turn += 1
        if not pairs:
            return []
        try:
            return judge_step(self.judges[index], pairs)
        except JudgeError:  # on_error="raise": the caller asked for the job to fail
            raise
        except Exception as exc:  # past the judge's own handling: the batch follows on_error
            return failed_step(self.configs[index], pairs, exc)


def _reject(question: Any, chunk: Any, question_column: str, chunk_column: str) -> str | None:
    for column, value in ((question_column, question), (chunk_column, chunk)):
        if not isinstance(value, str):
            return f"{column!r} is not text (got {type(value).__name__})"
        if is_blank(value):
            return f"{column!r} is empty"
    return None


def _with_columns(frame: pd.DataFrame, decisions: list[Decision | None], rejects: list[str | None]) -> pd.DataFrame:
    def column(read: Any) -> list[Any]:
        return [None if d is None else read(d) for d in decisions]

    frame[KEPT] = pd.array(column(lambda d: d.kept), dtype="boolean")
    frame[WHY] = column(lambda d: d.why)
    for key in METADATA_KEYS:
        frame[key] = column(lambda d, key=key: metadata(d)[key])
    frame["ea_score"] = pd.array(frame["ea_score"], dtype="Float64")
    frame[REASONING] = column(lambda d: d.reasoning)
    frame[REJECT] = rejects
    return frame


def judge_dataset(
    dataset: ray.data.Dataset,
    backend: str = "rules",
    judge_options: Mapping[str, Any] | None = None,
    *,
    base_urls: Sequence[str] = (),
    concurrency: int | None = None,
    batch_size: int = 256,
    question: str = "question",
    chunk: str = "chunk",
) -> ray.data.Dataset:
    """``dataset`` with the decision columns (module docstring), in input order; ``concurrency`` actors (None:
    Ray's default), each with a CPU (a GPU for the transformers backend). Options are checked here, on the
    driver, before any actor starts."""
    options = dict(judge_options or {})
    check_options(backend, {**options, **({"base_url": base_urls[0]} if base_urls else {})})
    dataset.context.execution_options.preserve_order = True
    return dataset.map_batches(
        JudgeBatches,
        fn_constructor_kwargs={"backend": backend, "judge_options": options, "base_urls": list(base_urls),
                               "question": question, "chunk": chunk},
        batch_size=batch_size,
        batch_format="pandas",
        concurrency=concurrency,
        **actor_resources(backend),
    )


def split_rejects(judged: ray.data.Dataset) -> tuple[ray.data.Dataset, ray.data.Dataset]:
    """(the judged rows, the rejected rows) of ``judge_dataset``'s output."""
    from ray.data.expressions import col

    return judged.filter(expr=col(REJECT).is_null()), judged.filter(expr=col(REJECT).is_not_null())


__all__ = ["KEPT", "REASONING", "REJECT", "WHY", "JudgeBatches", "judge_dataset", "split_rejects"]
