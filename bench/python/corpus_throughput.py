"""Scoring a corpus from a file: `tokprob score --input corpus.jsonl --output ...` on a synthetic
10,000-line corpus with 1 and 2 threads, in one run: tokens/s, and the speed-up of the second
thread. The default model is the distilgpt2 shape with random weights (made by transformers, as
vs_transformers.py makes it); --model takes any folder.

    python bench/python/corpus_throughput.py [--model FOLDER] [--lines 10000] [--words 12]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORDS = ("the model reads each word of a long text and we ask how likely it found every token along the way so "
         "that surprisal can be compared across readers and corpora").split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model folder (default: the distilgpt2 shape, random weights)")
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--words", type=int, default=12, help="words per line (lengths vary around it)")
    parser.add_argument("--binary", default=str(ROOT / "build/tokprob"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.model) if args.model else Path(tmp) / "model"
        if not args.model:
            sys.path.insert(0, str(Path(__file__).parent))
            from vs_transformers import make_model
            folder.mkdir()
            make_model(folder, "float32")
        corpus = Path(tmp) / "corpus.jsonl"
        with corpus.open("w") as f:
            for i in range(args.lines):
                n = args.words // 2 + (i * 7919) % (args.words + 1)
                text = " ".join(WORDS[(i * 13 + j) % len(WORDS)] for j in range(n))
                f.write(json.dumps({"id": i, "text": text}) + "\n")
        results = {}
        for threads in (1, 2):
            out = Path(tmp) / f"out{threads}.jsonl"
            start = time.perf_counter()
            subprocess.run([args.binary, "score", "-m", str(folder), "--input", str(corpus), "--output", str(out),
                            "--threads", str(threads)], check=True)
            seconds = time.perf_counter() - start
            tokens = sum(len(json.loads(line)["tokens"]) for line in out.open())
            results[threads] = (seconds, tokens)
    print(f"{args.lines} lines ({results[1][1]} tokens), model {args.model or 'distilgpt2 shape, random weights'}")
    for threads, (seconds, tokens) in results.items():
        print(f"{threads} thread(s): {seconds:7.2f} s  {tokens / seconds:9.0f} tokens/s (whole process)")
    print(f"2 threads / 1 thread speed-up: {results[1][0] / results[2][0]:.2f}x")


if __name__ == "__main__":
    main()
