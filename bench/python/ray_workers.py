"""Scale-out on one machine: the same 10,000-row corpus scored through tokprob.ray_data with 1 and 2
workers (one CPU each) on a local Ray cluster, against the single-process loop, in one run.

    PYTHONPATH=build/python python bench/python/ray_workers.py [--model FOLDER] [--rows 10000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import ray

import tokprob
import tokprob.ray_data

ROOT = Path(__file__).resolve().parents[2]
WORDS = ["cat", "dog", "little girl", "boy", "bird", "big red ball", "tree", "sun"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT.parent / "shared/fixtures/tinystories-656k"))
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    rows = [{"id": i, "text": f"Once upon a time, there was a {WORDS[i % len(WORDS)]} named {i}."}
            for i in range(args.rows)]
    lm = tokprob.load(args.model, threads=1)
    tokens = sum(len(lm.tokenizer.encode(r["text"])) for r in rows)

    start = time.perf_counter()
    for r in rows:
        lm.score(r["text"])
    single = time.perf_counter() - start

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    times = {}
    for workers in (1, 2):
        start = time.perf_counter()
        tokprob.ray_data.score(ray.data.from_items(rows), args.model, workers=workers).materialize()
        times[workers] = time.perf_counter() - start
    ray.shutdown()

    print(f"{args.rows} rows, {tokens} tokens, model {args.model}")
    print(f"single process, 1 thread: {single:7.2f} s  {tokens / single:9.0f} tokens/s")
    for workers, t in times.items():
        print(f"ray, {workers} worker(s):      {t:7.2f} s  {tokens / t:9.0f} tokens/s  (start-up included)")
    print(f"2 workers / 1 worker speed-up: {times[1] / times[2]:.2f}x")


if __name__ == "__main__":
    main()
