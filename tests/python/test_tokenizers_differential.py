"""Every tokenizer.json of the fixtures (and of modern-tokenizers/) against the Hugging Face
`tokenizers` library on text that hypothesis draws: ids, offsets and decoding must be equal.

CI runs a fixed seed and TOKPROB_TOKENIZER_EXAMPLES examples per tokenizer (default 40);
TOKPROB_TOKENIZER_EXAMPLES=2000 TOKPROB_DIFF_RANDOM=1 is a campaign with fresh seeds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import tokenizers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tokprob
from conftest import FIXTURES, fixture

EXAMPLES = int(os.environ.get("TOKPROB_TOKENIZER_EXAMPLES", "40"))
RANDOM = os.environ.get("TOKPROB_DIFF_RANDOM") == "1"
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Folders holding a tokenizer.json, relative to the fixtures; modern-tokenizers' whole folders.
FOLDERS = ["gpt2-tiny", "bert-tiny-mlm", "distilbert-tiny-sst2", "t5-tiny", "llama-tiny", "tinystories-656k",
           "modern-tokenizers/llama3", "modern-tokenizers/qwen3", "modern-tokenizers/phi3",
           "modern-tokenizers/olmo2", "modern-tokenizers/gemma3"]

# Where tokprob departs from `tokenizers` on purpose, by folder: (what, why). Empty: none known.
KNOWN_DEPARTURES: dict[str, list[tuple[str, str]]] = {}

# Text the pieces of real tokenizers stumble on: combining marks, emoji (with joiners and
# modifiers), CJK, control characters, runs of spaces and newlines, and every alphabet.
PIECES = st.sampled_from([
    " ", "  ", "   ", "\n", "\n\n", "\t", "\r\n", "\u00a0", "\u3000", "e\u0301", "\u0301", "👍", "👍🏽", "👨‍👩‍👧",
    "🇫🇷", "中文", "日本語の", "한국어", "ﾃｽﾄ", "ｈｅｌｌｏ", "Ελληνικά", "русский", "العربية", "עברית", "हिन्दी",
    "ภาษาไทย", "\x00", "\x07", "\x1b", "\u200b", "\ufeff", "'s", "'S", "n't", "1234567", "3.14", "$100", "...",
    "--", "<", ">", "</", "@", "#", "http://x.y/z?q=1", "Hello", "hello", "HELLO", "world", "The", "ﬁ", "Å", "ß",
])


def text_strategy(specials: list[str]) -> st.SearchStrategy[str]:
    pieces = st.one_of(PIECES, st.text(max_size=6), st.sampled_from(specials or ["x"]))
    return st.lists(pieces, max_size=12).map("".join)


def available(folder: str) -> Path:
    path = fixture(folder)
    if not (path / "tokenizer.json").exists():
        pytest.fail(f"{path} has no tokenizer.json")
    return path


@pytest.mark.parametrize("folder", FOLDERS)
def test_tokenizer_matches_tokenizers(folder: str) -> None:
    path = available(folder)
    reference = tokenizers.Tokenizer.from_file(str(path / "tokenizer.json"))
    ours = tokprob.Tokenizer(tokprob._core.Tokenizer.from_folder(str(path)))
    specials = [t.content for t in reference.get_added_tokens_decoder().values()][:50]

    @SETTINGS
    @given(text_strategy(specials), st.booleans())
    def run(text: str, add_special_tokens: bool) -> None:
        want = reference.encode(text, add_special_tokens=add_special_tokens)
        got = ours.encode_full(text, add_special_tokens)
        assert list(got.ids) == want.ids, f"{folder}: ids of {text!r}"
        assert [tuple(o) for o in got.offsets] == [tuple(o) for o in want.offsets], f"{folder}: offsets of {text!r}"
        for skip in (False, True):
            assert ours.decode(want.ids, skip) == reference.decode(want.ids, skip_special_tokens=skip), \
                f"{folder}: decode of {text!r} (skip_special_tokens={skip})"

    run()


def test_the_fixture_folders_exist() -> None:
    assert FIXTURES.is_dir() or not os.environ.get("CI")
