"""Prints the exception tables of src/tokenizer/bert_unicode8.cpp.

The BERT normalizer and pre-tokenizer of `tokenizers` classify characters with Unicode 8.0
categories (punctuation, control/format/private use, nonspacing marks), while tokprob asks utf8proc
(a newer Unicode). This sweeps every code point through the reference's BertNormalizer and
BertPreTokenizer and prints, as ranges, where the reference departs from utf8proc's category.
`categories` is a file of "code_point category" lines with utf8proc's numeric categories
(utf8proc_category() for every scalar value):

    /work/venv/bin/python tests/tokenizer/make_bert_unicode8_tables.py categories.txt
"""
import sys
import unicodedata

from tokenizers.normalizers import BertNormalizer
from tokenizers.pre_tokenizers import BertPreTokenizer

PUNCTUATION = range(12, 19)  # utf8proc Pc..Po
CONTROL = (26, 27, 28, 29)  # Cc Cf Cs Co
NONSPACING = 6  # Mn
ASCII_PUNCTUATION = set(range(33, 48)) | set(range(58, 65)) | set(range(91, 97)) | set(range(123, 127))


def ranges(points: set[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for p in sorted(points):
        if out and out[-1][1] == p - 1:
            out[-1] = (out[-1][0], p)
        else:
            out.append((p, p))
    return out


def table(name: str, points: set[int]) -> str:
    if not points:
        return f"// {name}: none"
    body = ", ".join(f"{{0x{a:X}, 0x{b:X}}}" for a, b in ranges(points))
    return f"constexpr CodePointRange {name}[] = {{{body}}};"


def main() -> None:
    category = {}
    with open(sys.argv[1]) as f:
        for line in f:
            cp, cat = line.split()
            category[int(cp)] = int(cat)
    clean = BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    strip = BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
    split = BertPreTokenizer()
    control, punctuation, stripped = set(), set(), set()
    for cp in category:
        c = chr(cp)
        framed = "a" + c + "a"
        cleaned = clean.normalize_str(framed)
        if cleaned == "aa":
            control.add(cp)
        elif cleaned == framed and [t for t, _ in split.pre_tokenize_str(framed)] == ["a", c, "a"]:
            punctuation.add(cp)
        # Only characters NFD leaves alone tell the mark filter apart from the decomposition.
        if unicodedata.normalize("NFD", c) == c and strip.normalize_str(framed) == "aa":
            stripped.add(cp)
    ours_control = {cp for cp, k in category.items() if k in CONTROL} - {9, 10, 13} | {0xFFFD}
    ours_punctuation = {cp for cp, k in category.items() if k in PUNCTUATION} | ASCII_PUNCTUATION
    ours_stripped = {cp for cp, k in category.items()
                     if k == NONSPACING and unicodedata.normalize("NFD", chr(cp)) == chr(cp)}
    print(table("kNotControl", ours_control - control))
    print(table("kOnlyControl", control - ours_control))
    print(table("kNotPunctuation", ours_punctuation - punctuation))
    print(table("kOnlyPunctuation", punctuation - ours_punctuation))
    print(table("kNotNonspacing", ours_stripped - stripped))
    print(table("kOnlyNonspacing", stripped - ours_stripped))


if __name__ == "__main__":
    main()
