"""Zero-shot classification against the transformers `zero-shot-classification` pipeline: a tiny
NLI classifier with random weights (BERT with its legacy vocab.txt tokenizer; RoBERTa or
BartForSequenceClassification, which pools at the last </s>, with a tokenizer.json), drawn label
layouts (where the entailment label sits, two or three labels), candidate lists, hypothesis
templates and multi_label; every candidate's score within 1e-5 of the pipeline's, and the labels
in the pipeline's order where the scores are not tied. A model without an entailment label is
refused in one line. Examples: TOKPROB_DIFF_EXAMPLES as in test_differential.py."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import transformers
from hypothesis import given
from hypothesis import strategies as st
from test_differential import PROB_TOLERANCE, SETTINGS, Draw, save, text_of, word, write_word_tokenizer

import tokprob

torch.set_num_threads(1)


def nli_labels(draw: Draw) -> dict[int, str]:
    names = draw(st.sampled_from([["contradiction", "neutral", "entailment"],
                                  ["entailment", "neutral", "contradiction"], ["CONTRADICTION", "ENTAILMENT"],
                                  ["entailment", "not_entailment"], ["neutral", "Entails", "contradiction"]]))
    return dict(enumerate(names))


@st.composite
def zero_shot_case(draw: Draw) -> None:
    family = draw(st.sampled_from(["bert", "roberta", "bart"]))
    roberta = family != "bert"  # BART tokenizes pairs as RoBERTa does
    labels = nli_labels(draw)
    vocab = draw(st.integers(20, 120))
    heads = draw(st.sampled_from([1, 2, 4]))
    kw: dict[str, Any] = dict(
        vocab_size=vocab, hidden_size=heads * draw(st.sampled_from([4, 8])), num_hidden_layers=draw(st.integers(1, 2)),
        num_attention_heads=heads, intermediate_size=draw(st.integers(8, 32)), max_position_embeddings=64,
        id2label=labels, label2id={v: k for k, v in labels.items()},
        initializer_range=draw(st.sampled_from([0.2, 0.5])))
    if family == "bart":
        config: Any = transformers.BartConfig(
            vocab_size=vocab, d_model=kw["hidden_size"], encoder_layers=kw["num_hidden_layers"],
            decoder_layers=draw(st.integers(1, 2)), encoder_attention_heads=heads, decoder_attention_heads=heads,
            encoder_ffn_dim=kw["intermediate_size"], decoder_ffn_dim=draw(st.integers(8, 32)),
            max_position_embeddings=64, id2label=labels, label2id=kw["label2id"], init_std=kw["initializer_range"],
            activation_function=draw(st.sampled_from(["gelu", "relu"])), scale_embedding=draw(st.booleans()),
            pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, forced_eos_token_id=None)
        cls: Any = transformers.BartForSequenceClassification
        specials = {0: "<s>", 1: "<pad>", 2: "</s>", 3: "<unk>", vocab - 1: "<mask>"}
    elif roberta:
        config = transformers.RobertaConfig(pad_token_id=1, bos_token_id=0, eos_token_id=2, **kw)
        cls = transformers.RobertaForSequenceClassification
        specials = {0: "<s>", 1: "<pad>", 2: "</s>", 3: "<unk>", vocab - 1: "<mask>"}
    else:
        config = transformers.BertConfig(**kw)
        cls = transformers.BertForSequenceClassification
        specials = {0: "[PAD]", 1: "[UNK]", 2: "[CLS]", 3: "[SEP]", vocab - 1: "[MASK]"}
    words = [i for i in range(vocab) if i not in specials]
    candidates = draw(st.lists(st.sampled_from(words), min_size=1, max_size=4, unique=True))
    template = draw(st.sampled_from(["This example is {}.", f"{word(words[0])} {{}}", "{{x}} {0}"]))
    multi_label = draw(st.booleans())
    text = text_of(draw(st.lists(st.sampled_from(words), min_size=1, max_size=12)), {})
    torch.manual_seed(draw(st.integers(0, 2**31 - 1)))
    model = cls(config).eval()
    with tempfile.TemporaryDirectory() as folder:
        save(model, "F32", folder)
        if roberta:
            # tokenizer.json with RoBERTa's pair template: <s> A </s></s> B </s>
            write_word_tokenizer(folder, vocab, specials)
            write_roberta_pair_template(folder)
        else:
            write_word_tokenizer(folder, vocab, specials, legacy=True)
        names = [word(c) for c in candidates]
        pipe = transformers.pipeline("zero-shot-classification", model=folder, tokenizer=folder, device="cpu")
        want = pipe(text, candidate_labels=names, hypothesis_template=template, multi_label=multi_label)
        got = tokprob.load(folder, kind=None).classify(text, candidate_labels=names, hypothesis_template=template,
                                                       multi_label=multi_label)
        want_scores = dict(zip(want["labels"], want["scores"], strict=True))
        got_scores = {label.label: label.prob for label in got.labels}
        assert set(got_scores) == set(want_scores)
        for name, score in want_scores.items():
            assert abs(got_scores[name] - score) <= PROB_TOLERANCE, (
                f"{name}: tokprob {got_scores[name]}, pipeline {score}; {text!r} {template!r} multi_label={multi_label}"
                f"\n{config.to_json_string()}")
        ordered = np.array([got_scores[n] for n in want["labels"]])
        if np.all(np.abs(np.diff(ordered)) > PROB_TOLERANCE):  # no near-ties: the same order
            assert [label.label for label in got.labels] == want["labels"]


def write_roberta_pair_template(folder: str) -> None:
    path = Path(folder, "tokenizer.json")
    tok = json.loads(path.read_text(encoding="utf-8"))
    tok["post_processor"] = {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
                             "trim_offsets": True, "add_prefix_space": False}
    path.write_text(json.dumps(tok), encoding="utf-8")


def test_zero_shot_matches_pipeline() -> None:
    @SETTINGS
    @given(zero_shot_case())
    def run(_: None) -> None:
        pass

    run()


def test_zero_shot_refuses_a_model_without_entailment() -> None:
    config = transformers.BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=8, id2label={0: "NEGATIVE", 1: "POSITIVE"},
                                     label2id={"NEGATIVE": 0, "POSITIVE": 1})
    with tempfile.TemporaryDirectory() as folder:
        save(transformers.BertForSequenceClassification(config).eval(), "F32", folder)
        write_word_tokenizer(folder, 30, {0: "[PAD]", 1: "[UNK]", 2: "[CLS]", 3: "[SEP]"}, legacy=True)
        lm = tokprob.load(folder, kind=None)
        with pytest.raises(tokprob.Error, match="entailment label") as e:
            lm.classify("w5 w6", candidate_labels="a, b")
        assert "\n" not in str(e.value)
        with pytest.raises(tokprob.Error, match="candidate_labels must name at least one label"):
            lm.classify("w5 w6", candidate_labels=" , ")
