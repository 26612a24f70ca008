// The encoder-decoder plumbing with a stand-in architecture whose output is known without running a
// model: one-hot embeddings, an encoder layer that adds each row's position to dimension 0, cross
// keys of zeros (so each decoder row's cross-attention is the mean of its source's value rows), an
// identity head plus a logits bias. Checks that each chunk reads its own source's memory, the rows
// asked for, the limits and their config key, and that clones share the memory.
#include <gtest/gtest.h>

#include <algorithm>

#include "models/encoder_decoder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

constexpr int64_t V = 6;  // vocabulary = hidden size, so the identity is the head

void one_hot(const PackedRows& rows, float* x) {
  std::fill(x, x + rows.count() * V, 0.0f);
  for (int64_t r = 0; r < rows.count(); ++r) x[r * V + rows.id(r)] = 1.0f;
}

class StandIn final : public Seq2SeqLayers {
 public:
  void encoder_embed(const SourceRows& rows, float* x) const override { one_hot(rows, x); }
  void encoder_layer(int64_t, const SourceRows& rows, float* x) const override {
    for (int64_t r = 0; r < rows.count(); ++r) x[r * V] += static_cast<float>(rows.position(r));
  }
  void encoder_final_norm(float*, int64_t) const override {}
  void cross_keys_values(int64_t, const float* memory, int64_t rows, float* k, float* v) const override {
    std::fill(k, k + rows * V, 0.0f);
    std::copy(memory, memory + rows * V, v);
  }
  void decoder_embed(const TargetRows& rows, float* x) const override { one_hot(rows, x); }
  // x += mean of the source's encoder output rows
  void decoder_layer(int64_t l, const TargetRows& rows, float* x) const override {
    std::vector<float> out(rows.count() * V);
    rows.cross_attention(l, x, V, {1, 1, V, 1.0f, false}, out.data(), V);
    for (size_t i = 0; i < out.size(); ++i) x[i] += out[i];
  }
  void decoder_final_norm(float* x, int64_t rows) const override {
    for (int64_t i = 0; i < rows * V; ++i) x[i] *= 2.0f;
  }
};

const std::vector<float> kIdentity = [] {
  std::vector<float> m(V * V, 0.0f);
  for (int64_t i = 0; i < V; ++i) m[i * V + i] = 1.0f;
  return m;
}();
const std::vector<float> kBias = {0.5f, -1.0f, 0.25f, 0.0f, 2.0f, -0.5f};

std::unique_ptr<Seq2SeqLM> stand_in() {
  Seq2SeqSpec spec;
  spec.info.model_type = "stand-in";
  spec.info.vocab_size = V;
  spec.info.hidden_size = V;
  spec.encoder_layers = 2;
  spec.decoder_layers = 2;
  spec.self_kv_dim = spec.cross_kv_dim = V;
  spec.max_source_positions = 5;
  spec.max_target_positions = 4;
  spec.max_positions_key = "max_position_embeddings";
  spec.head = {kIdentity.data(), nullptr, V, V};
  spec.logits_bias = kBias.data();
  return make_encoder_decoder(std::move(spec), std::make_unique<StandIn>());
}

// Encoder output row of `id` at `position` after the two encoder layers.
std::vector<float> encoded(int32_t id, int64_t position) {
  std::vector<float> row(V, 0.0f);
  row[id] = 1.0f;
  row[0] += 2.0f * static_cast<float>(position);
  return row;
}

// Logits of decoder token `id` over `source`: 2 * (one_hot(id) + 2 * mean(encoded)) + bias.
std::vector<float> expected(int32_t id, const std::vector<int32_t>& source) {
  std::vector<float> mean(V, 0.0f);
  for (size_t p = 0; p < source.size(); ++p) {
    const auto row = encoded(source[p], static_cast<int64_t>(p));
    for (int64_t c = 0; c < V; ++c) mean[c] += row[c] / static_cast<float>(source.size());
  }
  std::vector<float> logits(V);
  for (int64_t c = 0; c < V; ++c) logits[c] = 2.0f * ((c == id ? 1.0f : 0.0f) + 2.0f * mean[c]) + kBias[c];
  return logits;
}

void expect_near(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << "at " << i;
}

TEST(EncoderDecoder, EachChunkReadsItsOwnSourceAndTheAskedRowsGetTheLogitsBias) {
  const auto model = stand_in();
  const std::vector<std::vector<int32_t>> sources = {{1, 2, 3}, {4, 5}};
  auto states = model->encode(sources);
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0]->source_length(), 3);
  EXPECT_EQ(states[1]->source_length(), 2);
  const auto out = states[1]->encoder_output();
  std::vector<float> want_out = encoded(4, 0);
  const auto second = encoded(5, 1);
  want_out.insert(want_out.end(), second.begin(), second.end());
  expect_near({out.begin(), out.end()}, want_out);

  const std::vector<int32_t> da = {0, 2, 3}, db = {1};
  std::vector<DecodeChunk> chunks = {{states[0].get(), da, {2, 0}}, {states[1].get(), db, {0}}};
  const auto logits = model->decode(chunks);
  std::vector<float> want = expected(3, sources[0]);
  for (const auto& row : {expected(0, sources[0]), expected(1, sources[1])}) want.insert(want.end(), row.begin(), row.end());
  expect_near(logits, want);
  EXPECT_EQ(states[0]->length(), 3);
  EXPECT_EQ(states[1]->length(), 1);
}

TEST(EncoderDecoder, RefusesLongSequencesEmptySourcesBadIdsAndForeignStates) {
  const auto model = stand_in();
  const std::vector<std::vector<int32_t>> too_long = {{1, 1, 1, 1, 1, 1}}, empty = {{}}, bad = {{V}};
  try {
    model->encode(too_long);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("max_position_embeddings"), std::string::npos) << e.what();
  }
  EXPECT_THROW(model->encode(empty), Error);
  EXPECT_THROW(model->encode(bad), Error);

  const std::vector<std::vector<int32_t>> ok = {{1}};
  auto state = std::move(model->encode(ok).at(0));
  const std::vector<int32_t> five(5, 1), out_of_vocab = {V};
  DecodeChunk long_chunk{state.get(), five, {0}};
  EXPECT_THROW(model->decode(std::span(&long_chunk, 1)), Error);
  DecodeChunk bad_chunk{state.get(), out_of_vocab, {0}};
  EXPECT_THROW(model->decode(std::span(&bad_chunk, 1)), Error);
  EXPECT_EQ(state->length(), 0);  // a rejected step leaves the state as it was

  KVCache foreign(2, V);
  DecodeChunk foreign_chunk{&foreign, std::span(out_of_vocab).first(0), {}};
  EXPECT_THROW(model->decode(std::span(&foreign_chunk, 1)), Error);
}

TEST(EncoderDecoder, ClonesShareTheMemoryAndContinueApart) {
  const auto model = stand_in();
  const std::vector<std::vector<int32_t>> sources = {{2, 4}};
  auto state = std::move(model->encode(sources).at(0));
  const std::vector<int32_t> start = {0};
  DecodeChunk first{state.get(), start, {}};
  model->decode(std::span(&first, 1));
  auto copy = state->clone();
  auto* fork = static_cast<Seq2SeqState*>(copy.get());
  EXPECT_EQ(fork->encoder_output().data(), state->encoder_output().data());
  const std::vector<int32_t> a = {1}, b = {5, 5};
  DecodeChunk ca{state.get(), a, {0}}, cb{fork, b, {1}};
  expect_near(model->decode(std::span(&ca, 1)), expected(1, sources[0]));
  expect_near(model->decode(std::span(&cb, 1)), expected(5, sources[0]));
  EXPECT_EQ(state->length(), 2);
  EXPECT_EQ(fork->length(), 3);
}

}  // namespace
}  // namespace tokprob
