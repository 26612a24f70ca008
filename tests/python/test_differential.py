"""Every architecture tokprob serves, against transformers itself, on configurations drawn by
hypothesis: the reference builds a model with random weights and saves it (F32, F16 or BF16
storage, tied or untied heads, ...); tokprob loads the folder; both compute the logits of random
token ids, which must agree within 1e-4 of the row's largest |logit| (at least 1).

CI runs a fixed seed and TOKPROB_DIFF_EXAMPLES examples per architecture (default 6);
TOKPROB_DIFF_EXAMPLES=2000 TOKPROB_DIFF_RANDOM=1 is a campaign with fresh seeds."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import tokenizers
import torch
import transformers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tokprob

EXAMPLES = int(os.environ.get("TOKPROB_DIFF_EXAMPLES", "6"))
RANDOM = os.environ.get("TOKPROB_DIFF_RANDOM") == "1"
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
STORAGE = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}

Draw = Callable[..., Any]


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """max |Δ| per row over max(1, max |row|) of the reference, the worst row."""
    scale = np.maximum(1.0, np.max(np.abs(want), axis=-1))
    return float(np.max(np.max(np.abs(got - want), axis=-1) / scale))


def save(model: torch.nn.Module, storage: str, folder: str) -> None:
    model.to(STORAGE[storage]).save_pretrained(folder, safe_serialization=True)


def reference_logits(cls: Any, folder: str, ids: list[int], **inputs: Any) -> np.ndarray:
    """The reference, in float32 from the saved (possibly F16/BF16) weights, as tokprob reads them."""
    model = cls.from_pretrained(folder, dtype=torch.float32).eval()
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids]), **inputs).logits
    return out.numpy().reshape(-1, out.shape[-1])  # [tokens, vocab]; a classifier's [1, labels]


def token_ids(draw: Draw, vocab: int, longest: int) -> list[int]:
    n = draw(st.integers(1, longest))
    return draw(st.lists(st.integers(0, vocab - 1), min_size=n, max_size=n))


def heads(draw: Draw) -> tuple[int, int, int]:
    """(query heads, key/value heads, head size)."""
    n_kv = draw(st.integers(1, 3))
    return n_kv * draw(st.integers(1, 3)), n_kv, draw(st.sampled_from([4, 8, 16]))


def check(cls: Any, config: Any, draw: Draw, storage: str, **inputs: Any) -> None:
    torch.manual_seed(draw(st.integers(0, 2**31 - 1)))
    model = cls(config).eval()
    longest = min(getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None) or 32, 24)
    ids = token_ids(draw, config.vocab_size, longest)
    with tempfile.TemporaryDirectory() as folder:
        save(model, storage, folder)
        want = reference_logits(cls, folder, ids, **inputs)
        got = tokprob.load(folder, kind=None).logits(ids)
    assert got.shape == want.shape
    error = relative_error(got, want)
    assert error <= 1e-4, f"{cls.__name__} {storage}: relative error {error:.3g}, ids={ids}\n{config.to_json_string()}"


@st.composite
def gpt2_case(draw: Draw) -> None:
    n_head, _, head = heads(draw)
    config = transformers.GPT2Config(
        vocab_size=draw(st.integers(16, 300)), n_positions=draw(st.integers(24, 64)), n_embd=n_head * head,
        n_layer=draw(st.integers(1, 3)), n_head=n_head, n_inner=draw(st.sampled_from([None, 24, 40])),
        activation_function=draw(st.sampled_from(["gelu_new", "gelu", "relu", "gelu_pytorch_tanh", "silu"])),
        layer_norm_epsilon=draw(st.sampled_from([1e-5, 1e-6, 1e-3])),
        scale_attn_weights=draw(st.booleans()), scale_attn_by_inverse_layer_idx=draw(st.booleans()),
        tie_word_embeddings=draw(st.booleans()), initializer_range=draw(st.sampled_from([0.02, 0.2, 0.5])))
    check(transformers.GPT2LMHeadModel, config, draw, draw(st.sampled_from(list(STORAGE))))



@st.composite
def gpt_bigcode_case(draw: Draw) -> None:
    n_head, _, head = heads(draw)
    config = transformers.GPTBigCodeConfig(
        vocab_size=draw(st.integers(16, 300)), n_positions=draw(st.integers(24, 64)), n_embd=n_head * head,
        n_layer=draw(st.integers(1, 3)), n_head=n_head, n_inner=draw(st.sampled_from([None, 24, 40])),
        activation_function=draw(st.sampled_from(["gelu_pytorch_tanh", "gelu", "relu"])),
        layer_norm_epsilon=draw(st.sampled_from([1e-5, 1e-6, 1e-3])), multi_query=draw(st.booleans()),
        scale_attn_weights=draw(st.booleans()), tie_word_embeddings=draw(st.booleans()),
        initializer_range=draw(st.sampled_from([0.02, 0.2, 0.5])))
    check(transformers.GPTBigCodeForCausalLM, config, draw, draw(st.sampled_from(list(STORAGE))))

def llama_family_config(draw: Draw, config_class: Any, **extra: Any) -> Any:
    n_heads, n_kv, head = heads(draw)
    return config_class(
        vocab_size=draw(st.integers(16, 300)), hidden_size=n_heads * draw(st.sampled_from([head, 4, 8, 12])),
        intermediate_size=draw(st.integers(8, 64)), num_hidden_layers=draw(st.integers(1, 3)),
        num_attention_heads=n_heads, num_key_value_heads=n_kv, head_dim=head,
        max_position_embeddings=draw(st.integers(24, 128)), hidden_act=draw(st.sampled_from(["silu", "gelu"])),
        rms_norm_eps=draw(st.sampled_from([1e-6, 1e-5, 1e-3])), tie_word_embeddings=draw(st.booleans()),
        rope_theta=draw(st.sampled_from([10000.0, 500000.0, 100.0])),
        initializer_range=draw(st.sampled_from([0.02, 0.2, 0.5])), **extra)


@st.composite
def llama_case(draw: Draw) -> None:
    config = llama_family_config(draw, transformers.LlamaConfig, attention_bias=draw(st.booleans()),
                                 mlp_bias=draw(st.booleans()))
    check(transformers.LlamaForCausalLM, config, draw, draw(st.sampled_from(list(STORAGE))))


@st.composite
def mistral_case(draw: Draw) -> None:
    config = llama_family_config(draw, transformers.MistralConfig, sliding_window=draw(st.sampled_from([None, 4096])))
    check(transformers.MistralForCausalLM, config, draw, draw(st.sampled_from(list(STORAGE))))


@st.composite
def qwen2_case(draw: Draw) -> None:
    config = llama_family_config(draw, transformers.Qwen2Config)
    check(transformers.Qwen2ForCausalLM, config, draw, draw(st.sampled_from(list(STORAGE))))



@st.composite
def qwen3_case(draw: Draw) -> None:
    layers = draw(st.integers(1, 3))
    window = draw(st.sampled_from([None, 2, 5]))
    config = llama_family_config(draw, transformers.Qwen3Config, attention_bias=draw(st.booleans()),
                                 use_sliding_window=window is not None, sliding_window=window,
                                 max_window_layers=draw(st.integers(0, 3)))
    config.num_hidden_layers = layers
    config.layer_types = ["sliding_attention" if window is not None and i >= config.max_window_layers
                          else "full_attention" for i in range(layers)]
    check(transformers.Qwen3ForCausalLM, config, draw, draw(st.sampled_from(list(STORAGE))))


def rope_parameters(draw: Draw, theta: float, partial: float, head: int) -> dict[str, Any]:
    """Default, linear or dynamic rope with a partial rotary factor."""
    # Dynamic scaling on a single rotary pair divides by zero in the reference.
    kind = draw(st.sampled_from(["default", "linear"] + (["dynamic"] if int(head * partial) > 2 else [])))
    params: dict[str, Any] = {"rope_type": kind, "rope_theta": theta, "partial_rotary_factor": partial}
    if kind != "default":
        params["factor"] = draw(st.sampled_from([2.0, 4.0, 1.5]))
    return params



@st.composite
def olmo2_case(draw: Draw) -> None:
    config = llama_family_config(draw, transformers.Olmo2Config, attention_bias=draw(st.booleans()),
                                 pad_token_id=None, eos_token_id=None)
    check(transformers.Olmo2ForCausalLM, config, draw, draw(st.sampled_from(list(STORAGE))))

@st.composite
def gpt_neox_case(draw: Draw) -> None:
    n_heads, _, head = heads(draw)
    config = transformers.GPTNeoXConfig(
        vocab_size=draw(st.integers(16, 300)), hidden_size=n_heads * head, num_hidden_layers=draw(st.integers(1, 3)),
        num_attention_heads=n_heads, intermediate_size=draw(st.integers(8, 64)),
        hidden_act=draw(st.sampled_from(["gelu", "gelu_new", "relu", "silu"])),
        max_position_embeddings=draw(st.integers(24, 128)), layer_norm_eps=draw(st.sampled_from([1e-5, 1e-6, 1e-3])),
        rope_parameters=rope_parameters(draw, draw(st.sampled_from([10000.0, 100.0])),
                                        # An odd rotary width is refused (the reference rotates a pair more).
                                        draw(st.sampled_from([0.25, 0.5, 1.0] if head > 4 else [0.5, 1.0])), head),
        use_parallel_residual=draw(st.booleans()), attention_bias=draw(st.booleans()),
        tie_word_embeddings=draw(st.booleans()), initializer_range=draw(st.sampled_from([0.02, 0.2, 0.5])))
    check(transformers.GPTNeoXForCausalLM, config, draw, draw(st.sampled_from(list(STORAGE))))


def gemma_family_config(draw: Draw, config_class: Any, **extra: Any) -> Any:
    n_heads, n_kv, head = heads(draw)
    return config_class(
        vocab_size=draw(st.integers(16, 300)), hidden_size=n_heads * draw(st.sampled_from([head, 4, 8, 12])),
        intermediate_size=draw(st.integers(8, 64)), num_hidden_layers=draw(st.integers(1, 4)),
        num_attention_heads=n_heads, num_key_value_heads=n_kv, head_dim=head,
        max_position_embeddings=draw(st.integers(24, 128)), rms_norm_eps=draw(st.sampled_from([1e-6, 1e-5, 1e-3])),
        tie_word_embeddings=draw(st.booleans()), attention_bias=draw(st.booleans()),
        initializer_range=draw(st.sampled_from([0.02, 0.2, 0.5])), **extra)


@st.composite
def gemma_case(draw: Draw) -> None:
    config = gemma_family_config(
        draw, transformers.GemmaConfig, hidden_act=draw(st.sampled_from(["gelu_pytorch_tanh", "gelu", "silu"])),
        rope_parameters={"rope_type": "default", "rope_theta": draw(st.sampled_from([10000.0, 100.0]))})
    check(transformers.GemmaForCausalLM, config, draw, draw(st.sampled_from(list(STORAGE))))


@st.composite
def gemma2_case(draw: Draw) -> None:
    config = gemma_family_config(
        draw, transformers.Gemma2Config, hidden_activation=draw(st.sampled_from(["gelu_pytorch_tanh", "silu"])),
        query_pre_attn_scalar=draw(st.sampled_from([4, 16, 256])), sliding_window=draw(st.integers(1, 12)),
        final_logit_softcapping=draw(st.sampled_from([None, 30.0, 0.5])),
        attn_logit_softcapping=draw(st.sampled_from([None, 50.0, 0.3])),
        rope_parameters={"rope_type": "default", "rope_theta": draw(st.sampled_from([10000.0, 100.0]))})
    check(transformers.Gemma2ForCausalLM, config, draw, draw(st.sampled_from(list(STORAGE))))


@st.composite
def gemma3_text_case(draw: Draw) -> None:
    full: dict[str, Any] = {"rope_type": "default", "rope_theta": draw(st.sampled_from([1e6, 10000.0, 100.0]))}
    if draw(st.booleans()):
        full.update(rope_type="linear", factor=draw(st.sampled_from([2.0, 8.0])))
    config = gemma_family_config(
        draw, transformers.Gemma3TextConfig, hidden_activation=draw(st.sampled_from(["gelu_pytorch_tanh", "silu"])),
        query_pre_attn_scalar=draw(st.sampled_from([4, 16, 256])), sliding_window=draw(st.integers(1, 12)),
        final_logit_softcapping=draw(st.sampled_from([None, 30.0])),
        attn_logit_softcapping=draw(st.sampled_from([None, 0.3])),
        sliding_window_pattern=draw(st.integers(1, 3)),
        rope_parameters={"full_attention": full,
                         "sliding_attention": {"rope_type": "default",
                                               "rope_theta": draw(st.sampled_from([10000.0, 100.0]))}})
    check(transformers.Gemma3ForCausalLM, config, draw, draw(st.sampled_from(list(STORAGE))))


@st.composite
def phi3_case(draw: Draw) -> None:
    n_heads, n_kv, head = heads(draw)
    partial = draw(st.sampled_from([1.0, 0.5] + ([0.75] if head % 8 == 0 else [])))
    pairs = int(head * partial) // 2
    rope: dict[str, Any] = {"rope_type": "default", "rope_theta": draw(st.sampled_from([10000.0, 100.0])),
                            "partial_rotary_factor": partial}
    original = draw(st.integers(4, 32))
    if draw(st.booleans()):
        factors = st.lists(st.floats(1.0, 8.0), min_size=pairs, max_size=pairs)
        rope.update(rope_type="longrope", short_factor=draw(factors), long_factor=draw(factors))
    config = transformers.Phi3Config(
        vocab_size=draw(st.integers(16, 300)), hidden_size=n_heads * head, intermediate_size=draw(st.integers(8, 64)),
        num_hidden_layers=draw(st.integers(1, 3)), num_attention_heads=n_heads, num_key_value_heads=n_kv,
        max_position_embeddings=draw(st.integers(24, 128)), original_max_position_embeddings=original,
        hidden_act=draw(st.sampled_from(["silu", "gelu"])), rms_norm_eps=draw(st.sampled_from([1e-6, 1e-5, 1e-3])),
        tie_word_embeddings=draw(st.booleans()), sliding_window=draw(st.sampled_from([None, 1, 3, 7])),
        rope_parameters=rope, pad_token_id=None, bos_token_id=None, eos_token_id=None,
        initializer_range=draw(st.sampled_from([0.02, 0.2, 0.5])))
    check(transformers.Phi3ForCausalLM, config, draw, draw(st.sampled_from(list(STORAGE))))

def bert_like_config(draw: Draw, config_class: Any, **extra: Any) -> Any:
    n_heads, _, head = heads(draw)
    return config_class(
        vocab_size=draw(st.integers(16, 300)), hidden_size=n_heads * head, num_hidden_layers=draw(st.integers(1, 3)),
        num_attention_heads=n_heads, intermediate_size=draw(st.integers(8, 64)),
        hidden_act=draw(st.sampled_from(["gelu", "relu", "gelu_new", "silu"])),
        max_position_embeddings=draw(st.integers(30, 64)), type_vocab_size=draw(st.integers(1, 3)),
        layer_norm_eps=draw(st.sampled_from([1e-12, 1e-5])), initializer_range=draw(st.sampled_from([0.02, 0.2, 0.5])),
        num_labels=draw(st.integers(1, 4)), **extra)


def encoder_case(draw: Draw, config: Any, heads_: tuple[Any, Any]) -> None:
    cls = draw(st.sampled_from(heads_))
    check(cls, config, draw, draw(st.sampled_from(list(STORAGE))))


@st.composite
def bert_case(draw: Draw) -> None:
    encoder_case(draw, bert_like_config(draw, transformers.BertConfig),
                 (transformers.BertForMaskedLM, transformers.BertForSequenceClassification))


@st.composite
def roberta_case(draw: Draw) -> None:
    config_class, heads_ = draw(st.sampled_from([
        (transformers.RobertaConfig, (transformers.RobertaForMaskedLM, transformers.RobertaForSequenceClassification)),
        (transformers.XLMRobertaConfig,
         (transformers.XLMRobertaForMaskedLM, transformers.XLMRobertaForSequenceClassification))]))
    encoder_case(draw, bert_like_config(draw, config_class, pad_token_id=1), heads_)


@st.composite
def distilbert_case(draw: Draw) -> None:
    n_heads, _, head = heads(draw)
    config = transformers.DistilBertConfig(
        vocab_size=draw(st.integers(16, 300)), dim=n_heads * head, n_layers=draw(st.integers(1, 3)), n_heads=n_heads,
        hidden_dim=draw(st.integers(8, 64)), activation=draw(st.sampled_from(["gelu", "relu"])),
        max_position_embeddings=draw(st.integers(24, 64)), initializer_range=draw(st.sampled_from([0.02, 0.2, 0.5])),
        num_labels=draw(st.integers(1, 4)))
    encoder_case(draw, config, (transformers.DistilBertForMaskedLM, transformers.DistilBertForSequenceClassification))


@st.composite
def t5_case(draw: Draw) -> None:
    n_heads, _, head = heads(draw)
    config_class = draw(st.sampled_from([transformers.T5Config, transformers.MT5Config]))
    config = config_class(
        vocab_size=draw(st.integers(16, 300)), d_model=draw(st.sampled_from([16, 24, 32])), d_kv=head,
        d_ff=draw(st.integers(8, 64)), num_layers=draw(st.integers(1, 2)),
        num_decoder_layers=draw(st.integers(1, 2)), num_heads=n_heads,
        relative_attention_num_buckets=(buckets := draw(st.sampled_from([8, 32]))),
        # Not above half the buckets the reference's decoder divides by zero (tokprob refuses it).
        relative_attention_max_distance=draw(st.sampled_from([buckets + 1, 128])),
        feed_forward_proj=draw(st.sampled_from(["relu", "gated-gelu"])),
        tie_word_embeddings=draw(st.booleans()), initializer_factor=draw(st.sampled_from([1.0, 0.5])),
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    cls = transformers.MT5ForConditionalGeneration if config_class is transformers.MT5Config \
        else transformers.T5ForConditionalGeneration
    torch.manual_seed(draw(st.integers(0, 2**31 - 1)))
    model = cls(config).eval()
    ids = token_ids(draw, config.vocab_size, 16)
    decoder_ids = [0] + token_ids(draw, config.vocab_size, 6)
    storage = draw(st.sampled_from(list(STORAGE)))
    with tempfile.TemporaryDirectory() as folder:
        save(model, storage, folder)
        want = reference_logits(cls, folder, ids, decoder_input_ids=torch.tensor([decoder_ids]))
        got = tokprob.load(folder).logits(ids, decoder_ids=decoder_ids)
    assert got.shape == want.shape
    assert relative_error(got, want) <= 1e-4, f"{cls.__name__} {storage} ids={ids} decoder={decoder_ids}\n{config}"


def perturb_norms_and_logits_bias(model: Any, draw: Draw) -> None:
    """LayerNorms start as ones and zeros and final_logits_bias as zeros, which would hide a missing
    or misplaced one: draw them away from that."""
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    with torch.no_grad():
        for name, tensor in model.named_parameters():
            if "norm" in name:
                tensor.add_(0.1 * torch.randn(tensor.shape, generator=generator))
        model.final_logits_bias.copy_(torch.randn(model.final_logits_bias.shape, generator=generator))


def bart_family_case(draw: Draw, config_class: Any, cls: Any) -> None:
    d_model = draw(st.sampled_from([16, 24, 32]))
    config = config_class(
        vocab_size=draw(st.integers(16, 300)), d_model=d_model,
        encoder_layers=draw(st.integers(1, 2)), decoder_layers=draw(st.integers(1, 2)),
        encoder_attention_heads=draw(st.sampled_from([1, 2, 4, 8])),
        decoder_attention_heads=draw(st.sampled_from([1, 2, 4, 8])),
        encoder_ffn_dim=draw(st.integers(8, 64)), decoder_ffn_dim=draw(st.integers(8, 64)),
        activation_function=draw(st.sampled_from(["gelu", "relu", "gelu_new", "silu"])),
        scale_embedding=draw(st.booleans()), tie_word_embeddings=draw(st.booleans()),
        max_position_embeddings=draw(st.integers(16, 40)), init_std=draw(st.sampled_from([0.02, 0.2])),
        bos_token_id=0, pad_token_id=1, eos_token_id=2, decoder_start_token_id=2)
    torch.manual_seed(draw(st.integers(0, 2**31 - 1)))
    model = cls(config).eval()
    perturb_norms_and_logits_bias(model, draw)
    ids = token_ids(draw, config.vocab_size, 16)
    decoder_ids = [2] + token_ids(draw, config.vocab_size, 6)
    storage = draw(st.sampled_from(list(STORAGE)))
    with tempfile.TemporaryDirectory() as folder:
        save(model, storage, folder)
        want = reference_logits(cls, folder, ids, decoder_input_ids=torch.tensor([decoder_ids]))
        got = tokprob.load(folder).logits(ids, decoder_ids=decoder_ids)
    assert got.shape == want.shape
    error = relative_error(got, want)
    assert error <= 1e-4, \
        f"{cls.__name__} {storage}: relative error {error:.3g}, ids={ids} decoder={decoder_ids}\n{config}"


def save_byte_tokenizer(folder: str) -> int:
    """A BART-style tokenizer over single bytes (<s> <pad> </s> <unk>, then the 256 byte symbols, no
    merges) as tokenizer.json; returns its vocabulary size."""
    from tokenizers import decoders, models, pre_tokenizers, processors
    symbols = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {token: i for i, token in enumerate(["<s>", "<pad>", "</s>", "<unk>", *symbols])}
    tokenizer = tokenizers.Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    for i, token in enumerate(["<s>", "<pad>", "</s>", "<unk>"]):
        tokenizer.add_special_tokens([tokenizers.AddedToken(token, special=True)])
        assert tokenizer.token_to_id(token) == i
    tokenizer.save(os.path.join(folder, "tokenizer.json"))
    return len(vocab)


def greedy_case(draw: Draw, config_class: Any, cls: Any) -> None:
    """The seq2seq task's greedy output against generate(): the start token, forced_bos_token_id
    (as mBART-50 sets it) and forced_eos_token_id on the last step the length limit allows."""
    d_model = draw(st.sampled_from([16, 32]))
    config = config_class(
        vocab_size=260, d_model=d_model, encoder_layers=1, decoder_layers=draw(st.integers(1, 2)),
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
        scale_embedding=draw(st.booleans()), max_position_embeddings=64, init_std=0.2,
        bos_token_id=0, pad_token_id=1, eos_token_id=2, decoder_start_token_id=2,
        forced_eos_token_id=draw(st.sampled_from([None, 2])),
        forced_bos_token_id=draw(st.sampled_from([None, 0, 100])))
    torch.manual_seed(draw(st.integers(0, 2**31 - 1)))
    model = cls(config).eval()
    text = "".join(draw(st.lists(st.sampled_from("abcdefgh xyz"), min_size=1, max_size=12)))
    max_new_tokens = draw(st.integers(1, 8))
    with tempfile.TemporaryDirectory() as folder:
        save(model, "F32", folder)
        assert save_byte_tokenizer(folder) == config.vocab_size
        reference = cls.from_pretrained(folder, dtype=torch.float32).eval()
        ids = tokenizers.Tokenizer.from_file(os.path.join(folder, "tokenizer.json")).encode(text).ids
        with torch.no_grad():
            out = reference.generate(torch.tensor([ids]), max_new_tokens=max_new_tokens, do_sample=False,
                                     num_beams=1, min_length=0)
        want = out[0].tolist()[1:]  # after the start token
        got = tokprob.load(folder).seq2seq(text, max_new_tokens=max_new_tokens)
    assert got.input_ids == ids
    assert got.output_ids == want, f"{cls.__name__} text={text!r}\n{config}"


@st.composite
def bart_case(draw: Draw) -> None:
    bart_family_case(draw, transformers.BartConfig, transformers.BartForConditionalGeneration)


@st.composite
def mbart_case(draw: Draw) -> None:
    bart_family_case(draw, transformers.MBartConfig, transformers.MBartForConditionalGeneration)


@st.composite
def bart_greedy_case(draw: Draw) -> None:
    greedy_case(draw, transformers.BartConfig, transformers.BartForConditionalGeneration)


@st.composite
def mbart_greedy_case(draw: Draw) -> None:
    greedy_case(draw, transformers.MBartConfig, transformers.MBartForConditionalGeneration)


CASES = {"gpt2": gpt2_case, "gpt_bigcode": gpt_bigcode_case, "llama": llama_case, "mistral": mistral_case,
         "qwen2": qwen2_case, "qwen3": qwen3_case, "olmo2": olmo2_case, "gpt_neox": gpt_neox_case,
         "gemma": gemma_case, "gemma2": gemma2_case, "gemma3_text": gemma3_text_case, "phi3": phi3_case,
         "bert": bert_case, "roberta": roberta_case, "distilbert": distilbert_case, "t5": t5_case,
         "bart": bart_case, "mbart": mbart_case, "bart-greedy": bart_greedy_case,
         "mbart-greedy": mbart_greedy_case}


@pytest.mark.parametrize("arch", sorted(CASES))
def test_architecture_matches_transformers(arch: str) -> None:
    @SETTINGS
    @given(CASES[arch]())
    def run(_: None) -> None:
        pass

    run()
