#!/usr/bin/env python3
"""Writes tests/data/deberta-spm/: a DeBERTa-v3-style tokenizer folder (spm.model trained here by
the `sentencepiece` package, nmt_nfkc character map, [MASK] not among the pieces, as in
microsoft/deberta-v3-*) and expected.json, what transformers' DebertaV2Tokenizer makes of texts:
ids with and without special tokens, offsets, and decoding with and without special tokens.

Regenerate (from the repository root, with the project venv):
    /work/venv/bin/python tests/tokenizer/make_deberta_spm_reference.py
Checked by tests/tokenizer/deberta_spm_test.cpp.
"""
import json
import pathlib

import sentencepiece
import transformers

OUT = pathlib.Path(__file__).resolve().parents[1] / "data" / "deberta-spm"
CORPUS = ["The quick brown fox jumps over the lazy dog.", "Hello, world! ÉCOLE café naïve ﬁne ①",
          "tokprob computes token probabilities exactly like transformers.",
          "DeBERTa uses disentangled attention.  Multiple   spaces\tand tabs", "Numbers 12345, symbols #@!"]
TEXTS = ["Hello  world, [MASK] café [CLS] fox.", "  leading and trailing  ", "ﬁne ① ÉCOLE\tnaïve\n",
         "[MASK][MASK]x", "", "zzz ☃ qq"]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 20), model_prefix=str(OUT / "spm"), vocab_size=70, model_type="unigram",
        normalization_rule_name="nmt_nfkc", character_coverage=1.0, minloglevel=2, pad_id=0, bos_id=1, eos_id=2,
        unk_id=3, pad_piece="[PAD]", bos_piece="[CLS]", eos_piece="[SEP]", unk_piece="[UNK]")
    (OUT / "spm.vocab").unlink()
    (OUT / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": False, "vocab_type": "spm"}) + "\n")
    (OUT / "special_tokens_map.json").write_text(json.dumps(
        {"bos_token": "[CLS]", "eos_token": "[SEP]", "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
         "cls_token": "[CLS]", "mask_token": "[MASK]"}) + "\n")
    (OUT / "config.json").write_text(json.dumps({"model_type": "deberta-v2"}) + "\n")
    tok = transformers.AutoTokenizer.from_pretrained(str(OUT))
    assert type(tok).__name__ == "DebertaV2Tokenizer"
    cases = []
    for text in TEXTS:
        e = tok(text, return_offsets_mapping=True)
        cases.append({"text": text, "ids": e["input_ids"], "offsets": [list(o) for o in e["offset_mapping"]],
                      "ids_no_special": tok(text, add_special_tokens=False)["input_ids"],
                      "decode": tok.decode(e["input_ids"]),
                      "decode_skip_special": tok.decode(e["input_ids"], skip_special_tokens=True)})
    expected = {"transformers": transformers.__version__, "mask_id": tok.mask_token_id, "cases": cases}
    (OUT / "expected.json").write_text(json.dumps(expected, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
