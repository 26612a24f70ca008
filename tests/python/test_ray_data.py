"""tokprob.ray_data on a local Ray cluster (2 CPUs, started by the test): a synthetic corpus of
10,000 rows scored by two workers gives the single-process results row for row, and goes through
Parquet and JSONL the way Ray Data reads and writes them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tokprob
from conftest import fixture

# Ray is in the pinned test requirements: under CI a missing one fails instead of skipping.
if os.environ.get("CI"):
    import ray
else:
    ray = pytest.importorskip("ray")
import tokprob.ray_data  # noqa: E402

WORDS = ["cat", "dog", "little girl", "boy", "bird", "big red ball", "tree", "sun"]


def corpus(rows: int) -> list[dict[str, Any]]:
    return [{"id": i, "text": f"Once upon a time, there was a {WORDS[i % len(WORDS)]} named {i}."} for i in range(rows)]


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield
    ray.shutdown()


def test_ten_thousand_rows_equal_the_single_process_run(cluster: None) -> None:
    model = str(fixture("tinystories-656k"))
    rows = corpus(10_000)
    scored = tokprob.ray_data.score(ray.data.from_items(rows), model, workers=2).take_all()
    assert len(scored) == len(rows)
    lm = tokprob.load(model, threads=1)
    by_id = {r["id"]: r for r in scored}
    assert sorted(by_id) == list(range(len(rows)))
    for row in rows:
        got = by_id[row["id"]]
        want = lm.score(row["text"]).to_dict()
        assert json.loads(got["result"]) == want, row
        assert got["text"] == row["text"]
        assert got["total_logprob"] == want["total_logprob"]
        assert got["scored_tokens"] == want["scored_tokens"]


def test_parquet_and_jsonl_in_and_out(cluster: None, tmp_path: Path) -> None:
    model = str(fixture("distilbert-tiny-sst2"))
    rows = corpus(200)
    ray.data.from_items(rows).write_parquet(str(tmp_path / "in"))
    # One worker: the cluster's second CPU reads and writes the files (two actors would hold both).
    out = tokprob.ray_data.classify(ray.data.read_parquet(str(tmp_path / "in")), model, workers=1, batch_size=16)
    out.write_json(str(tmp_path / "out"))
    written = [json.loads(line) for f in sorted((tmp_path / "out").glob("*.json")) for line in f.open()]
    assert len(written) == len(rows)
    lm = tokprob.load(model, threads=1)
    for r in written:
        want = lm.classify(r["text"]).to_dict()
        assert json.loads(r["result"]) == want
        assert r["label"] == want["labels"][0]["label"]
        # Ray's JSON writer (pandas) keeps 10 decimals of a float column; `result` is exact.
        assert r["prob"] == pytest.approx(want["labels"][0]["prob"], abs=1e-10)


def test_next_token_options_reach_the_task(cluster: None) -> None:
    model = str(fixture("gpt2-tiny"))
    got = tokprob.ray_data.next_token(ray.data.from_items(corpus(4)), model, k=3).take_all()
    lm = tokprob.load(model, threads=1)
    for r in got:
        want = lm.next(r["text"], k=3).to_dict()
        assert json.loads(r["result"]) == want
        assert len(want["top"]) == 3
        assert r["top_token"] == want["top"][0]["text"]


def test_bad_arguments_are_errors(cluster: None) -> None:
    ds = ray.data.from_items(corpus(2))
    with pytest.raises(tokprob.Error, match="task must be one of"):
        tokprob.ray_data.map_task(ds, str(fixture("gpt2-tiny")), "translate")
    with pytest.raises(tokprob.Error, match="at least 1"):
        tokprob.ray_data.score(ds, str(fixture("gpt2-tiny")), workers=0)
