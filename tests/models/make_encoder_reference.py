#!/usr/bin/env python3
"""Writes tests/data/encoder-reference/: tiny ModernBERT and DeBERTa-v2 encoders with random
weights and the logits the reference (Hugging Face transformers, float32) computes for them.

Everything under tests/data/encoder-reference/ is the reference's output, not ours: each case
folder holds config.json + model.safetensors as save_pretrained wrote them (one case rewritten to
the older global_attn_every_n_layers / global_rope_theta spelling of the hub's ModernBERT configs)
and reference.json with, per prompt, the token ids and the logits ([len(ids), vocab_size] for a
masked LM, [1, num_labels] for a classifier, row-major).

Regenerate (from the repository root, with the project venv):
    /work/venv/bin/python tests/models/make_encoder_reference.py
The seed is fixed, so a rerun with the same transformers/torch writes the same data.
Checked by tests/models/encoder_reference_test.cpp.
"""
import json
import pathlib
import shutil

import torch
import transformers
from transformers import (
    DebertaV2Config,
    DebertaV2ForMaskedLM,
    DebertaV2ForSequenceClassification,
    ModernBertConfig,
    ModernBertForMaskedLM,
    ModernBertForSequenceClassification,
)

OUT = pathlib.Path(__file__).resolve().parents[1] / "data" / "encoder-reference"
VOCAB = 40
PROMPTS = [[3, 17, 5, 39, 22, 8, 11, 30, 2, 19, 25, 7], [4], [12, 9, 33]]

MODERNBERT = dict(vocab_size=VOCAB, hidden_size=16, intermediate_size=24, num_hidden_layers=3,
                  num_attention_heads=2, max_position_embeddings=32, initializer_range=0.3, pad_token_id=0,
                  bos_token_id=None, eos_token_id=None, cls_token_id=None, sep_token_id=None)
DEBERTA = dict(vocab_size=VOCAB, hidden_size=16, intermediate_size=24, num_hidden_layers=2, num_attention_heads=2,
               max_position_embeddings=32, initializer_range=0.3, layer_norm_eps=1e-7)


def perturb(model, seed):
    """Norms start as ones and biases as zeros, which would hide a misplaced one."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.named_parameters():
            if "norm" in name.lower() or name.endswith("bias"):
                t.add_(0.2 * torch.randn(t.shape, generator=g))


CASES = {
    # Local layers (window 4: two tokens either side) shorter than the longest prompt; biases everywhere.
    "modernbert-mlm": (ModernBertForMaskedLM, ModernBertConfig(
        **MODERNBERT, local_attention=4, norm_bias=True, attention_bias=True, mlp_bias=True,
        classifier_activation="silu", rope_parameters={
            "full_attention": {"rope_type": "default", "rope_theta": 1000.0},
            "sliding_attention": {"rope_type": "default", "rope_theta": 50.0}})),
    # No biases, mean pooling, an untied layout of layers, written in the hub's older spelling.
    "modernbert-classifier-mean": (ModernBertForSequenceClassification, ModernBertConfig(
        **MODERNBERT, local_attention=6, num_labels=3, classifier_pooling="mean", global_attn_every_n_layers=2,
        global_rope_theta=500.0, local_rope_theta=20.0)),
    # DeBERTa-v3's layout: log buckets shorter than the prompt, shared keys, c2p and p2c, normed
    # relative embeddings, no absolute positions.
    "deberta-v3-mlm": (DebertaV2ForMaskedLM, DebertaV2Config(
        **DEBERTA, relative_attention=True, pos_att_type="p2c|c2p", position_buckets=6, max_relative_positions=20,
        share_att_key=True, norm_rel_ebd="layer_norm", position_biased_input=False)),
    # DeBERTa-v2's: separate position projections, clamped distances, absolute positions, token
    # types, a projected embedding size, the non-legacy head left out (embedding_size) in favour of
    # the legacy one.
    "deberta-v2-classifier": (DebertaV2ForSequenceClassification, DebertaV2Config(
        **DEBERTA, relative_attention=True, pos_att_type=["c2p", "p2c"], max_relative_positions=4,
        type_vocab_size=2, embedding_size=8, num_labels=3, pooler_hidden_act="tanh")),
    # The non-legacy masked-LM head, c2p only.
    "deberta-v3-mlm-lm-predictions": (DebertaV2ForMaskedLM, DebertaV2Config(
        **DEBERTA, relative_attention=True, pos_att_type=["c2p"], position_buckets=4, max_relative_positions=12,
        legacy=False, hidden_act="gelu_new")),
}


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    for i, (name, (cls, config)) in enumerate(CASES.items()):
        torch.manual_seed(1000 + i)
        model = cls(config).eval()
        perturb(model, 2000 + i)
        folder = OUT / name
        model.save_pretrained(folder, safe_serialization=True)
        if name == "modernbert-classifier-mean":
            cfg = json.loads((folder / "config.json").read_text())
            cfg.pop("layer_types")
            cfg.pop("rope_parameters")
            cfg.update(global_attn_every_n_layers=2, global_rope_theta=500.0, local_rope_theta=20.0)
            (folder / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
        model = cls.from_pretrained(folder).eval()
        prompts = []
        for ids in PROMPTS:
            with torch.no_grad():
                logits = model(input_ids=torch.tensor([ids])).logits[0 if name.find("classifier") < 0 else slice(None)]
            prompts.append({"ids": ids, "logits": [float(x) for x in logits.reshape(-1)]})
        (folder / "reference.json").write_text(json.dumps({
            "architecture": cls.__name__, "transformers": transformers.__version__, "torch": torch.__version__,
            "prompts": prompts}) + "\n")


if __name__ == "__main__":
    main()
