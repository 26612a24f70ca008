#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, cut down from the shared fixtures (see make_corpus.sh).

Seeds are kept small (a fuzzer mutating a megabyte of JSON is slow): vocabularies are trimmed
to their first ids, with the merges that stay consistent with what is kept.
usage: make_seeds.py FIXTURES_DIR OUT_DIR
"""
import json
import os
import struct
import sys

fixtures, out = sys.argv[1], sys.argv[2]


def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def fixture(*parts):
    return os.path.join(fixtures, *parts)


def exists(*parts):
    return os.path.exists(fixture(*parts))


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


# safetensors: small valid files of each dtype, and a real header with its data cut off.
put("safetensors", "f32", safetensors({"w": ("F32", [2, 2], struct.pack("<4f", 1, -2, 3.5, 0))}, {"format": "pt"}))
put("safetensors", "mixed", safetensors({
    "a": ("F16", [3], struct.pack("<3H", 0x3C00, 0x8001, 0x7C00)),
    "b": ("BF16", [1, 2], struct.pack("<2H", 0x3F80, 0x7FC1)),
    "c": ("F64", [1], struct.pack("<d", 1e300)),
    "d": ("I64", [2], struct.pack("<2q", -1, 5)),
    "e": ("U8", [0], b""),
    "f": ("BOOL", [], b"\x01"),
}))
for name in ("tinystories-656k", "gpt2-tiny"):
    if exists(name, "model.safetensors"):
        with open(fixture(name, "model.safetensors"), "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            put("safetensors", name + "-header", struct.pack("<Q", n) + f.read(n) + b"\0" * 64)

# safetensors_index: the folder the target builds holds a.safetensors and b.safetensors.
for i, wm in enumerate([
        {"a": "a.safetensors", "b": "b.safetensors"},
        {"a": "a.safetensors", "b": "a.safetensors"},
        {"a": "../outside.safetensors"}, {"a": "link.safetensors"}, {"a": "rel.safetensors"},
        {"c": "sub/c.safetensors"}, {"a": "/etc/passwd"}, {"a": "missing.safetensors"}]):
    put("safetensors_index", "index%d" % i, json.dumps({"metadata": {"total_size": 16}, "weight_map": wm}))

# config: every fixture's config.json.
for name in sorted(os.listdir(fixtures)):
    if exists(name, "config.json"):
        with open(fixture(name, "config.json"), "rb") as f:
            text = f.read()
            put("config", name, text)
            put("model_config", name, text)


def trim_tokenizer_json(j, keep):
    m = j["model"]
    vocab = m.get("vocab")
    if isinstance(vocab, dict):
        m["vocab"] = {t: i for t, i in vocab.items() if i < keep}
        if "merges" in m:
            kept = []
            prefix = m.get("continuing_subword_prefix") or ""
            for e in m["merges"]:
                a, b = e.split(" ", 1) if isinstance(e, str) else e
                merged = a + (b[len(prefix):] if prefix and b.startswith(prefix) else b)
                if a in m["vocab"] and b in m["vocab"] and merged in m["vocab"]:
                    kept.append(e)
            m["merges"] = kept[:2000]
    elif isinstance(vocab, list):
        m["vocab"] = vocab[:keep]
    return j


for name in ("gpt2-tiny", "bert-tiny-mlm", "t5-tiny", "llama-tiny", "tinystories-656k"):
    if not exists(name, "tokenizer.json"):
        continue
    with open(fixture(name, "tokenizer.json"), encoding="utf-8") as f:
        j = json.load(f)
    j = trim_tokenizer_json(j, 1500)
    put("tokenizer_json", name, json.dumps(j, ensure_ascii=False))
    if isinstance(j.get("normalizer"), dict) and "Precompiled" in json.dumps(j["normalizer"])[:2000]:
        j["normalizer"] = None
        put("tokenizer_json", name + "-no-charsmap", json.dumps(j, ensure_ascii=False))

# Small hand-written tokenizers naming the components the fixtures do not use.
wordlevel = {
    "added_tokens": [{"id": 0, "content": "<unk>", "special": True}, {"id": 5, "content": "[X]", "lstrip": True, "rstrip": True, "single_word": True, "normalized": True, "special": False}],
    "normalizer": {"type": "Sequence", "normalizers": [
        {"type": "NFKC"}, {"type": "Lowercase"}, {"type": "StripAccents"}, {"type": "Strip", "strip_left": True, "strip_right": False},
        {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}, {"type": "Prepend", "prepend": "_"},
        {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "Nmt"}, {"type": "NFC"}, {"type": "NFKD"}]}]},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": "\\d+"}, "behavior": "Isolated", "invert": False},
        {"type": "Split", "pattern": {"String": "-"}, "behavior": "MergedWithNext"},
        {"type": "Punctuation", "behavior": "Contiguous"}, {"type": "Digits", "individual_digits": True},
        {"type": "Whitespace"}, {"type": "WhitespaceSplit"}, {"type": "UnicodeScripts"}, {"type": "CharDelimiterSplit", "delimiter": "x"}]},
    "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "hello": 1, "world": 2, "_": 3, "1": 4}, "unk_token": "<unk>"},
    "post_processor": {"type": "Sequence", "processors": [
        {"type": "ByteLevel", "trim_offsets": True},
        {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<unk>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
         "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
         "special_tokens": {"<unk>": {"id": "<unk>", "ids": [0], "tokens": ["<unk>"]}}}]},
    "decoder": {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "_"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}, {"type": "BPEDecoder", "suffix": "</w>"},
        {"type": "CTC", "pad_token": "<pad>"}, {"type": "Metaspace", "replacement": "_", "prepend_scheme": "first"}]},
}
put("tokenizer_json", "wordlevel-components", json.dumps(wordlevel))
unigram = {
    "normalizer": {"type": "Precompiled", "precompiled_charsmap": None},
    "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
    "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": True,
              "vocab": [["<unk>", 0.0], ["\u2581", -1.0], ["a", -2.0], ["b", -2.5], ["ab", -1.5], ["<0x41>", -9.0], ["<0xC3>", -9.0]]},
    "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0], "trim_offsets": True, "add_prefix_space": True},
    "decoder": {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True},
}
put("tokenizer_json", "unigram-components", json.dumps(unigram))
bpe = {
    "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": False},
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": True, "use_regex": True},
    "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": "##", "end_of_word_suffix": "</w>",
              "fuse_unk": True, "byte_fallback": True, "ignore_merges": True,
              "vocab": {"<unk>": 0, "a": 1, "##b": 2, "ab": 3, "##b</w>": 4, "ab</w>": 5, "<0x41>": 6},
              "merges": [["a", "##b"], "a ##b</w>"]},
    "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 1], "cls": ["[CLS]", 0]},
    "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
}
put("tokenizer_json", "bpe-components", json.dumps(bpe))

# legacy_bpe: vocab.json NUL merges.txt, trimmed to the first ids.
if exists("gpt2-tiny", "vocab.json"):
    with open(fixture("gpt2-tiny", "vocab.json"), encoding="utf-8") as f:
        vocab = {t: i for t, i in json.load(f).items() if i < 1500}
    merges = []
    with open(fixture("gpt2-tiny", "merges.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#version"):
                merges.append(line)
                continue
            a, _, b = line.partition(" ")
            if a in vocab and b in vocab and a + b in vocab:
                merges.append(line)
    put("legacy_bpe", "gpt2", json.dumps(vocab, ensure_ascii=False) + "\0" + "\n".join(merges[:2000]) + "\n")
put("legacy_bpe", "tiny", '{"a": 0, "b": 1, "ab": 2, "\u0120": 3}\0#version: 0.2\na b\n')

# legacy_wordpiece: vocab.txt cut down.
if exists("bert-tiny-mlm", "vocab.txt"):
    with open(fixture("bert-tiny-mlm", "vocab.txt"), "rb") as f:
        lines = f.read().split(b"\n")
    put("legacy_wordpiece", "bert", b"\n".join(lines[:1100] + [l for l in lines[1100:] if l.startswith(b"##")][:300]) + b"\n")
put("legacy_wordpiece", "tiny", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n##s\nworld\n")


# sentencepiece: ModelProto with its first pieces only (protobuf wire format read by hand).
def read_varint(b, i):
    v, shift = 0, 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def fields(b):
    i = 0
    while i < len(b):
        start = i
        key, i = read_varint(b, i)
        wire = key & 7
        if wire == 0:
            _, i = read_varint(b, i)
        elif wire == 1:
            i += 8
        elif wire == 2:
            n, i = read_varint(b, i)
            i += n
        elif wire == 5:
            i += 4
        else:
            raise ValueError("unexpected wire type")
        yield key >> 3, b[start:i]


def trim_spm(b, pieces, keep_charsmap):
    out, n = b"", 0
    for field, raw in fields(b):
        if field == 1:
            n += 1
            if n > pieces:
                continue
        if field == 4:  # self-test data
            continue
        if field == 3 and not keep_charsmap:
            key_len = read_varint(raw, 0)[1]
            length, body_start = read_varint(raw, key_len)
            body = b"".join(r for f, r in fields(raw[body_start:]) if f != 2)
            raw = raw[:key_len] + bytes(encode_varint(len(body))) + body
        out += raw
    return out


def encode_varint(v):
    out = []
    while True:
        c = v & 0x7F
        v >>= 7
        out.append(c | (0x80 if v else 0))
        if not v:
            return out


for name, file in (("t5-tiny", "spiece.model"), ("llama-tiny", "tokenizer.model")):
    if exists(name, file):
        with open(fixture(name, file), "rb") as f:
            b = f.read()
        put("sentencepiece", name + "-600", trim_spm(b, 600, False))
        put("sentencepiece", name + "-200-charsmap", trim_spm(b, 200, True))

# encode: test strings through each tokenizer the target loads (its index in the first byte).
texts = ["Hello world", " caf\u00e9 \u4e2d\u6587", "It's   2024!\n\tok", "<s>[CLS] [MASK]</s><extra_id_0>"]
if exists("tokenizers", "tokenizer_expected.json"):
    with open(fixture("tokenizers", "tokenizer_expected.json"), encoding="utf-8") as f:
        corpus = json.load(f).get("corpus", [])
    texts += [t for t in corpus if isinstance(t, str)][::10]
for i, t in enumerate(texts):
    for k in range(11):
        if (i + k) % 3 == 0:
            put("encode", "t%d-%d" % (i, k), bytes([k]) + t.encode("utf-8"))
put("encode", "invalid-utf8", b"\x00\xff\xfe\xc3\x28\xe2\x82\xf0\x9f\x98 ok \xed\xa0\x80")

# http_body: request bodies, the endpoint's index (http_body_fuzz.cpp's kEndpoints) in the first byte.
http_bodies = [
    (0, {"prompt": "Hello world", "max_tokens": 3, "temperature": 0}),
    (0, {"prompt": ["a b", "c"], "max_tokens": 2, "n": 2, "seed": 1, "logprobs": 2, "stop": ["\n"]}),
    (0, {"prompt": "The cat", "max_tokens": 0, "echo": True, "logprobs": 1}),
    (0, {"prompt": "x", "max_tokens": 2, "stream": True, "echo": True, "logprobs": 0, "top_p": 0.5}),
    (1, {"text": "Hello world", "top_k": 3}),
    (1, {"text": ["a", "b c d"], "all_positions": True, "targets": [" the", "x"]}),
    (1, {"text": "one two", "position": -2, "model": "m"}),
    (2, {"text": "Once upon", "max_new_tokens": 4, "do_sample": False, "logprobs": 2}),
    (2, {"text": "a", "max_new_tokens": 3, "do_sample": True, "seed": 7, "top_k": 5, "top_p": 0.9, "min_p": 0.1,
         "temperature": 0.7, "repetition_penalty": 1.2, "num_return_sequences": 2, "stop": ["."]}),
    (2, {"text": ["b", "c"], "max_new_tokens": 3, "num_beams": 3, "num_return_sequences": 2,
         "length_penalty": 0.5, "early_stopping": "never", "eos_token_ids": [0, 5]}),
    (3, {"text": "The quick brown fox"}),
    (3, {"text": ["a b c d e f g", "h"], "window": 4, "stride": 2}),
    (4, {"text": "translate English to German: Hello", "max_new_tokens": 3, "top_k": 2}),
    (4, {"text": ["a", "b"], "target": "Hallo"}),
    (5, {"text": "The [MASK] sat.", "top_k": 3}),
    (5, {"text": ["[MASK] [MASK]", "a [MASK]"], "targets": ["cat", "dog"]}),
    (6, {"text": "a great movie", "function": "softmax"}),
    (6, {"text": ["bad", "ok"], "pair": "fine", "function": "sigmoid"}),
]
for i, (endpoint, body) in enumerate(http_bodies):
    put("http_body", "body%d" % i, bytes([endpoint]) + json.dumps(body, ensure_ascii=False).encode("utf-8"))
put("http_body", "not-json", b"\x01{\"text\": ")
