// A model folder with distilgpt2's exact layout and shapes but random weights, so the benchmark
// measures the real model's cost without downloading it.
#pragma once

#include <cstdint>
#include <filesystem>

#include "kernels/weight_format.hpp"

namespace tokprob::bench {

// distilgpt2's config.json values that decide the cost of a forward pass.
struct Gpt2Shape {
  int64_t n_layer = 6, n_embd = 768, n_head = 12, vocab = 50257, n_positions = 1024;
  int64_t n_inner() const { return 4 * n_embd; }
  // Weights multiplied in the transformer blocks (qkv, attention out, MLP up and down); the
  // embeddings are looked up, and the tied LM head is counted apart (it runs on fewer rows).
  int64_t block_matmul_params() const { return n_layer * (4 * n_embd * n_embd + 2 * n_embd * n_inner()); }
  int64_t lm_head_params() const { return vocab * n_embd; }
  // Bytes of every multiplied matrix (blocks and LM head) held in `format`, scales included.
  int64_t matmul_bytes(WeightFormat format) const {
    const int64_t C = n_embd, I = n_inner();
    return n_layer * (weight_format_bytes(format, 3 * C, C) + weight_format_bytes(format, C, C) +
                      weight_format_bytes(format, I, C) + weight_format_bytes(format, C, I)) +
           weight_format_bytes(format, vocab, C);
  }
};

struct BenchModel {
  std::filesystem::path dir;
  Gpt2Shape shape;
  uint64_t weight_bytes = 0;     // every tensor of model.safetensors
  uint64_t file_bytes = 0;       // model.safetensors
  uint64_t tokenizer_bytes = 0;  // the tokenizer files
  uint64_t bytes_per_token = 0;  // what one decode step must read: all but the position table
  bool reused = false;           // the folder was already there with the same contents
};

// Writes `dir` (config.json, model.safetensors with F32 "transformer."-prefixed tensors, the
// tokenizer files of `tokenizer_dir`), or reuses it when an earlier run left the same folder.
// Weights come from a fixed-seed generator, so every run writes the same bytes.
// With `bf16`, every tensor is stored BF16 (the same values rounded), as checkpoints saved in
// bfloat16 are.
BenchModel prepare_distilgpt2_folder(const std::filesystem::path& dir, const std::filesystem::path& tokenizer_dir,
                                     bool bf16 = false);

}  // namespace tokprob::bench
