"""Ray Data: judge_dataset/JudgeBatches on a local Ray cluster of 2 CPUs with the rules backend (and an openai
judge whose server is down), against the same judge in this process."""

from __future__ import annotations

import pytest

ray = pytest.importorskip("ray")

from devtools.servers import free_port  # noqa: E402
from ea_plugin import load_judge  # noqa: E402
from ea_plugin.parallel import judge_step  # noqa: E402
from integrations.corpus import load_chunks  # noqa: E402
from integrations.ray import REJECT, JudgeBatches, judge_dataset, split_rejects  # noqa: E402

QUESTIONS = ["md500参数F0-02怎么设？", "sv660n出现e100故障怎么办？", "is620p报警AL001"]


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def rows() -> list[dict]:
    chunks = [c.text for c in load_chunks()]
    out = [{"id": i, "question": QUESTIONS[i % 3], "chunk": chunks[i % len(chunks)]} for i in range(300)]
    out[7]["chunk"] = "   "  # rejected: nothing to judge
    out[200]["question"] = None
    return out


def test_two_actors_keep_every_row_in_order_with_the_judges_decisions(cluster):
    data = rows()
    judged = judge_dataset(ray.data.from_items(data), "rules", {"mode": "think"}, concurrency=2, batch_size=50)
    good, rejects = split_rejects(judged)
    good, rejects = good.take_all(), rejects.take_all()
    assert [r["id"] for r in rejects] == [7, 200] and rejects[0][REJECT] == "'chunk' is empty"
    assert rejects[1]["ea_kept"] is None and "'question' is not text" in rejects[1][REJECT]
    assert [r["id"] for r in good] == [r["id"] for r in data if r["id"] not in (7, 200)]
    expected = judge_step(load_judge("rules", mode="think"), [(r["question"], r["chunk"]) for r in good])
    assert [(r["ea_kept"], r["ea_why"], r["ea_label"], r["ea_reason"]) for r in good] == \
        [(d.kept, d.why, d.label, d.reason) for d in expected]
    assert good[0]["ea_reasoning"] == expected[0].reasoning and good[0]["ea_backend"] == "rules"
    assert {r["ea_kept"] for r in good} == {True, False}


def test_a_failing_judge_follows_on_error_for_every_row_of_its_batches(cluster):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    options = {"base_url": url, "model": "m", "max_retries": 0, "on_error": "drop"}
    judged = judge_dataset(ray.data.from_items(rows()[:60]), "openai", options, concurrency=2, batch_size=20)
    out = judged.take_all()
    assert [r["id"] for r in out] == list(range(60))
    judged_rows = [r for r in out if r[REJECT] is None]
    assert {r["ea_why"] for r in judged_rows} == {"dropped_on_error"}
    assert all(r["ea_error"].startswith(f"server unreachable at {url}") for r in judged_rows)


def test_batches_go_to_each_server_in_turn():
    urls = [f"http://127.0.0.1:{free_port()}/v1" for _ in range(2)]
    batches = JudgeBatches("openai", {"model": "m", "max_retries": 0}, base_urls=urls)
    batch = {"question": QUESTIONS[:2], "chunk": ["md500参数F0-02", "sv660n e100"]}
    errors = [batches(batch)["ea_error"][0] for _ in range(3)]
    assert [[url in error for url in urls] for error in errors] == [[True, False], [False, True], [True, False]]


def test_options_are_checked_on_the_driver():
    from ea_plugin.errors import UnknownOptionError

    with pytest.raises(UnknownOptionError, match="treshold"):
        judge_dataset(None, "rules", {"treshold": 0.5})  # type: ignore[arg-type]


def test_filter_on_ray_actors_writes_the_same_files_as_one_process(cluster, tmp_path):
    from tests.test_filter_parallel import run_filter

    assert run_filter(tmp_path, "ray", "--engine", "ray", "--workers", "2") == run_filter(tmp_path, "one")
