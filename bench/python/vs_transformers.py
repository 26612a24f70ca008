"""tokprob's Python API against transformers on the same model, in the same run: import + load, a
5-token `next` (top 10), batch scoring throughput, greedy decoding speed and peak memory. These are
the numbers a user switching from transformers asks for.

The model is the distilgpt2 shape (6 layers, 768 wide, GPT-2's 50,257-token vocabulary) with random
weights, built by transformers and saved once (there is no model hub here); the tokenizer is the
real GPT-2 one from the gpt2-tiny fixture. Each engine runs in its own process (so its import, load
and peak RSS are its own), with the same thread count.

    PYTHONPATH=build/python python bench/python/vs_transformers.py [--threads 2] [--dtype float32]
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before any import: import + load counts from here

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TOKENIZER = ROOT.parent / "shared/fixtures/gpt2-tiny"
SHORT = "This weekend I plan to"  # 5 GPT-2 tokens
WORDS = ("the model reads each word of a long text and we ask how likely it found every token "
         "along the way so that surprisal can be compared across readers and corpora").split()


def corpus(texts: int, words: int) -> list[str]:
    """Deterministic texts of about the same length (batch scoring pads to the longest)."""
    return [" ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(words)) for i in range(texts)]


def make_model(folder: Path, storage: str) -> None:
    import torch
    import transformers
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=6, n_embd=768, n_head=12, n_positions=1024, vocab_size=50257)
    model = transformers.GPT2LMHeadModel(config).eval().to(getattr(torch, storage))
    model.save_pretrained(folder, safe_serialization=True)
    for name in ("tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"):
        if (TOKENIZER / name).exists():
            shutil.copy(TOKENIZER / name, folder / name)


def timed(fn: Any, repeat: int) -> float:
    """Median wall seconds of `repeat` calls after one warm-up call."""
    fn()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def run_tokprob(folder: str, threads: int, args: argparse.Namespace) -> dict[str, float]:
    import tokprob
    lm = tokprob.load(folder, threads=threads)
    loaded = time.perf_counter() - STARTED
    texts = corpus(args.texts, args.words)
    tokens = sum(len(lm.tokenizer.encode(t)) for t in texts)
    score = timed(lambda: lm.score(texts), args.repeat)
    generated = len(lm.generate(SHORT, max_new_tokens=args.new_tokens).sequences[0].new_ids)
    decode = timed(lambda: lm.generate(SHORT, max_new_tokens=args.new_tokens), args.repeat)
    return {"load_s": loaded, "next_s": timed(lambda: lm.next(SHORT, k=10), 50 * args.repeat),
            "score_tok_s": tokens / score, "decode_tok_s": generated / decode}


def run_transformers(folder: str, threads: int, args: argparse.Namespace) -> dict[str, float]:
    import torch
    import transformers
    torch.set_num_threads(threads)
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    loaded = time.perf_counter() - STARTED

    def next_top10() -> None:
        with torch.no_grad():
            logits = model(**tok(SHORT, return_tensors="pt")).logits[0, -1]
            torch.softmax(logits, -1).topk(10)

    tok.pad_token = tok.eos_token
    texts = corpus(args.texts, args.words)
    tokens = sum(len(tok(t).input_ids) for t in texts)

    def score() -> None:  # per-token log-probabilities of every text, as `lm.score` gives them
        with torch.no_grad():
            enc = tok(texts, return_tensors="pt", padding=True)
            logp = torch.log_softmax(model(**enc).logits[:, :-1].float(), -1)
            logp.gather(-1, enc.input_ids[:, 1:, None])

    ids = tok(SHORT, return_tensors="pt")

    def decode() -> Any:
        with torch.no_grad():
            return model.generate(**ids, max_new_tokens=args.new_tokens, do_sample=False,
                                  pad_token_id=tok.eos_token_id)

    generated = decode().shape[1] - ids.input_ids.shape[1]
    return {"load_s": loaded, "next_s": timed(next_top10, 50 * args.repeat),
            "score_tok_s": tokens / timed(score, args.repeat), "decode_tok_s": generated / timed(decode, args.repeat)}


def child(args: argparse.Namespace) -> None:
    import resource
    run = run_tokprob if args.engine == "tokprob" else run_transformers
    result = run(args.folder, args.threads, args)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--storage", default="float32", choices=["float32", "bfloat16", "float16"])
    parser.add_argument("--texts", type=int, default=16, help="texts in the scoring batch")
    parser.add_argument("--words", type=int, default=48, help="words per scored text")
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_model(folder, args.storage)
        size = sum(f.stat().st_size for f in folder.glob("*.safetensors")) / 2**20
        results = {}
        for engine in ("transformers", "tokprob"):
            cmd = [sys.executable, __file__, "--engine", engine, "--folder", str(folder)]
            cmd += [f"--{k.replace('_', '-')}={v}" for k, v in vars(args).items() if k not in ("engine", "folder")]
            out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
            results[engine] = json.loads(out.strip().splitlines()[-1])
    t, r = results["tokprob"], results["transformers"]
    print(f"distilgpt2 shape, random weights, {args.storage} checkpoint ({size:.0f} MiB), {args.threads} threads")
    print(f"{'':28}{'transformers':>14}{'tokprob':>12}{'tokprob is':>14}")
    rows = [("import + load (s)", "load_s", 1, False), ("5-token next, top 10 (ms)", "next_s", 1000, False),
            (f"scoring {args.texts}x{args.words} words (tok/s)", "score_tok_s", 1, True),
            (f"greedy, {args.new_tokens} tokens (tok/s)", "decode_tok_s", 1, True),
            ("peak RSS (MiB)", "peak_rss_mb", 1, False)]
    for label, key, scale, higher_better in rows:
        ratio = t[key] / r[key] if higher_better else r[key] / t[key]
        word = "smaller" if key == "peak_rss_mb" else "faster"
        print(f"{label:28}{r[key] * scale:14.1f}{t[key] * scale:12.1f}{ratio:9.2f}x {word}")

if __name__ == "__main__":
    main()
