"""Word and token scores against minicons (the psycholinguists' scorer) on the same model folders.

Without the correction every number is equal. With it, minicons and tokprob differ in three
documented ways (README, "Word probabilities"), and each is recomputed here from the full
distributions so that what is left must be equal again:

* minicons' set of word-starting tokens is the vocabulary strings that start with the marker;
  tokprob's is the tokens that read as starting with whitespace (GPT-2's newline tokens "Ċ" too)
  and the EOS token (the text may end there);
* minicons never divides at the first scored token; tokprob divides wherever the word's first
  token begins a word (TinyStories' texts start with "▁");
* minicons' word_score_tokenized assumes a BOS token before the text (without one, its spans are one
  token off), so words are compared with BOS only.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import AutoTokenizer

import tokprob
from conftest import fixture

# minicons is in the pinned test requirements: under CI a missing one fails instead of skipping.
if os.environ.get("CI"):
    from minicons import scorer
else:
    scorer = pytest.importorskip("minicons.scorer")

TEXTS = {
    # No newline or double space: minicons' word spans come from tokenizing each word on its own.
    "gpt2-tiny": ["Hello, world! The cat was small. It sat there, quietly."],
    "tinystories-656k": ["Once upon a time, there was a little girl named Lily. She loved to play."],
}


def _lm(name: str) -> tuple[Path, Any]:
    path = fixture(name)
    return path, scorer.IncrementalLMScorer(str(path), "cpu")


def _rows(mc: Any, ids: Sequence[int]) -> torch.Tensor:
    """log-softmax after every prefix of ids, in float64."""
    with torch.no_grad():
        logits = mc.model(torch.tensor([list(ids)])).logits[0].double()
    return torch.log_softmax(logits, -1)


def _byte_level_alphabet() -> dict[str, int]:
    """Byte-level BPE's character for each byte, inverted: printable Latin-1 bytes stand for
    themselves, the others for U+0100 onwards in byte order."""
    kept = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    others = [b for b in range(256) if b not in kept]
    chars = {b: chr(b) for b in kept} | {b: chr(0x100 + i) for i, b in enumerate(others)}
    return {c: b for b, c in chars.items()}


_BYTES = _byte_level_alphabet()


def _white_space(c: str) -> bool:
    """Unicode's White_Space property: str.isspace() less the separators U+001C..U+001F."""
    return c.isspace() and not "\x1c" <= c <= "\x1f"


def _token_text(token: str, byte_level: bool) -> str:
    """What a vocabulary string reads as: byte-level BPE's bytes decoded, SentencePiece's "▁" a
    space, a byte-fallback token its byte."""
    if byte_level:
        return bytes(_BYTES[c] for c in token if c in _BYTES).decode("utf-8", errors="replace")
    if len(token) == 6 and token.startswith("<0x") and token.endswith(">"):
        return chr(int(token[3:5], 16))
    return token.replace("\u2581", " ")


def _tokprob_sets(mc: Any, vocab: int) -> torch.Tensor:
    """tokprob's word-starting tokens, read here from the vocabulary strings: those that read as
    starting with whitespace, and EOS."""
    byte_level = mc.bow_symbol == "\u0120"
    tokens = mc.tokenizer.convert_ids_to_tokens(list(range(vocab)))
    mask = torch.zeros(vocab, dtype=torch.bool)
    special = set(mc.tokenizer.all_special_ids)
    for i, t in enumerate(tokens):
        if t is None or i in special:
            continue
        text = _token_text(t, byte_level)
        mask[i] = text != "" and _white_space(text[0])
    mask[mc.tokenizer.eos_token_id] = True
    return mask


def _log_mass(row: torch.Tensor, mask: torch.Tensor) -> float:
    return float(torch.logsumexp(row[: mask.shape[0]][mask], 0))


def _without_bos(name: str) -> tuple[tokprob.Model, Any]:
    """The model with no BOS token before the text: GPT-2's tokenizer adds none; TinyStories'
    (add_bos_token) is loaded without it on both sides."""
    path = fixture(name)
    if name == "gpt2-tiny":
        return tokprob.load(str(path)), scorer.IncrementalLMScorer(str(path), "cpu")
    tokenizer = AutoTokenizer.from_pretrained(path, add_bos_token=False)
    return (tokprob.load(str(path), add_special_tokens=False),
            scorer.IncrementalLMScorer(str(path), "cpu", tokenizer=tokenizer))


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_token_and_sequence_scores_equal_without_correction(name: str) -> None:
    path, with_bos = _lm(name)
    for bos in (False, True):
        # GPT-2: minicons puts its BOS (<|endoftext|>) before the text, tokprob conditions the
        # first token on it; TinyStories' tokenizer adds its BOS itself.
        lm, mc = (tokprob.load(str(path)), with_bos) if bos else _without_bos(name)
        minicons_bos = bos and name == "gpt2-tiny"
        for text in TEXTS[name]:
            ours = lm.score(text, score_first_token=minicons_bos)
            theirs = mc.token_score(text, bos_token=minicons_bos)[0]
            scored = [(t["token"], t["logprob"]) for t in ours.to_dict()["tokens"]]
            # minicons lists the unscored first token with 0.0.
            assert [t for t, _ in scored] == [t for t, _ in theirs]
            assert scored[0][1] is None
            for (_, mine), (_, their) in list(zip(scored, theirs))[1:]:
                assert mine == pytest.approx(their, abs=1e-4)
            total = mc.sequence_score(text, reduction=lambda x: x.sum(0).item(), bos_token=minicons_bos)[0]
            assert ours.total_logprob == pytest.approx(total, abs=1e-4)


def test_words_equal_without_correction() -> None:
    path, mc = _lm("gpt2-tiny")
    lm = tokprob.load(str(path))
    for text in TEXTS["gpt2-tiny"]:
        ours = lm.score(text, score_first_token=True, word_split="whitespace").to_dict()["words"]
        theirs = mc.word_score_tokenized(text, tokenize_function=str.split, bos_token=True)[0]
        assert [w["text"] for w in ours] == [w for w, _ in theirs]
        for w, (_, their) in zip(ours, theirs):
            assert w["naive_logprob"] == pytest.approx(their, abs=1e-4)


def test_words_with_correction_differ_only_by_the_documented_sets() -> None:
    path, mc = _lm("gpt2-tiny")
    lm = tokprob.load(str(path))
    for text in TEXTS["gpt2-tiny"]:
        result = lm.score(text, score_first_token=True, word_split="whitespace")
        ours = result.to_dict()["words"]
        ids = [int(i) for i in result.ids]
        theirs = mc.word_score_tokenized(text, tokenize_function=str.split, bos_token=True, bow_correction=True)[0]
        rows = _rows(mc, ids)
        mine = _tokprob_sets(mc, rows.shape[1])
        their_set = torch.zeros(rows.shape[1], dtype=torch.bool)
        their_set[torch.tensor(mc.bow_subword_idx)] = True
        assert [w["text"] for w in ours] == [w for w, _ in theirs]
        for w, (_, their) in zip(ours, theirs):
            first, end = w["tokens"]
            # The same boundary factors, each taken over the two sets: what tokprob adds at the
            # word's end and takes at its start, less what minicons does.
            diff = 0.0
            if end == len(ids) or mine[ids[end]]:
                diff += _log_mass(rows[end - 1], mine)
            if end == len(ids) or their_set[ids[end]]:
                diff -= _log_mass(rows[end - 1], their_set)
            if mine[ids[first]]:
                diff -= _log_mass(rows[first - 1], mine)
            if their_set[ids[first]] and first > 1:
                diff += _log_mass(rows[first - 1], their_set)
            assert w["logprob"] == pytest.approx(their + diff, abs=1e-4), w["text"]


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_sequence_score_with_correction_differs_by_the_documented_ends(name: str) -> None:
    path, mc = _lm(name)
    lm = tokprob.load(str(path))
    for text in TEXTS[name]:
        result = lm.score(text, score_first_token=True)
        assert "words" not in result
        ids = [int(i) for i in result.ids]
        ours = lm.score(text, score_first_token=True, word_split="whitespace").to_dict()["words"]
        theirs = mc.sequence_score(text, reduction=lambda x: x.sum(0).item(), bos_token=name == "gpt2-tiny",
                                   bow_correction=True)[0]
        rows = _rows(mc, ids)
        mine = _tokprob_sets(mc, rows.shape[1])
        their_set = torch.zeros(rows.shape[1], dtype=torch.bool)
        their_set[torch.tensor(mc.bow_subword_idx)] = True
        # Both telescope to the naive total plus the factor after the text (minicons: always, over
        # its set; tokprob: unless the last token ends with whitespace), less tokprob's factor at a
        # first token that begins a word.
        expected = theirs - _log_mass(rows[-1], their_set)
        last = _token_text(mc.tokenizer.convert_ids_to_tokens(ids[-1]), mc.bow_symbol == "\u0120")
        if not _white_space(last[-1:]):
            expected += _log_mass(rows[-1], mine)
        if mine[ids[1]]:
            expected -= _log_mass(rows[0], mine)
        assert math.fsum(w["logprob"] for w in ours) == pytest.approx(expected, abs=1e-4)
