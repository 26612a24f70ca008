"""Prints the tables of src/tokenizer/unicode_forms.cpp: where the normalizers of `tokenizers`
(older Unicode tables) depart from utf8proc's.

- kStartersInReference: code points utf8proc gives a nonzero canonical combining class that the
  reference treats as starters (canonical reordering leaves them in place);
- kNoCanonicalDecompositionInReference / kNoCompatDecompositionInReference: code points utf8proc
  decomposes (NFD / NFKD) that the reference leaves as they are.

`classes` holds "code_point class" lines for every code point with a nonzero class in utf8proc;
`decompositions` "code_point compat d1 d2 ..." lines for every code point utf8proc_decompose_char
changes (compat 0: canonical, 1: compatibility):

    /work/venv/bin/python tests/tokenizer/make_reference_normalization_tables.py classes.txt decompositions.txt
"""
import sys

from tokenizers.normalizers import NFD, NFKD


def table(name: str, points: list[int]) -> str:
    ranges: list[tuple[int, int]] = []
    for p in sorted(points):
        if ranges and ranges[-1][1] == p - 1:
            ranges[-1] = (ranges[-1][0], p)
        else:
            ranges.append((p, p))
    body = ", ".join(f"{{0x{a:X}, 0x{b:X}}}" for a, b in ranges)
    return f"constexpr CodePointRange {name}[] = {{{body}}};"


def main() -> None:
    nfd, nfkd = NFD(), NFKD()
    starters = []
    with open(sys.argv[1]) as f:
        for line in f:
            cp, cls = (int(x) for x in line.split())
            c = chr(cp)
            # A non-starter of class > 1 sorts after U+0334 (class 1); one of class 1 after U+0301 (230) stays.
            probe = "a" + c + "\u0334" if cls > 1 else "a\u0301" + c
            if nfd.normalize_str(probe) == probe:
                starters.append(cp)
    kept: dict[int, list[int]] = {0: [], 1: []}
    with open(sys.argv[2]) as f:
        for line in f:
            cp, compat, *_ = (int(x) for x in line.split())
            if (nfkd if compat else nfd).normalize_str(chr(cp)) == chr(cp):
                kept[compat].append(cp)
    print(table("kStartersInReference", starters))
    print(table("kNoCanonicalDecompositionInReference", kept[0]))
    print(table("kNoCompatDecompositionInReference", kept[1]))


if __name__ == "__main__":
    main()
