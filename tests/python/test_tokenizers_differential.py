"""Every tokenizer.json of the fixtures (and of modern-tokenizers/) against the Hugging Face
`tokenizers` library on text that hypothesis draws: ids, offsets and decoding must be equal.

CI runs a fixed seed and TOKPROB_TOKENIZER_EXAMPLES examples per tokenizer (default 40);
TOKPROB_TOKENIZER_EXAMPLES=2000 TOKPROB_DIFF_RANDOM=1 is a campaign with fresh seeds."""

from __future__ import annotations

import os
import unicodedata
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

# Where tokprob is known to depart from `tokenizers`, found by these tests and not fixed yet: each a
# (check, reason) and a predicate on the text that puts an example under it. The check named is
# skipped for those texts only; everything else is still compared.


def has_unassigned(text: str) -> bool:
    return any(unicodedata.category(c) == "Cn" for c in text)


def composes_under_nfc(text: str) -> bool:
    return unicodedata.normalize("NFC", text) != text


def has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in text)


def anything(text: str) -> bool:
    return True


KNOWN_DEPARTURES: dict[str, list[tuple[str, str, object]]] = {
    "bert-tiny-mlm": [("ids", "a character unassigned in utf8proc's Unicode tables (Debian 12) is dropped by "
                       "tokprob's clean-up; tokenizers' newer tables assign it and give [UNK]", has_unassigned),
                      ("decode", "tokprob decodes as transformers' tokenizer.decode, with tokenizer_config.json's "
                       "clean_up_tokenization_spaces (\"n ' t\" -> \"n't\"); the tokenizers library has no clean-up",
                       anything)],
    "distilbert-tiny-sst2": [("ids", "as bert-tiny-mlm", has_unassigned), ("decode", "as bert-tiny-mlm", anything)],
    "modern-tokenizers/qwen3": [("offsets", "a character NFC composes from several: tokenizers gives the composed "
                                 "character the first original's span only, tokprob all of them", composes_under_nfc)],
    "tinystories-656k": [("decode", "special added tokens with normalized=true under a normalizer that changes "
                          "them are not skipped by tokenizers' decode, and a lone <unk> decodes with a space there; "
                          "tokprob differs (not yet fixed)", anything)],
    "gpt2-tiny": [("decode", "tokprob applies transformers 4.x's clean_up_tokenization_spaces (' ...' -> '...'); "
                   "tokenizers and transformers 5 no longer do for BPE (the goldens are 4.38's: to decide)", anything)],
    "t5-tiny": [("decode", "\"<pad>'s\" decodes with a space before 's in tokprob, not in tokenizers (not yet "
                 "fixed)", anything),
                ("offsets", "a control character the precompiled charsmap removes shifts the next token's offsets "
                 "in tokprob", has_control)],
}


def departs(folder: str, check: str, text: str) -> bool:
    return any(c == check and predicate(text) for c, _, predicate in KNOWN_DEPARTURES.get(folder, []))  # type: ignore[operator]

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
        if not departs(folder, "ids", text):
            assert list(got.ids) == want.ids, f"{folder}: ids of {text!r}"
            if not departs(folder, "offsets", text):
                assert [tuple(o) for o in got.offsets] == [tuple(o) for o in want.offsets], \
                    f"{folder}: offsets of {text!r}"
        if not departs(folder, "decode", text):
            for skip in (False, True):
                assert ours.decode(want.ids, skip) == reference.decode(want.ids, skip_special_tokens=skip), \
                    f"{folder}: decode of {text!r} (skip_special_tokens={skip})"

    run()


def test_the_fixture_folders_exist() -> None:
    assert FIXTURES.is_dir() or not os.environ.get("CI")
