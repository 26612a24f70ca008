"""The Python package against the goldens of the fixtures and against the command line: same
numbers, same JSON (to_dict() equals --format json), same one-line errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tokprob
from conftest import cli_error, cli_json, fixture, golden


@pytest.fixture(scope="module")
def gpt2() -> tokprob.Model:
    return tokprob.load(str(fixture("gpt2-tiny")))


def max_relative_error(got: np.ndarray, want: np.ndarray) -> float:
    scale = max(1.0, float(np.max(np.abs(want))))
    return float(np.max(np.abs(got - want))) / scale


def test_load_says_what_the_model_is(gpt2: tokprob.Model) -> None:
    assert gpt2.kind == "causal-lm"
    assert gpt2.tasks == ["next", "score", "generate"]
    assert gpt2.model_type == "gpt2"
    assert gpt2.architecture == "GPT2LMHeadModel"
    assert gpt2.vocab_size == 50257
    assert gpt2.max_positions == 128
    assert gpt2.dtype == "fp32"
    assert "gpt2-tiny" in repr(gpt2)


def test_logits_are_the_reference_logits(gpt2: tokprob.Model) -> None:
    for p in golden("gpt2-tiny")["prompts"]:
        logits = gpt2.logits(p["text"])
        assert logits.dtype == np.float32
        assert logits.shape == (len(p["input_ids"]), gpt2.vocab_size)
        assert max_relative_error(logits[-1], np.array(p["last_logits"])) <= 1e-4
        argmax = [row["argmax"] for row in p["per_position"]]
        assert list(np.argmax(logits, axis=1)) == argmax


def test_logits_own_their_memory(gpt2: tokprob.Model) -> None:
    logits = gpt2.logits("Hello world")
    assert logits.flags["C_CONTIGUOUS"] and logits.flags["OWNDATA"] is False  # a view of the engine's buffer
    copy = logits.copy()
    del gpt2  # the array keeps its buffer alive on its own
    np.testing.assert_array_equal(logits, copy)


def test_next_top10_is_the_reference(gpt2: tokprob.Model) -> None:
    for p in golden("gpt2-tiny")["prompts"]:
        r = gpt2.next(p["text"], k=10)
        assert r.input_ids == p["input_ids"]
        assert [t.id for t in r.top] == [t["id"] for t in p["top10"]]
        for got, want in zip(r.top, p["top10"]):
            assert abs(got.prob - want["prob"]) <= 1e-5


def test_next_to_dict_equals_the_command_line(gpt2: tokprob.Model) -> None:
    texts = ["To be or not to", "For God so loved the"]
    got = [r.to_dict() for r in gpt2.next(texts, k=5, targets=[" be", " world"])]
    assert got == cli_json("next", "-m", gpt2.folder, "-k", "5", "--targets", " be", "--targets", " world", *texts)


def test_next_at_every_position_groups_by_text(gpt2: tokprob.Model) -> None:
    per_text = gpt2.next(["The cat sat", "Hello"], k=3, position="all")
    assert [len(rs) for rs in per_text] == [len(gpt2.tokenizer.encode(t)) for t in ["The cat sat", "Hello"]]
    assert [r.position for r in per_text[0]] == list(range(len(per_text[0])))


def test_score_matches_the_reference_per_position(gpt2: tokprob.Model) -> None:
    p = golden("gpt2-tiny")["prompts"][0]
    r = gpt2.score(p["text"])
    want = [row["next_token_logprob"] for row in p["per_position"][:-1]]
    assert np.isnan(r.logprobs[0])
    np.testing.assert_allclose(r.logprobs[1:], want, atol=1e-4)
    # The golden logprobs are rounded to 6 digits, which exp() amplifies: perplexity is checked
    # against the logprobs just checked.
    assert r.perplexity == pytest.approx(float(np.exp(-np.mean(r.logprobs[1:]))), rel=1e-12)
    assert r.to_dict() == cli_json("score", "-m", gpt2.folder, p["text"])[0]


def test_greedy_generation_is_the_reference(gpt2: tokprob.Model) -> None:
    for p in golden("gpt2-tiny")["prompts"]:
        g = p["greedy"]
        r = gpt2.generate(p["text"], max_new_tokens=len(g["new_ids"]))
        assert r.mode == "greedy"
        assert r.sequences[0].new_ids[: len(g["new_ids"])] == g["new_ids"]


def test_streaming_yields_the_tokens_of_the_whole_result(gpt2: tokprob.Model) -> None:
    text = "This weekend I plan to"
    events = list(gpt2.generate(text, max_new_tokens=8, stream=True))
    whole = gpt2.generate(text, max_new_tokens=8)
    assert [e.id for e in events] == whole.sequences[0].new_ids
    assert "".join(e.delta for e in events) == whole.sequences[0].text


def test_sampling_with_a_seed_repeats_and_matches_the_command_line(gpt2: tokprob.Model) -> None:
    kw = dict(max_new_tokens=6, temperature=0.8, top_p=0.9, seed=7, logprobs=3)
    a = gpt2.generate("Once upon a time", **kw)
    b = gpt2.generate("Once upon a time", **kw)
    assert a.to_dict() == b.to_dict()
    cli = cli_json("generate", "-m", gpt2.folder, "--max-new-tokens", "6", "--temperature", "0.8", "--top-p", "0.9",
                   "--seed", "7", "--logprobs", "3", "Once upon a time")
    assert a.to_dict() == cli[0]


def test_tokenizer_round_trip(gpt2: tokprob.Model) -> None:
    for t in golden("gpt2-tiny")["tokenization"]:
        assert gpt2.tokenizer.encode(t["text"]) == t["ids"]
        assert gpt2.tokenizer.decode(t["ids"]) == t["decoded"]
    assert gpt2.tokenizer.encode("Hello") == [15496]
    assert gpt2.tokenizer.decode([15496]) == "Hello"
    assert len(gpt2.tokenizer) == 50257


def test_fill_mask_classify_seq2seq_match_the_command_line() -> None:
    bert = tokprob.load(str(fixture("bert-tiny-mlm")))
    assert bert.kind == "masked-lm"
    text = "The capital of France is [MASK]."
    assert bert.fill_mask(text, k=5).to_dict() == cli_json("fill-mask", "-m", bert.folder, "-k", "5", text)[0]
    clf = tokprob.load(str(fixture("distilbert-tiny-sst2")))
    assert clf.labels == ["NEGATIVE", "POSITIVE"]
    assert clf.classify("I love this movie").to_dict() == cli_json("classify", "-m", clf.folder, "I love this movie")[0]
    t5 = tokprob.load(str(fixture("t5-tiny")))
    src = "translate English to German: Hello"
    assert t5.seq2seq(src, max_new_tokens=5).to_dict() == cli_json("seq2seq", "-m", t5.folder, "--max-new-tokens", "5",
                                                                   src)[0]


def test_errors_are_value_errors_with_the_command_lines_message(gpt2: tokprob.Model) -> None:
    with pytest.raises(tokprob.Error) as e:
        gpt2.next("")
    assert isinstance(e.value, ValueError)
    assert str(e.value) == cli_error("next", "-m", gpt2.folder, "")
    with pytest.raises(tokprob.Error, match="fill-mask needs another kind of model"):
        gpt2.fill_mask("a [MASK]")
    with pytest.raises(tokprob.Error, match="model folder not found"):
        tokprob.load("/no/such/folder")
    with pytest.raises(tokprob.Error, match="unknown weight dtype"):
        tokprob.load(gpt2.folder, dtype="fp7")


def test_concurrent_calls_from_threads_agree(gpt2: tokprob.Model) -> None:
    texts = ["To be or not to", "For God so loved the", "This weekend I plan to", "Hello world"]
    want = {t: gpt2.next(t, k=5).to_dict() for t in texts}
    errors: list[str] = []

    def worker(t: str) -> None:
        for _ in range(5):
            if gpt2.next(t, k=5).to_dict() != want[t]:
                errors.append(t)

    threads = [threading.Thread(target=worker, args=(t,)) for t in texts * 2]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []


def test_help_is_useful() -> None:
    assert "Hugging Face model folder" in (tokprob.load.__doc__ or "")
    assert "next-token distribution" in (tokprob.Model.next.__doc__ or "")
