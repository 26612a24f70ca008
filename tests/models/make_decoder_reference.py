#!/usr/bin/env python3
"""Writes tests/data/decoder-reference/: tiny decoders with random weights and the logits the
reference (Hugging Face transformers, float32, eager attention) computes for them.

Everything under tests/data/decoder-reference/ is the reference's output, not ours: each case
folder holds config.json + model.safetensors as save_pretrained wrote them (one case rewritten to
the older rope_scaling/rope_theta spelling) and reference.json with, per prompt, the token ids and
the logits of every position ([len(ids), vocab_size], row-major), each prompt run on a freshly
loaded model (dynamic RoPE keeps state across calls in the reference).

Regenerate (from the repository root, with the project venv):
    /work/venv/bin/python tests/models/make_decoder_reference.py
The seed is fixed, so a rerun with the same transformers/torch writes the same data.
Checked by tests/models/decoder_reference_test.cpp.
"""
import json
import pathlib
import shutil

import torch
import transformers
from transformers import (LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM, Qwen2Config,
                          Qwen2ForCausalLM)

OUT = pathlib.Path(__file__).resolve().parents[1] / "data" / "decoder-reference"
VOCAB = 96

COMMON = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
              num_attention_heads=2, num_key_value_heads=2, initializer_range=0.25,
              rms_norm_eps=1e-6, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)


def llama(rope=None, **kw):
    args = dict(COMMON, max_position_embeddings=64)
    args.update(kw)
    if rope is not None:
        args["rope_parameters"] = dict(rope, rope_theta=args.pop("rope_theta", 10000.0))
    return LlamaForCausalLM, LlamaConfig(**args)


def prompt(length, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(3, VOCAB, (length,), generator=g).tolist()


FACTORS = torch.Generator().manual_seed(7)
SHORT = [round(1.0 + float(x), 4) for x in torch.rand(8, generator=FACTORS)]
LONG = [round(1.0 + 4.0 * float(x), 4) for x in torch.rand(8, generator=FACTORS)]

# name -> (model class, config, prompt lengths, rewrite to the rope_scaling spelling)
CASES = {
    "llama_default": (*llama(), [20], False),
    "llama_attention_bias": (*llama(attention_bias=True, mlp_bias=True, num_key_value_heads=1), [20], False),
    "llama_linear": (*llama({"rope_type": "linear", "factor": 3.0}), [20], False),
    # max_position_embeddings 16: the longer prompt takes the NTK-enlarged base.
    "llama_dynamic": (*llama({"rope_type": "dynamic", "factor": 2.0}, max_position_embeddings=16), [12, 24], False),
    "llama_yarn": (*llama({"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16}), [20], False),
    "llama_yarn_mscale": (*llama({"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16,
                                  "mscale": 0.8, "mscale_all_dim": 0.5, "beta_fast": 16.0, "beta_slow": 2.0,
                                  "truncate": False}), [20], False),
    # head_dim 16: wavelengths 6.3, 20, 63, 199, ...: high, medium and low frequencies at 64 positions.
    "llama3": (*llama({"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                       "original_max_position_embeddings": 64}, num_attention_heads=2,
                      max_position_embeddings=512, rope_theta=500000.0, tie_word_embeddings=True), [20], True),
    # below (12) and above (24) original_max_position_embeddings 16: short_factor, then long_factor.
    "llama_longrope": (*llama({"rope_type": "longrope", "short_factor": SHORT, "long_factor": LONG,
                               "original_max_position_embeddings": 16}), [12, 24], False),
    "mistral_window": (MistralForCausalLM,
                       MistralConfig(**dict(COMMON, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                                            max_position_embeddings=64, sliding_window=5)), [20], False),
    "qwen2": (Qwen2ForCausalLM, Qwen2Config(**dict(COMMON, max_position_embeddings=64)), [20], False),
    # Qwen2 slides only the layers from max_window_layers on: here the second of two.
    "qwen2_window": (Qwen2ForCausalLM, Qwen2Config(**dict(COMMON, max_position_embeddings=64, use_sliding_window=True,
                                                          sliding_window=4, max_window_layers=1)), [20], False),
}


def to_rope_scaling_spelling(folder):
    """Rewrites config.json as Llama 3.1's own files spell it: rope_scaling + top-level rope_theta."""
    cfg = json.loads((folder / "config.json").read_text())
    rope = cfg.pop("rope_parameters")
    cfg["rope_theta"] = rope.pop("rope_theta")
    cfg["rope_scaling"] = rope
    (folder / "config.json").write_text(json.dumps(cfg, indent=2))


def main():
    torch.manual_seed(0)
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    seed = 100
    for name, (cls, config, lengths, old_spelling) in CASES.items():
        config._attn_implementation = "eager"
        model = cls(config).eval()
        folder = OUT / name
        model.save_pretrained(folder, safe_serialization=True)
        if old_spelling:
            to_rope_scaling_spelling(folder)
        prompts = []
        for n in lengths:
            seed += 1
            ids = prompt(n, seed)
            fresh = cls.from_pretrained(folder, attn_implementation="eager").eval()
            with torch.no_grad():
                logits = fresh(torch.tensor([ids])).logits[0]
            prompts.append({"ids": ids, "logits": [float(f"{v:.7g}") for v in logits.flatten().tolist()]})
        (folder / "reference.json").write_text(json.dumps(
            {"transformers": transformers.__version__, "torch": torch.__version__, "prompts": prompts}))
        for extra in folder.glob("generation_config.json"):
            extra.unlink()
        print(name, [len(p["ids"]) for p in prompts], sum(f.stat().st_size for f in folder.iterdir()), "bytes")


if __name__ == "__main__":
    main()
