"""The OpenAI Python client, unmodified, against ``tokprob serve``: every answer parses into the
client's own types (validated strictly, not merely constructed) and its numbers are those of the
command line's ``score``, ``next`` and ``generate``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conftest import cli_json, fixture
from served import import_openai, serve

MODEL = "gpt2-tiny"
TEXT = "This weekend I plan to"


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    openai = import_openai()
    with serve(fixture(MODEL)) as url:
        with openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0) as c:
            yield c


def create(client: Any, **request: Any) -> Any:
    """client.completions.create(**request), with the raw answer validated strictly as a Completion."""
    from openai.types import Completion

    raw = client.completions.with_raw_response.create(model=MODEL, **request)
    answer = raw.http_response.json()
    # The one null the API has that the client's types leave out, as OpenAI's own answers have it:
    # an echoed prompt's first token has nothing before it to predict it.
    for choice in answer["choices"]:
        lp = choice["logprobs"]
        if lp and lp["token_logprobs"] and lp["token_logprobs"][0] is None:
            assert request.get("echo") and lp["top_logprobs"][0] is None
            lp["token_logprobs"][0] = 0.0
            lp["top_logprobs"][0] = {}
    Completion.model_validate(answer, strict=True)
    completion = raw.parse()
    assert isinstance(completion, Completion)
    return completion


def test_echo_without_new_tokens_gives_the_score_commands_logprobs(client: Any) -> None:
    scored = cli_json("score", "-m", str(fixture(MODEL)), TEXT)[0]
    ids = [t["id"] for t in scored["tokens"]]
    for prompt in (TEXT, ids, [ids]):
        completion = create(client, prompt=prompt, max_tokens=0, echo=True, logprobs=2)
        (choice,) = completion.choices
        assert choice.text == TEXT
        assert choice.logprobs.tokens == [t["text"] for t in scored["tokens"]]
        assert choice.logprobs.token_logprobs[0] is None
        for got, want in zip(choice.logprobs.token_logprobs[1:], scored["tokens"][1:]):
            assert got == pytest.approx(want["logprob"], abs=1e-9)
        for top, want in zip(choice.logprobs.top_logprobs[1:], scored["tokens"][1:]):
            assert top[want["text"]] == pytest.approx(want["logprob"], abs=1e-9)
            assert 2 <= len(top) <= 3
        assert completion.usage.prompt_tokens == len(ids)
        assert completion.usage.completion_tokens == 0


def test_one_greedy_token_is_the_next_commands_top(client: Any) -> None:
    nxt = cli_json("next", "-m", str(fixture(MODEL)), "-k", "5", TEXT)[0]
    completion = create(client, prompt=TEXT, max_tokens=1, temperature=0, logprobs=5)
    (choice,) = completion.choices
    assert choice.text == nxt["top"][0]["text"]
    assert choice.finish_reason == "length"
    (top,) = choice.logprobs.top_logprobs
    assert list(top) == [t["text"] for t in nxt["top"]]
    for t in nxt["top"]:
        assert top[t["text"]] == pytest.approx(t["logprob"], abs=1e-9)


def test_n_choices_with_a_seed_are_the_generate_commands_samples(client: Any) -> None:
    generated = cli_json("generate", "-m", str(fixture(MODEL)), "--max-new-tokens", "5", "--temperature", "0.9",
                         "--seed", "7", "--num-return-sequences", "3", TEXT)[0]
    completion = create(client, prompt=TEXT, max_tokens=5, temperature=0.9, seed=7, n=3, logprobs=0)
    assert [c.index for c in completion.choices] == [0, 1, 2]
    assert [c.text for c in completion.choices] == [s["text"] for s in generated["sequences"]]
    for choice, sequence in zip(completion.choices, generated["sequences"]):
        assert choice.logprobs.token_logprobs == pytest.approx([s["logprob"] for s in sequence["steps"]], abs=1e-9)
    again = create(client, prompt=TEXT, max_tokens=5, temperature=0.9, seed=7, n=3)
    assert [c.text for c in again.choices] == [c.text for c in completion.choices]


def test_stop_cuts_the_greedy_text_before_the_stop_string(client: Any) -> None:
    greedy = cli_json("generate", "-m", str(fixture(MODEL)), "--max-new-tokens", "8", "--temperature", "0", TEXT)[0]
    text = greedy["sequences"][0]["text"]
    stop = greedy["sequences"][0]["steps"][3]["text"]
    completion = create(client, prompt=TEXT, max_tokens=8, temperature=0, stop=[stop, "never there"])
    (choice,) = completion.choices
    assert choice.text == text[:text.index(stop)]
    assert choice.finish_reason == "stop"


def test_a_stream_parses_chunk_by_chunk_and_adds_up_to_the_answer(client: Any) -> None:
    from openai.types import Completion

    whole = create(client, prompt=TEXT, max_tokens=8, temperature=0, logprobs=1)
    chunks = list(client.completions.create(model=MODEL, prompt=TEXT, max_tokens=8, temperature=0, logprobs=1,
                                            stream=True, stream_options={"include_usage": True}))
    assert all(isinstance(c, Completion) for c in chunks)
    finished = set()
    for c in chunks:
        data = c.model_dump(exclude_unset=True)
        for choice in data["choices"]:
            # Every chunk but a choice's last has finish_reason null, as OpenAI's streams have it
            # (the client's type leaves the null out).
            assert choice["index"] not in finished
            if choice["finish_reason"] is None:
                choice["finish_reason"] = "length"
            else:
                finished.add(choice["index"])
        Completion.model_validate(data, strict=True)
    assert finished == {0}
    text = "".join(choice.text for c in chunks for choice in c.choices)
    assert text == whole.choices[0].text
    logprobs = [lp for c in chunks for choice in c.choices if choice.logprobs
                for lp in choice.logprobs.token_logprobs]
    assert logprobs == pytest.approx(whole.choices[0].logprobs.token_logprobs, abs=1e-12)
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 8


def test_a_bad_prompt_is_one_bad_request_naming_the_field_and_the_server_goes_on(client: Any) -> None:
    openai = import_openai()
    with pytest.raises(openai.BadRequestError) as refused:
        create(client, prompt=[[1, 2], [3, 50257]], max_tokens=1)
    assert "'prompt[1][1]'" in str(refused.value)
    assert create(client, prompt=[1, 2], max_tokens=1).choices[0].finish_reason == "length"
