"""Prints the tables of src/tokenizer/regex_class_tables.cpp.

tokenizer.json patterns are Oniguruma patterns: `tokenizers` matches `\\p{L}`, `\\d`, `\\w`, `\\s`...
with Oniguruma's Unicode tables (16.0 in tokenizers 0.23), while tokprob compiles them with PCRE2,
whose tables are older (Debian 12's PCRE2 10.42: Unicode 14.0, the same as Python 3.11's
unicodedata) and whose `\\w` and `\\s` are defined differently (Oniguruma's word characters are
Alphabetic, marks, decimal digits, connector punctuation and the joiners; its spaces leave out
U+180E). This sweeps every scalar value through the reference's own regex engine (a `Split`
pre-tokenizer) for each class and prints, per class, the PCRE2 expression it starts from and the
ranges to add to it or take from it:

    /work/venv/bin/python tests/tokenizer/make_regex_class_tables.py
"""
import unicodedata

from tokenizers import Regex, pre_tokenizers

SCALARS = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
CHUNKS = [(SCALARS[i:i + 8192], "".join(map(chr, SCALARS[i:i + 8192]))) for i in range(0, len(SCALARS), 8192)]
CATEGORIES = "Lu Ll Lt Lm Lo Mn Mc Me Nd Nl No Pc Pd Ps Pe Pi Pf Po Sm Sc Sk So Zs Zl Zp Cc Cf Co Cn".split()


def reference(pattern: str) -> set[int]:
    """The scalar values the reference's engine matches with this one-character pattern."""
    split = pre_tokenizers.Split(Regex(pattern), behavior="removed")
    matched: set[int] = set()
    for chunk, text in CHUNKS:
        kept = bytearray(len(chunk))
        for _, (a, b) in split.pre_tokenize_str(text):
            kept[a:b] = b"\x01" * (b - a)
        matched.update(c for c, k in zip(chunk, kept) if not k)
    return matched


def pcre2(categories: list[str]) -> set[int]:
    """What PCRE2 10.42 matches with these general-category properties (Unicode 14.0)."""
    wanted = set(categories)
    return {c for c in SCALARS if unicodedata.category(chr(c)) in wanted}


def ranges(points: set[int]) -> str:
    out: list[list[int]] = []
    for p in sorted(points):
        if out and out[-1][1] == p - 1:
            out[-1][1] = p
        else:
            out.append([p, p])
    return ", ".join(f"{{0x{a:X}, 0x{b:X}}}" for a, b in out)


ARRAYS: list[str] = []


def array(name: str, points: set[int]) -> str:
    if not points:
        return "{}"
    ARRAYS.append(f"constexpr CodePointRange {name}[] = {{{ranges(points)}}};")
    return name


def row(name: str, base: str, want: set[int], have: set[int]) -> str:
    stem = {"w": "Word", "d": "Digit", "s": "Space"}.get(name, name)
    add = array(f"k{stem}Add", want - have)
    remove = array(f"k{stem}Remove", have - want)
    return f'    {{"{name}", R"({base})", {add}, {remove}}},'


def main() -> None:
    assert unicodedata.unidata_version == "14.0.0", "PCRE2 10.42's tables are Unicode 14.0"
    rows = []
    for major in "LMNPSZC":
        members = [c for c in CATEGORIES if c[0] == major]
        rows.append(row(major, rf"\p{{{major}}}", reference(rf"\p{{{major}}}"), pcre2(members)))
        rows += [row(c, rf"\p{{{c}}}", reference(rf"\p{{{c}}}"), pcre2([c])) for c in members]
    word = ["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Pc"]
    rows.append(row("w", r"\p{L}\p{M}\p{Nd}\p{Pc}", reference(r"\w"), pcre2(word)))
    rows.append(row("d", r"\p{Nd}", reference(r"\d"), pcre2(["Nd"])))
    rows.append(row("s", "", reference(r"\s"), set()))
    print("\n".join(ARRAYS))
    print()
    print("constexpr RegexClass kClasses[] = {")
    print("\n".join(rows))
    print("};")


if __name__ == "__main__":
    main()
