"""Ray Data: a tokprob task over a :class:`ray.data.Dataset`, for corpora too big for one machine.

Each worker is a Ray actor that loads the model once and runs the task on the batches Ray hands
it, with as many compute threads as the actor has CPUs::

    import ray, tokprob.ray_data
    ds = ray.data.read_parquet("s3://bucket/corpus/")             # or read_json, from_items, ...
    scored = tokprob.ray_data.score(ds, "/models/gpt2", workers=8, cpus_per_worker=4)
    scored.write_parquet("s3://bucket/scored/")

The result has the input's columns and, per row, ``result``: the task's result as JSON text, exactly
what ``Model.<task>(text).to_dict()`` gives (and the command line's ``--format json``), plus a few
flat columns for filtering (``score``: ``perplexity``, ``total_logprob``, ``scored_tokens``; ``next``:
``top_token``, ``top_prob``; ``classify``: ``label``, ``prob``). Each row is computed on its own, so
its numbers are the single-process ``Model.<task>(text)``'s bit for bit, whatever the partitioning.

On several machines: ``ray start --head`` on one, ``ray start --address=HEAD:6379`` on the others,
the model folder (or the Hugging Face cache) on each at the same path or on shared storage, then
run the script with ``ray.init(address="auto")``. Requires ``pip install "ray[data]"``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

import tokprob

__all__ = ["map_task", "score", "next_token", "classify", "fill_mask"]

_TASKS = ("score", "next", "classify", "fill_mask")


def _flat_columns(task: str, result: dict[str, Any]) -> dict[str, Any]:
    if task == "score":
        perplexity = result.get("perplexity")
        return {"perplexity": np.nan if perplexity is None else perplexity,
                "total_logprob": result["total_logprob"], "scored_tokens": result["scored_tokens"]}
    if task == "next":
        top = result["top"][0]
        return {"top_token": top["text"], "top_prob": top["prob"]}
    if task == "classify":
        best = result["labels"][0]
        return {"label": best["label"], "prob": best["prob"]}
    return {}


class _TaskWorker:
    """One Ray actor: the model, loaded once, and the task applied to each batch."""

    def __init__(self, model: str, task: str, text_column: str, options: dict[str, Any], load: dict[str, Any]):
        import ray
        context: Any = ray.get_runtime_context()  # untyped in ray's stubs
        cpus = float(context.get_assigned_resources().get("CPU", 1.0))
        self.model = tokprob.load(model, threads=max(1, int(cpus)), **load)
        self.task = getattr(self.model, task)
        self.task_name = task
        self.text_column = text_column
        self.options = options

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch[self.text_column]]
        results = [self.task(text, **self.options).to_dict() for text in texts]
        out = dict(batch)
        out["result"] = np.array([json.dumps(r, ensure_ascii=False) for r in results], dtype=object)
        flat = [_flat_columns(self.task_name, r) for r in results]
        for key in flat[0] if flat else []:
            out[key] = np.array([f[key] for f in flat])
        return out


def map_task(ds: Any, model: str, task: str, *, text_column: str = "text", workers: int = 1,
             cpus_per_worker: int = 1, batch_size: int = 64, dtype: str = "fp32",
             **options: Any) -> Any:
    """Runs ``Model.<task>`` (score, next, classify or fill_mask) on the ``text_column`` of every
    row of the Ray Dataset ``ds`` with a pool of ``workers`` actors, each loading ``model`` (a
    folder or hub id, as :func:`tokprob.load`) once and computing with ``cpus_per_worker`` threads.
    ``options`` go to the task (``k=5``, ``window=512``, ...). Returns the lazy mapped Dataset."""
    if task not in _TASKS:
        raise tokprob.Error(f"task must be one of {', '.join(_TASKS)}, got {task!r}")
    if workers < 1 or cpus_per_worker < 1 or batch_size < 1:
        raise tokprob.Error("workers, cpus_per_worker and batch_size must be at least 1")
    import ray.data
    return ds.map_batches(
        _TaskWorker,
        fn_constructor_kwargs={"model": model, "task": task, "text_column": text_column, "options": options,
                               "load": {"dtype": dtype}},
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=cpus_per_worker,
        batch_size=batch_size,
        batch_format="numpy",
    )


def score(ds: Any, model: str, **kwargs: Any) -> Any:
    """Per-token log-probabilities and perplexity of each row's text (see :func:`map_task`)."""
    return map_task(ds, model, "score", **kwargs)


def next_token(ds: Any, model: str, **kwargs: Any) -> Any:
    """The next-token distribution after each row's text (see :func:`map_task`)."""
    return map_task(ds, model, "next", **kwargs)


def classify(ds: Any, model: str, **kwargs: Any) -> Any:
    """Label probabilities of each row's text (see :func:`map_task`)."""
    return map_task(ds, model, "classify", **kwargs)


def fill_mask(ds: Any, model: str, **kwargs: Any) -> Any:
    """The distribution at each mask of each row's text (see :func:`map_task`)."""
    return map_task(ds, model, "fill_mask", **kwargs)
