"""The OpenAI Python client's chat completions, unmodified, against ``tokprob serve`` on llama-tiny
with the Phi-3.5 chat template: every answer and every streamed chunk parses strictly into the
client's own types, the prompt is apply_chat_template's, greedy replies are transformers'
generate()'s, each token's logprob and top_logprobs are log_softmax of the reference model's logits
over the conversation's ids, and sampled choices are the Python API's (lm.chat) with the same seed."""

from __future__ import annotations

import json
import math
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import transformers

import tokprob
from conftest import llama_chat_folder
from served import import_openai, serve

MODEL = "llama-chat"
CONVERSATION = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Once upon a time"}]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return llama_chat_folder(tmp_path_factory.mktemp(MODEL))


@pytest.fixture(scope="module")
def client(folder: Path) -> Iterator[Any]:
    openai = import_openai()
    with serve(folder) as url:
        with openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0) as c:
            yield c


@pytest.fixture(scope="module")
def reference(folder: Path) -> tuple[Any, Any]:
    tok = transformers.AutoTokenizer.from_pretrained(str(folder))
    model = transformers.AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32).eval()
    return tok, model


def create(client: Any, **request: Any) -> Any:
    """client.chat.completions.create(**request), with the raw answer validated strictly as a
    ChatCompletion."""
    from openai.types.chat import ChatCompletion

    raw = client.chat.completions.with_raw_response.create(model=MODEL, **request)
    ChatCompletion.model_validate(raw.http_response.json(), strict=True)
    completion = raw.parse()
    assert isinstance(completion, ChatCompletion)
    return completion


def stream(client: Any, **request: Any) -> list[Any]:
    """The chunks of a streamed chat completion, each validated strictly as a ChatCompletionChunk."""
    from openai.types.chat import ChatCompletionChunk

    chunks = list(client.chat.completions.create(model=MODEL, stream=True, **request))
    for c in chunks:
        assert isinstance(c, ChatCompletionChunk)
        ChatCompletionChunk.model_validate(c.model_dump(exclude_unset=True), strict=True)
    return chunks


def prompt_ids(tok: Any, messages: list[dict[str, str]]) -> list[int]:
    return list(tok.apply_chat_template(messages, tokenize=True, return_dict=False, add_generation_prompt=True))


def log_softmax_rows(model: Any, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].double()
    return torch.log_softmax(logits, dim=-1)


def expect_reference_logprobs(content: list[Any], model: Any, ids: list[int], new_ids: list[int], top: int) -> None:
    """Each entry of choices[i].logprobs.content has the reference's numbers: the chosen token's
    logprob and the `top` likeliest alternatives', as log_softmax over the ids before it; bytes
    spell the token's text."""
    rows = log_softmax_rows(model, ids + new_ids)
    assert len(content) == len(new_ids)
    for j, (entry, new_id) in enumerate(zip(content, new_ids, strict=True)):
        row = rows[len(ids) + j - 1]
        assert entry.logprob == pytest.approx(row[new_id].item(), abs=1e-5)
        assert bytes(entry.bytes) == entry.token.encode("utf-8")
        assert len(entry.top_logprobs) == top
        if top:
            best = torch.topk(row, top)
            for alternative, lp in zip(entry.top_logprobs, best.values.tolist(), strict=True):
                assert alternative.logprob == pytest.approx(lp, abs=1e-5)
                assert bytes(alternative.bytes) == alternative.token.encode("utf-8")


def test_a_greedy_reply_with_top_logprobs_is_the_references(client: Any, reference: tuple[Any, Any],
                                                           folder: Path) -> None:
    tok, model = reference
    ids = prompt_ids(tok, CONVERSATION)
    with torch.no_grad():
        out = model.generate(torch.tensor([ids]), max_new_tokens=6, do_sample=False)
    new_ids = out[0, len(ids):].tolist()
    completion = create(client, messages=CONVERSATION, max_tokens=6, temperature=0, logprobs=True, top_logprobs=5)
    (choice,) = completion.choices
    assert choice.index == 0
    assert choice.message.role == "assistant"
    # The reply reads as the new tokens read after the prompt (as transformers' text-generation
    # pipeline and vLLM cut it), not as they would alone: a leading "▁" is a space here.
    prompt_text = tok.decode(ids, skip_special_tokens=True)
    whole_text = tok.decode(out[0].tolist(), skip_special_tokens=True)
    assert whole_text.startswith(prompt_text)
    assert choice.message.content == whole_text[len(prompt_text):]
    assert choice.finish_reason == ("length" if len(new_ids) == 6 else "stop")
    expect_reference_logprobs(choice.logprobs.content, model, ids, new_ids, top=5)
    # The tokens' texts are those the Python API reports for the same reply.
    steps = tokprob.load(str(folder)).chat(CONVERSATION, max_new_tokens=6, logprobs=5).sequences[0].steps
    assert [e.token for e in choice.logprobs.content] == [s.text for s in steps]
    for entry, step in zip(choice.logprobs.content, steps, strict=True):
        assert [a.token for a in entry.top_logprobs] == [a.text for a in step.top]
    assert completion.usage.prompt_tokens == len(ids)
    assert completion.usage.completion_tokens == len(new_ids)
    assert completion.usage.total_tokens == len(ids) + len(new_ids)


def test_without_logprobs_the_choice_has_none_and_top_logprobs_zero_has_no_alternatives(
        client: Any, reference: tuple[Any, Any]) -> None:
    tok, model = reference
    assert create(client, messages=CONVERSATION, max_tokens=2, temperature=0).choices[0].logprobs is None
    (choice,) = create(client, messages=CONVERSATION, max_tokens=2, temperature=0, logprobs=True).choices
    ids = prompt_ids(tok, CONVERSATION)
    with torch.no_grad():
        new_ids = model.generate(torch.tensor([ids]), max_new_tokens=2, do_sample=False)[0, len(ids):].tolist()
    expect_reference_logprobs(choice.logprobs.content, model, ids, new_ids, top=0)


def test_a_stream_parses_chunk_by_chunk_and_adds_up_to_the_answer(client: Any) -> None:
    request: dict[str, Any] = {"messages": CONVERSATION, "max_tokens": 6, "temperature": 0, "logprobs": True,
                               "top_logprobs": 3}
    whole = create(client, **request).choices[0]
    chunks = stream(client, stream_options={"include_usage": True}, **request)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len({c.id for c in chunks}) == 1
    text = "".join(choice.delta.content or "" for c in chunks for choice in c.choices)
    assert text == whole.message.content
    content = [entry for c in chunks for choice in c.choices if choice.logprobs for entry in choice.logprobs.content]
    assert [e.model_dump() for e in content] == [e.model_dump() for e in whole.logprobs.content]
    finishes = [choice.finish_reason for c in chunks for choice in c.choices if choice.finish_reason]
    assert finishes == [whole.finish_reason]
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == len(whole.logprobs.content)


def test_n_choices_with_a_seed_are_the_python_apis_samples(client: Any, folder: Path) -> None:
    lm = tokprob.load(str(folder))
    expected = lm.chat(CONVERSATION, max_new_tokens=5, temperature=0.9, seed=7, num_return_sequences=3)
    completion = create(client, messages=CONVERSATION, max_tokens=5, temperature=0.9, seed=7, n=3, logprobs=True)
    assert [c.index for c in completion.choices] == [0, 1, 2]
    assert [c.message.content for c in completion.choices] == [s.text for s in expected.sequences]
    for choice, sequence in zip(completion.choices, expected.sequences, strict=True):
        assert [e.logprob for e in choice.logprobs.content] == pytest.approx(
            [s.logprob for s in sequence.steps], abs=1e-9)
    again = create(client, messages=CONVERSATION, max_tokens=5, temperature=0.9, seed=7, n=3)
    assert [c.message.content for c in again.choices] == [c.message.content for c in completion.choices]

    # Streamed, each choice's deltas add up to the same text.
    chunks = stream(client, messages=CONVERSATION, max_tokens=5, temperature=0.9, seed=7, n=3)
    texts = ["", "", ""]
    for c in chunks:
        for choice in c.choices:
            texts[choice.index] += choice.delta.content or ""
    assert texts == [s.text for s in expected.sequences]


def test_a_stop_string_cuts_the_greedy_reply_before_it(client: Any, folder: Path) -> None:
    lm = tokprob.load(str(folder))
    greedy = lm.chat(CONVERSATION, max_new_tokens=8).sequences[0]
    text = greedy.text
    stop = greedy.steps[3].text
    if not stop.strip() or text.index(stop) == 0:
        pytest.skip(f"the greedy reply {text!r} has no stop string to cut at")
    (choice,) = create(client, messages=CONVERSATION, max_tokens=8, temperature=0, stop=[stop, "never there"]).choices
    assert choice.message.content == text[:text.index(stop)]
    assert choice.finish_reason == "stop"


def test_the_system_message_reaches_the_prompt(client: Any, reference: tuple[Any, Any]) -> None:
    tok, model = reference
    user_only = CONVERSATION[1:]
    for messages in (CONVERSATION, user_only):
        ids = prompt_ids(tok, messages)
        completion = create(client, messages=messages, max_tokens=1, temperature=0, logprobs=True, top_logprobs=2)
        assert completion.usage.prompt_tokens == len(ids)
        (entry,) = completion.choices[0].logprobs.content
        row = log_softmax_rows(model, ids)[-1]
        assert entry.logprob == pytest.approx(row.max().item(), abs=1e-5)
    assert len(prompt_ids(tok, CONVERSATION)) > len(prompt_ids(tok, user_only))


def test_text_content_parts_are_read_as_their_texts(client: Any, reference: tuple[Any, Any]) -> None:
    """OpenAI's content parts, as the client sends them: the Phi-3.5 template reads content as a
    string, so the parts reach it as their texts joined by newlines (as vLLM's server gives them)."""
    tok, model = reference
    parts = [{"role": "system", "content": [{"type": "text", "text": "You are"}, {"type": "text", "text": "terse."}]},
             {"role": "user", "content": [{"type": "text", "text": "Once upon a time"}]}]
    joined = [{"role": "system", "content": "You are\nterse."}, {"role": "user", "content": "Once upon a time"}]
    ids = prompt_ids(tok, joined)
    completion = create(client, messages=parts, max_tokens=1, temperature=0, logprobs=True)
    assert completion.usage.prompt_tokens == len(ids)
    (entry,) = completion.choices[0].logprobs.content
    assert entry.logprob == pytest.approx(log_softmax_rows(model, ids)[-1].max().item(), abs=1e-5)

    openai = import_openai()
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    with pytest.raises(openai.BadRequestError) as refused:
        create(client, messages=[CONVERSATION[0], {"role": "user", "content": [image]}], max_tokens=1)
    assert "'messages[1].content[0].type'" in str(refused.value)


def test_max_tokens_zero_is_an_empty_reply(client: Any) -> None:
    (choice,) = create(client, messages=CONVERSATION, max_tokens=0, logprobs=True).choices
    assert choice.message.content == ""
    assert choice.logprobs.content == []
    assert choice.finish_reason == "length"


def test_bad_input_is_one_bad_request_naming_the_field_and_the_server_goes_on(client: Any) -> None:
    openai = import_openai()
    bad: list[tuple[dict[str, Any], str]] = [
        ({"messages": [{"content": "no role"}]}, "'messages[0].role'"),
        ({"messages": [CONVERSATION[0], "not a message"]}, "'messages[1]'"),
        ({"messages": []}, "'messages'"),
        ({"messages": CONVERSATION, "top_logprobs": 30, "logprobs": True}, "'top_logprobs'"),
        ({"messages": CONVERSATION, "top_logprobs": 2}, "'top_logprobs'"),
        ({"messages": CONVERSATION, "n": 0}, "'n'"),
        ({"messages": CONVERSATION, "max_tokens": 120}, "'messages'"),
        ({"messages": CONVERSATION, "max_tokens": 1000}, "'max_tokens'"),
    ]
    for request, field in bad:
        with pytest.raises(openai.BadRequestError) as refused:
            create(client, **request)
        assert field in str(refused.value), request
    assert create(client, messages=CONVERSATION, max_tokens=1).choices[0].finish_reason in ("length", "stop")
    assert not math.isnan(create(client, messages=CONVERSATION, max_tokens=1, logprobs=True)
                          .choices[0].logprobs.content[0].logprob)


def test_tokenize_of_messages_is_apply_chat_templates(client: Any, reference: tuple[Any, Any]) -> None:
    tok, _ = reference
    url = str(client.base_url).removesuffix("/").removesuffix("/v1") + "/tokenize"

    def tokenize(**request: Any) -> list[int]:
        posted = urllib.request.Request(url, data=json.dumps(request).encode(),
                                        headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(posted, timeout=30) as answer:
            tokens = json.load(answer)["tokens"]
        assert isinstance(tokens, list)
        return tokens

    assert tokenize(messages=CONVERSATION) == prompt_ids(tok, CONVERSATION)
    opened = [*CONVERSATION, {"role": "assistant", "content": "There was a"}]
    assert tokenize(messages=opened, add_generation_prompt=False, continue_final_message=True) == list(
        tok.apply_chat_template(opened, tokenize=True, return_dict=False, continue_final_message=True))
    assert tokenize(messages=opened, add_generation_prompt=False) == list(
        tok.apply_chat_template(opened, tokenize=True, return_dict=False))
