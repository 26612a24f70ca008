"""score's per-token analysis from Python (entropy, rank, top-k: the GLTR view) against torch."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM

import tokprob
from conftest import fixture


def test_entropy_rank_and_alternatives_match_torch() -> None:
    path = fixture("gpt2-tiny")
    result = tokprob.load(str(path)).score("Hello world, how are you today?", token_stats=True, top_k=3)
    ids = torch.tensor([[int(i) for i in result.ids]])
    with torch.no_grad():
        logp = torch.log_softmax(AutoModelForCausalLM.from_pretrained(path)(ids).logits[0, :-1].double(), -1)
    tokens = result.to_dict()["tokens"]
    assert "entropy" not in tokens[0]
    for t, row, target in zip(tokens[1:], logp, ids[0, 1:]):
        assert t["entropy"] == pytest.approx(float(-(row.exp() * row).sum()), abs=1e-5)
        assert t["rank"] == int((row > row[target]).sum()) + 1
        top = torch.topk(row, 3)
        assert [a["id"] for a in t["top"]] == [int(i) for i in top.indices]
        for a, v in zip(t["top"], top.values):
            assert a["logprob"] == pytest.approx(float(v), abs=1e-5)


def test_word_spans_from_python() -> None:
    lm = tokprob.load(str(fixture("gpt2-tiny")))
    words = lm.score("Hello big world", score_first_token=True, word_spans=[(0, 9), (10, 15)]).to_dict()["words"]
    assert [w["text"] for w in words] == ["Hello big", "world"]
    many = lm.score(["Hello big world", "a b"], word_spans=[[(0, 5)], [(2, 3)]])
    assert [[w["text"] for w in r.to_dict()["words"]] for r in many] == [["Hello"], ["b"]]
    with pytest.raises(tokprob.Error, match="word_spans"):
        lm.score("Hello", word_spans=[(0, 9)])
