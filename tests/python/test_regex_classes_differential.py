"""The character classes of tokenizer.json patterns (\\p{L}, \\w, \\s, \\d and the rest) against the
reference's own regex engine, on every assigned plane's scalar values: tokprob spells Oniguruma's
classes for PCRE2 (src/tokenizer/regex_classes.hpp), whose tables are older."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tokenizers import Regex, pre_tokenizers

import tokprob

# Planes 0-3 and 14 hold every assigned character; 15 and 16 are private use, sampled.
SCALARS = [c for plane in (0, 1, 2, 3, 14) for c in range(plane << 16, (plane + 1) << 16)
           if not 0xD800 <= c <= 0xDFFF] + list(range(0xF0000, 0x110000, 997))
CHUNK = 8192


def removed_by(split: object, ours: tokprob.Tokenizer | None, chunk: list[int]) -> set[int]:
    """The scalar values of `chunk` a Split with behavior "removed" takes out (those the class matches)."""
    text = "".join(map(chr, chunk))
    kept = bytearray(len(chunk))
    spans = ([tuple(o) for o in ours.encode_full(text, False).offsets] if ours is not None
             else [span for _, span in split.pre_tokenize_str(text)])  # type: ignore[attr-defined]
    for a, b in spans:
        kept[a:b] = b"\x01" * (b - a)
    return {c for c, k in zip(chunk, kept) if not k}


def splitting_tokenizer(pattern: str, folder: Path) -> tokprob.Tokenizer:
    spec = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
            "pre_tokenizer": {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Removed", "invert": False},
            "post_processor": None, "decoder": None,
            "model": {"type": "WordLevel", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"}}
    (folder / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    return tokprob.Tokenizer(tokprob._core.Tokenizer.from_folder(str(folder)))


@pytest.mark.parametrize("pattern", [r"\p{L}", r"\p{N}", r"\w", r"\s", r"\d", r"[^\s\p{L}\p{N}]", r"\P{Mn}", r"\p{Lu}",
                                     r"[\S\p{Z}]"])
def test_class_matches_the_reference(pattern: str, tmp_path: Path) -> None:
    ours = splitting_tokenizer(pattern, tmp_path)
    split = pre_tokenizers.Split(Regex(pattern), behavior="removed")
    for i in range(0, len(SCALARS), CHUNK):
        chunk = SCALARS[i:i + CHUNK]
        want, got = removed_by(split, None, chunk), removed_by(split, ours, chunk)
        assert got == want, (f"{pattern}: only tokprob {sorted(map(hex, got - want))[:8]}, "
                             f"only the reference {sorted(map(hex, want - got))[:8]}")
