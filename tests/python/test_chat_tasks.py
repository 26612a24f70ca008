"""lm.chat_prompt / chat_next / chat / score_reply against transformers on llama-tiny with the
Phi-3.5 chat template (short enough for the model's 128 positions; a copy of the fixture folder
with chat_template.jinja beside it): the prompt and ids are apply_chat_template's, the next-token
distribution and the reply's token log-probabilities are log_softmax of the reference model's
logits over those ids, greedy replies are generate()'s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import transformers

import tokprob
from conftest import llama_chat_folder

CONVERSATION = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Once upon a time"}]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return llama_chat_folder(tmp_path_factory.mktemp("llama-chat"))


@pytest.fixture(scope="module")
def reference(folder: Path) -> tuple[Any, Any]:
    tok = transformers.AutoTokenizer.from_pretrained(str(folder))
    model = transformers.AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32).eval()
    return tok, model


def log_softmax_rows(model: Any, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].double()
    return torch.log_softmax(logits, dim=-1)


def test_prompt_and_next_token_are_the_references(folder: Path, reference: tuple[Any, Any]) -> None:
    tok, model = reference
    lm = tokprob.load(str(folder))
    assert lm.chat_prompt(CONVERSATION) == tok.apply_chat_template(CONVERSATION, tokenize=False,
                                                                   add_generation_prompt=True)
    ids = list(tok.apply_chat_template(CONVERSATION, tokenize=True, return_dict=False, add_generation_prompt=True))
    result = lm.chat_next(CONVERSATION, k=5)
    assert result.input_ids == ids
    expected = log_softmax_rows(model, ids)[-1]
    top = torch.topk(expected, 5)
    assert [t.id for t in result.top] == top.indices.tolist()
    for t, lp in zip(result.top, top.values.tolist(), strict=True):
        assert abs(t.logprob - lp) < 1e-5


def test_greedy_reply_is_generates(folder: Path, reference: tuple[Any, Any]) -> None:
    tok, model = reference
    lm = tokprob.load(str(folder))
    ids = tok.apply_chat_template(CONVERSATION, tokenize=True, return_dict=False, add_generation_prompt=True)
    with torch.no_grad():
        out = model.generate(torch.tensor([list(ids)]), max_new_tokens=6, do_sample=False)
    result = lm.chat(CONVERSATION, max_new_tokens=6)
    assert result.sequences[0].new_ids == out[0, len(ids):].tolist()


def test_score_reply_is_the_log_softmax_of_the_reply_tokens(folder: Path, reference: tuple[Any, Any]) -> None:
    tok, model = reference
    lm = tokprob.load(str(folder))
    reply = "there was a small dog."
    prompt_ids = list(tok.apply_chat_template(CONVERSATION, tokenize=True, return_dict=False,
                                              add_generation_prompt=True))
    full_ids = list(tok.apply_chat_template([*CONVERSATION, {"role": "assistant", "content": reply}],
                                            tokenize=True, return_dict=False))
    assert full_ids[:len(prompt_ids)] == prompt_ids
    rows = log_softmax_rows(model, full_ids)
    expected = [rows[i - 1, full_ids[i]].item() for i in range(len(prompt_ids), len(full_ids))]
    result = lm.score_reply(CONVERSATION, reply)
    assert [t.id for t in result.tokens] == full_ids[len(prompt_ids):]
    for t, lp in zip(result.tokens, expected, strict=True):
        assert abs(t.logprob - lp) < 1e-5
    assert abs(result.total_logprob - sum(expected)) < 1e-4


def test_a_refused_conversation_is_an_error(folder: Path) -> None:
    lm = tokprob.load(str(folder))
    with pytest.raises(tokprob.Error, match="messages"):
        lm.chat_prompt([])


def test_content_parts_are_read_as_their_texts(folder: Path, reference: tuple[Any, Any]) -> None:
    """OpenAI's content parts: the Phi-3.5 template reads content as a string, so lm.chat* give it
    the parts' texts joined by newlines; a part other than text is an Error naming it."""
    tok, _ = reference
    lm = tokprob.load(str(folder))
    parts = [{"role": "user", "content": [{"type": "text", "text": "Once upon"}, {"type": "text", "text": "a time"}]}]
    joined = [{"role": "user", "content": "Once upon\na time"}]
    assert lm.chat_prompt(parts) == tok.apply_chat_template(joined, tokenize=False, add_generation_prompt=True)
    ids = list(tok.apply_chat_template(joined, tokenize=True, return_dict=False, add_generation_prompt=True))
    assert lm.chat_next(parts, k=1).input_ids == ids
    audio = {"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}
    with pytest.raises(tokprob.Error, match=r"messages\[0\]\.content\[0\]\.type"):
        lm.chat([{"role": "user", "content": [audio]}], max_new_tokens=1)
