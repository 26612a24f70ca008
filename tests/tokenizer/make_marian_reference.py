#!/usr/bin/env python3
"""Writes tests/data/marian/ and tests/data/marian-separate/: Marian tokenizer folders as
MarianTokenizer saves them (source.spm and target.spm trained here by the `sentencepiece` package,
a unigram source and a BPE target; vocab.json with </s>, <unk>, the pieces of both models, two
language codes and <pad> last, as the Helsinki-NLP conversions lay it out; the second folder with
separate_vocabs and target_vocab.json) and expected.json, what transformers' MarianTokenizer makes
of texts: source ids with and without special tokens, target ids (text_target=), and decoding with
and without special tokens.

Regenerate (from the repository root, with the project venv):
    /work/venv/bin/python tests/tokenizer/make_marian_reference.py
Checked by tests/tokenizer/marian_spm_test.cpp.
"""
import io
import json
import pathlib
import tempfile

import sentencepiece
import transformers

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
SOURCE = ["the quick brown fox jumps over the lazy dog", "where is the bus stop, please?",
          "hello world, this is marian", "Tom asked his teacher for advice."]
TARGET = ["ein kleiner Test für die Übersetzung", "Ich bin ein kleiner Frosch.", "wo ist die Bushaltestelle?",
          "Tom bat seinen Lehrer um Rat."]
TEXTS = ["the quick brown fox", ">>fr<< where is the bus stop?", ">>xx<<hello", "Ich bin ein Frosch",
         "hello </s> world <unk>", "", "  spaces   here  ", "Zürich ß 日本 123", "<pad>the lazy dog"]


def train(corpus, model_type, size):
    out = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(sentence_iterator=iter(corpus * 10), model_writer=out, vocab_size=size,
                                             model_type=model_type, hard_vocab_limit=False, num_threads=1,
                                             minloglevel=2)
    return out.getvalue()


def pieces(proto):
    sp = sentencepiece.SentencePieceProcessor(model_proto=proto)
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size()) if not (sp.is_control(i) or sp.is_unknown(i))]


def vocab_of(*models):
    vocab = {"</s>": 0, "<unk>": 1}
    for proto in models:
        for p in pieces(proto):
            vocab.setdefault(p, len(vocab))
    for token in (">>fr<<", ">>de<<", "<pad>"):
        vocab[token] = len(vocab)
    return vocab


def write(out, source, target, separate):
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as raw:
        raw = pathlib.Path(raw)
        (raw / "source.spm").write_bytes(source)
        (raw / "target.spm").write_bytes(target)
        (raw / "vocab.json").write_text(json.dumps(vocab_of(source) if separate else vocab_of(source, target)))
        extra = {}
        if separate:
            (raw / "target_vocab.json").write_text(json.dumps(vocab_of(target)))
            extra = {"target_vocab_file": str(raw / "target_vocab.json"), "separate_vocabs": True}
        transformers.MarianTokenizer(str(raw / "source.spm"), str(raw / "target.spm"), str(raw / "vocab.json"),
                                     **extra).save_pretrained(str(out))
    (out / "config.json").write_text(json.dumps({"model_type": "marian"}) + "\n")
    tok = transformers.AutoTokenizer.from_pretrained(str(out))
    assert type(tok).__name__ == "MarianTokenizer"
    cases = []
    for text in TEXTS:
        ids = tok(text)["input_ids"]
        target = tok(text_target=text)["input_ids"]
        cases.append({"text": text, "ids": ids, "ids_no_special": tok(text, add_special_tokens=False)["input_ids"],
                      "target_ids": target, "decode_target": tok.decode(target),
                      "decode_target_skip_special": tok.decode(target, skip_special_tokens=True),
                      "decode": tok.decode(ids)})
    expected = {"transformers": transformers.__version__, "cases": cases}
    (out / "expected.json").write_text(json.dumps(expected, ensure_ascii=False) + "\n")


def main():
    source, target = train(SOURCE, "unigram", 60), train(TARGET, "bpe", 60)
    write(DATA / "marian", source, target, separate=False)
    write(DATA / "marian-separate", source, target, separate=True)


if __name__ == "__main__":
    main()
