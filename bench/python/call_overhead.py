"""Python's overhead on a short call: a 5-token `next` (top 10) through the Python package against
the same call through the C++ API (build/tokprob_call_bench), measured in one run, in alternating
rounds so that both see the same machine. The target is a ratio of at most 1.05.

    PYTHONPATH=build/python python bench/python/call_overhead.py [--model FOLDER] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path

import tokprob

ROOT = Path(__file__).resolve().parents[2]


def python_round(lm: tokprob.Model, text: str, k: int, calls: int) -> float:
    """Median seconds per call over `calls` calls."""
    for _ in range(20):
        lm.next(text, k=k)
    runs = []
    for _ in range(calls):
        start = time.perf_counter()
        lm.next(text, k=k)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def cpp_round(binary: Path, model: str, text: str, k: int, calls: int) -> float:
    out = subprocess.run([str(binary), model, text, str(k), str(calls), "1"], check=True,
                         capture_output=True, text=True).stdout
    return float(json.loads(out)["median_us"]) * 1e-6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT.parent / "shared/fixtures/gpt2-tiny"))
    parser.add_argument("--text", default="This weekend I plan to")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--binary", default=str(ROOT / "build/tokprob_call_bench"))
    args = parser.parse_args()

    lm = tokprob.load(args.model, threads=1)
    tokens = len(lm.tokenizer.encode(args.text))
    py, cpp = [], []
    for _ in range(args.rounds):
        cpp.append(cpp_round(Path(args.binary), args.model, args.text, args.k, args.calls))
        py.append(python_round(lm, args.text, args.k, args.calls))
    # The least disturbed round of each: other processes only ever add time.
    best_py, best_cpp = min(py), min(cpp)
    print(f"model {args.model}, {tokens} tokens, top {args.k}, 1 thread, {args.rounds} rounds x {args.calls} calls")
    print(f"C++ API     median per call, best round: {best_cpp * 1e6:9.1f} us  (rounds: "
          + ", ".join(f"{x * 1e6:.0f}" for x in cpp) + ")")
    print(f"Python API  median per call, best round: {best_py * 1e6:9.1f} us  (rounds: "
          + ", ".join(f"{x * 1e6:.0f}" for x in py) + ")")
    print(f"Python / C++: {best_py / best_cpp:.3f}  (target <= 1.05)")


if __name__ == "__main__":
    main()
