"""`tokprob compare` against torch: gpt2-tiny as observer, a second GPT-2 with random weights and
the same tokenizer files as performer; per-token logprobs, cross-entropy and the Binoculars score
(Hans et al. 2024: the observer's log-perplexity over the observer-performer cross-perplexity)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel

import tokprob
from conftest import cli_error, cli_json, fixture


@pytest.fixture(scope="module")
def performer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    observer = fixture("gpt2-tiny")
    folder = tmp_path_factory.mktemp("gpt2-performer")
    torch.manual_seed(7)
    config = GPT2Config.from_pretrained(observer)
    GPT2LMHeadModel(config).eval().save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt"):
        if (observer / name).exists():
            shutil.copy(observer / name, folder / name)
    return folder


def test_compare_matches_torch(performer: Path) -> None:
    observer = fixture("gpt2-tiny")
    text = "The quick brown fox jumps over the lazy dog."
    result = cli_json("compare", "-m", str(observer), "-m", str(performer), text)[0]
    ids = torch.tensor([[t["id"] for t in result["tokens"]]])
    with torch.no_grad():
        a = torch.log_softmax(AutoModelForCausalLM.from_pretrained(observer)(ids).logits[0, :-1].double(), -1)
        b = torch.log_softmax(AutoModelForCausalLM.from_pretrained(performer)(ids).logits[0, :-1].double(), -1)
    targets = ids[0, 1:]
    la = a.gather(1, targets[:, None])[:, 0]
    lb = b.gather(1, targets[:, None])[:, 0]
    x = -(a.exp() * b).sum(-1)
    for i, t in enumerate(result["tokens"][1:]):
        assert t["observer_logprob"] == pytest.approx(float(la[i]), abs=1e-4)
        assert t["performer_logprob"] == pytest.approx(float(lb[i]), abs=1e-4)
        assert t["cross_entropy"] == pytest.approx(float(x[i]), abs=1e-4)
    log_ppl = float(-la.mean())
    x_ppl = float(x.mean())
    assert result["observer_log_perplexity"] == pytest.approx(log_ppl, abs=1e-4)
    assert result["performer_log_perplexity"] == pytest.approx(float(-lb.mean()), abs=1e-4)
    assert result["cross_entropy"] == pytest.approx(x_ppl, abs=1e-4)
    assert result["binoculars"] == pytest.approx(log_ppl / x_ppl, rel=1e-5)


def test_compare_refuses_two_tokenizers() -> None:
    message = cli_error("compare", "-m", str(fixture("gpt2-tiny")), "-m", str(fixture("tinystories-656k")), "Hi")
    assert "one tokenizer" in message


def test_python_compare_equals_the_command_line(performer: Path) -> None:
    observer = fixture("gpt2-tiny")
    text = "Hello world, how are you"
    result = tokprob.load(str(observer)).compare(tokprob.load(str(performer)), text)
    assert result.to_dict() == cli_json("compare", "-m", str(observer), "-m", str(performer), text)[0]
