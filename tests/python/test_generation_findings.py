"""Generation cases the differential campaigns found tokprob wrong on (fixed since), replayed
exactly: the config, the weights' seed and the prompt that showed each, against `generate` of
transformers on the same folder.

- Beam search, early_stopping=True, at the last step: the reference lets the top num_beams
  candidates finish together, EOS or not, and stops on the best beam that goes on (not an EOS
  candidate); tokprob finished only EOS candidates there (qwen3, found by the qwen3_moe campaign).
- Phi-3 with longrope: the reference's generation recomputes the cache with the long factors when
  a sequence first passes original_max_position_embeddings (found by the phi3 campaign)."""
from __future__ import annotations

import tempfile
from typing import Any

import torch
import transformers
from test_differential import explicit_generation, reference_model, save, text_of, until_eos, write_word_tokenizer

import tokprob


def generated(cls: Any, config: Any, seed: int, prompt: list[int], new: int,
              **beams: Any) -> tuple[list[list[int]], list[list[int]]]:
    """(tokprob's, transformers') new ids of each returned sequence."""
    torch.manual_seed(seed)
    model = cls(config).eval()
    with tempfile.TemporaryDirectory() as folder:
        save(model, "F32", folder)
        write_word_tokenizer(folder, config.vocab_size, {})
        reference = reference_model(cls, folder)
        gen = explicit_generation(config, new, **beams)
        with torch.no_grad():
            mask = torch.ones(1, len(prompt), dtype=torch.long)
            out = reference.generate(torch.tensor([prompt]), attention_mask=mask, generation_config=gen)
        want = [until_eos(s[len(prompt):].tolist(), config.eos_token_id) for s in out.sequences]
        result = tokprob.load(folder, kind=None).generate(text_of(prompt, {}), max_new_tokens=new, **beams)
        return [list(s.new_ids) for s in result.sequences], want


def test_beams_finishing_at_the_last_step_with_early_stopping() -> None:
    config = transformers.Qwen3Config(
        attention_bias=True, bos_token_id=11, eos_token_id=11, head_dim=4, hidden_size=8, initializer_range=0.5,
        intermediate_size=31, max_position_embeddings=121, num_attention_heads=1, num_hidden_layers=3,
        num_key_value_heads=1, rope_parameters={"rope_theta": 10000.0, "rope_type": "default"}, vocab_size=36,
        tie_word_embeddings=False)
    prompt = [32, 0, 19, 0, 9, 19, 9, 23, 15, 0, 33, 23, 13, 26, 0, 20, 0, 25, 0, 32, 14]
    got, want = generated(transformers.Qwen3ForCausalLM, config, 22, prompt, 8, num_beams=3,
                          num_return_sequences=2, early_stopping=True)
    assert got == want


def test_phi3_longrope_generation_across_the_switch() -> None:
    config = transformers.Phi3Config(
        hidden_act="silu", hidden_size=32, initializer_range=0.5, intermediate_size=18, max_position_embeddings=54,
        num_attention_heads=2, num_hidden_layers=1, num_key_value_heads=1, original_max_position_embeddings=17,
        rms_norm_eps=1e-06, vocab_size=44, tie_word_embeddings=False, bos_token_id=None, eos_token_id=None,
        pad_token_id=None,
        rope_parameters={"rope_type": "longrope", "rope_theta": 10000.0, "partial_rotary_factor": 0.75,
                         "original_max_position_embeddings": 17,
                         "long_factor": [7.161266325776621, 1.0, 1.0, 1.0, 1.0, 1.0],
                         "short_factor": [3.8484136591390627, 6.030649094469198, 1.0, 1.0, 1.0, 1.0]})
    for beams in (1, 3):
        got, want = generated(transformers.Phi3ForCausalLM, config, 0, [0] * 12, 9, num_beams=beams)
        assert got[0] == want[0], f"{beams} beams"
