"""`tokprob next -m FOLDER` on folders laid out as each family's Hugging Face repository is: config.json,
generation_config.json, the family's real tokenizer files (../shared/fixtures/modern-tokenizers, or the
fixture the family uses), and the weights as sharded safetensors with model.safetensors.index.json.
The weights are random (transformers builds and saves the model); the next-token distribution must be
the reference's, and the prompt's ids those of the folder's tokenizer.json."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tokenizers
import torch
import transformers

from conftest import cli_json, fixture

SIZES = {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4,
         "num_key_value_heads": 2, "max_position_embeddings": 64}


def sized(**extra: Any) -> dict[str, Any]:
    return {**SIZES, **extra}


# model_type -> (config class, its arguments given the vocabulary size, the tokenizer folder)
FAMILIES: dict[str, tuple[Any, Callable[[int], dict[str, Any]], str]] = {
    "llama": (transformers.LlamaConfig, lambda v: sized(vocab_size=v, rope_scaling={
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 16}), "modern-tokenizers/llama3"),
    "mistral": (transformers.MistralConfig, lambda v: sized(vocab_size=v, sliding_window=4), "llama-tiny"),
    "mixtral": (transformers.MixtralConfig, lambda v: sized(vocab_size=v, num_local_experts=4, num_experts_per_tok=2),
                "llama-tiny"),
    "qwen2": (transformers.Qwen2Config, lambda v: sized(vocab_size=v), "modern-tokenizers/qwen3"),
    "qwen3": (transformers.Qwen3Config, lambda v: sized(vocab_size=v, head_dim=8), "modern-tokenizers/qwen3"),
    "qwen3_moe": (transformers.Qwen3MoeConfig, lambda v: sized(vocab_size=v, head_dim=8, num_experts=4,
                                                                num_experts_per_tok=2, moe_intermediate_size=16),
                  "modern-tokenizers/qwen3"),
    "gemma": (transformers.GemmaConfig, lambda v: sized(vocab_size=v, head_dim=8), "modern-tokenizers/gemma3"),
    "gemma2": (transformers.Gemma2Config, lambda v: sized(vocab_size=v, head_dim=8, sliding_window=4),
               "modern-tokenizers/gemma3"),
    "gemma3_text": (transformers.Gemma3TextConfig, lambda v: sized(vocab_size=v, head_dim=8, sliding_window=4),
                    "modern-tokenizers/gemma3"),
    "phi3": (transformers.Phi3Config, lambda v: sized(vocab_size=v, pad_token_id=0), "modern-tokenizers/phi3"),
    "olmo2": (transformers.Olmo2Config, lambda v: sized(vocab_size=v), "modern-tokenizers/olmo2"),
    "gpt_neox": (transformers.GPTNeoXConfig, lambda v: sized(vocab_size=v, rotary_pct=0.25),
                 "modern-tokenizers/gpt-neox/variants/gpt-neox-20b-pii-special.tokenizer.json"),
    "opt": (transformers.OPTConfig, lambda v: {"vocab_size": v, "hidden_size": 32, "ffn_dim": 48,
                                                "num_hidden_layers": 2, "num_attention_heads": 4,
                                                "word_embed_proj_dim": 32, "max_position_embeddings": 64}, "gpt2-tiny"),
    "gpt_bigcode": (transformers.GPTBigCodeConfig, lambda v: {"vocab_size": v, "n_embd": 32, "n_layer": 2, "n_head": 4,
                                                              "n_positions": 64}, "gpt2-tiny"),
    "gpt2": (transformers.GPT2Config, lambda v: {"vocab_size": v, "n_embd": 32, "n_layer": 2, "n_head": 4,
                                                 "n_positions": 64}, "gpt2-tiny"),
}
TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]
PROMPT = "The capital of France is"


def tokenizer_into(source: str, folder: Path) -> tokenizers.Tokenizer:
    if source.endswith(".json"):  # a lone tokenizer.json
        shutil.copy(fixture(str(Path(source).parent)) / Path(source).name, folder / "tokenizer.json")
    else:
        for name in TOKENIZER_FILES:
            if (fixture(source) / name).exists():
                shutil.copy(fixture(source) / name, folder / name)
    return tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_next_on_the_family_folder_layout(family: str, tmp_path: Path) -> None:
    config_class, arguments, tokenizer_source = FAMILIES[family]
    tokenizer = tokenizer_into(tokenizer_source, tmp_path)
    torch.manual_seed(0)
    config = config_class(**arguments(tokenizer.get_vocab_size(with_added_tokens=True)))
    model = transformers.AutoModelForCausalLM.from_config(config).eval()
    with torch.no_grad():  # random weights with some spread, so the distribution is far from flat
        for p in model.parameters():
            p.normal_(0.0, 0.3)
    model.save_pretrained(tmp_path, max_shard_size="600KB")
    assert (tmp_path / "model.safetensors.index.json").exists() and (tmp_path / "generation_config.json").exists()
    assert len(list(tmp_path.glob("model-*-of-*.safetensors"))) > 1

    got = cli_json("next", "-m", str(tmp_path), "-k", "5", PROMPT)[0]
    ids = tokenizer.encode(PROMPT).ids
    assert got["input_ids"] == ids
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0, -1].double()
    probs = torch.softmax(logits, -1)
    top = torch.topk(probs, 5)
    assert [t["id"] for t in got["top"]] == top.indices.tolist()
    for t, p in zip(got["top"], top.values.tolist()):
        assert abs(t["prob"] - p) <= 1e-5
        assert abs(t["logit"] - logits[t["id"]].item()) <= 1e-4 * logits.abs().max().item()
