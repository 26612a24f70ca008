"""lm-evaluation-harness against tokprob, unmodified: a small local task (multiple choice, perplexity,
greedy generation; data in lm_eval_tasks/, no download) through ``--model hf`` (transformers
in-process, the reference), through ``local-completions`` against ``tokprob serve`` (with the
model folder's tokenizer and with the server's remote tokenizer) and in-process through
``tokprob.lm_eval``: the same per-request log-likelihoods (within 1e-4), greedy flags, generations
and metrics."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import fixture
from served import serve

TASK_DIR = Path(__file__).resolve().parent / "lm_eval_tasks"
TASKS = ["tokprob_mc", "tokprob_ppl", "tokprob_gen"]
MODEL = "gpt2-tiny"
# Metrics that count (accuracy, exact match) must be equal; perplexities are functions of the
# summed log-likelihoods and follow their tolerance.
COUNTED = ("acc,", "acc_norm,", "exact_match,")
LOGLIKELIHOOD_TOLERANCE = 1e-4


def _lm_eval() -> Any:
    try:
        import lm_eval
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("lm_eval is missing (tests/python/requirements.txt installs it)")
        pytest.skip("lm_eval is not installed")
    return lm_eval


def evaluate(model: Any, model_args: dict[str, Any] | None = None, batch_size: int = 1) -> dict[str, Any]:
    """The task's results (with every request's responses) for lm_eval's `model`, and its wall time."""
    lm_eval = _lm_eval()
    from lm_eval.tasks import TaskManager

    # The task's data files are named relative to their folder; nothing comes from a hub.
    cwd, offline = os.getcwd(), os.environ.get("HF_DATASETS_OFFLINE")
    os.chdir(TASK_DIR)
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    try:
        start = time.perf_counter()
        results: dict[str, Any] = lm_eval.simple_evaluate(
            model=model, model_args=model_args, tasks=TASKS, task_manager=TaskManager(include_path=str(TASK_DIR)),
            batch_size=batch_size, device="cpu", log_samples=True, random_seed=0, numpy_random_seed=0,
            torch_random_seed=0, fewshot_random_seed=0)
        results["wall_seconds"] = time.perf_counter() - start
    finally:
        os.chdir(cwd)
        if offline is None:
            del os.environ["HF_DATASETS_OFFLINE"]
        else:
            os.environ["HF_DATASETS_OFFLINE"] = offline
    return results


def responses(results: dict[str, Any]) -> dict[tuple[str, int, int], Any]:
    """Every request's response, by (task, document, request of the document)."""
    out: dict[tuple[str, int, int], Any] = {}
    for task, samples in results["samples"].items():
        for sample in samples:
            for i, resp in enumerate(sample["resps"]):
                out[(task, sample["doc_id"], i)] = resp[0]
    return out


def assert_same_results(got: dict[str, Any], want: dict[str, Any]) -> None:
    got_responses, want_responses = responses(got), responses(want)
    assert got_responses.keys() == want_responses.keys()
    assert len(want_responses) >= 20
    kinds = set()
    for key, expected in want_responses.items():
        actual = got_responses[key]
        if isinstance(expected, str):  # generate_until
            kinds.add("generation")
            assert actual == expected, key
        elif isinstance(expected, (tuple, list)):  # loglikelihood: (log-likelihood, is_greedy)
            kinds.add("loglikelihood")
            assert actual[0] == pytest.approx(expected[0], abs=LOGLIKELIHOOD_TOLERANCE), key
            assert bool(actual[1]) == bool(expected[1]), key
        else:  # loglikelihood_rolling
            kinds.add("rolling")
            assert actual == pytest.approx(expected, abs=LOGLIKELIHOOD_TOLERANCE), key
    assert kinds == {"generation", "loglikelihood", "rolling"}
    for task in TASKS:
        want_metrics, got_metrics = want["results"][task], got["results"][task]
        for name, value in want_metrics.items():
            if "stderr" in name:
                continue
            if not isinstance(value, float) or name.startswith(COUNTED):
                assert got_metrics[name] == value, (task, name)
            else:
                assert math.isclose(got_metrics[name], value, rel_tol=LOGLIKELIHOOD_TOLERANCE), (task, name)


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    """The task through `--model hf`: transformers in-process on the fixture."""
    return evaluate("hf", {"pretrained": str(fixture(MODEL)), "dtype": "float32"})


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(fixture(MODEL)) as url:
        yield url


def test_the_reference_run_has_every_kind_of_request(reference: dict[str, Any]) -> None:
    # Guards the comparisons below against a task that asks nothing.
    assert len(reference["samples"]["tokprob_mc"]) == 5
    assert len(reference["samples"]["tokprob_ppl"]) == 3
    assert len(reference["samples"]["tokprob_gen"]) == 3
    assert all(isinstance(s["resps"][0][0], str) for s in reference["samples"]["tokprob_gen"])
    # The data holds the reference's greedy continuations among the choices, so is_greedy is
    # compared both ways.
    greedy = [bool(r[0][1]) for s in reference["samples"]["tokprob_mc"] for r in s["resps"]]
    assert any(greedy) and not all(greedy)


def test_local_completions_with_the_folders_tokenizer(reference: dict[str, Any], server: str) -> None:
    results = evaluate("local-completions", {
        "base_url": f"{server}/v1/completions", "model": MODEL, "tokenizer": str(fixture(MODEL)),
        "tokenizer_backend": "huggingface", "max_length": 128, "max_retries": 1})
    assert_same_results(results, reference)
    print(f"\nwall time: hf {reference['wall_seconds']:.2f} s, tokprob serve {results['wall_seconds']:.2f} s")


def test_local_completions_with_the_remote_tokenizer(reference: dict[str, Any], server: str) -> None:
    _lm_eval()
    from lm_eval.models.openai_completions import LocalCompletionsAPI

    # `auto` probes /tokenizer_info and /tokenize and then needs no tokenizer files; several
    # requests per call send lists of token-id lists.
    lm = LocalCompletionsAPI(base_url=f"{server}/v1/completions", model=MODEL, tokenizer_backend="auto",
                             max_length=128, max_retries=1, batch_size=4)
    assert lm.tokenizer_backend == "remote"
    assert lm.eot_token_id == 50256 and lm.prefix_token_id == 50256
    assert_same_results(evaluate(lm), reference)


def test_in_process_through_tokprob_lm_eval(reference: dict[str, Any]) -> None:
    _lm_eval()
    import tokprob.lm_eval  # noqa: F401  (registers the "tokprob" model)

    results = evaluate("tokprob", {"pretrained": str(fixture(MODEL))})
    assert_same_results(results, reference)
    print(f"\nwall time: tokprob in-process {results['wall_seconds']:.2f} s")


def test_the_harness_command_line_runs_the_tokprob_model(reference: dict[str, Any], tmp_path: Path) -> None:
    _lm_eval()
    import tokprob

    # python -m tokprob.lm_eval is lm_eval's own command line with the model registered.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(tokprob.__file__).parents[1]),
                                                       os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-m", "tokprob.lm_eval", "--model", "tokprob", "--model_args",
                           f"pretrained={fixture(MODEL)}", "--tasks", "tokprob_mc", "--include_path", str(TASK_DIR)],
                          capture_output=True, text=True, env=dict(env, HF_DATASETS_OFFLINE="1"), cwd=TASK_DIR,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    row = next(line for line in done.stdout.splitlines() if "acc_norm" in line)
    cells = [cell.strip() for cell in row.split("|")]
    value = float(cells[cells.index("acc_norm") + 2])  # after the higher-is-better arrow
    assert value == pytest.approx(reference["results"]["tokprob_mc"]["acc_norm,none"], abs=1e-4)  # as printed
