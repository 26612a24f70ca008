// The decoder plumbing with a stand-in architecture whose output is known without running a model
// (one-hot embeddings, a layer that adds its index times the position, an identity head): chunk
// checks, row selection across chunks, the cache length, and the final logit soft-cap.
#include <gtest/gtest.h>

#include <cmath>

#include "models/decoder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

constexpr int64_t V = 6;  // vocabulary = hidden size, so the identity is the head

class StandIn final : public DecoderLayers {
 public:
  // The rows of each pass's chunks, and their ids, as embed() saw them.
  mutable std::vector<std::vector<int32_t>> passes;
  // x[r] = one_hot(id)
  void embed(const DecoderRows& rows, float* x) const override {
    passes.emplace_back();
    for (int64_t r = 0; r < rows.count(); ++r) passes.back().push_back(rows.id(r));
    for (int64_t r = 0; r < rows.count(); ++r) {
      for (int64_t c = 0; c < V; ++c) x[r * V + c] = 0.0f;
      x[r * V + rows.id(r)] = 1.0f;
    }
  }
  // x[r][0] += (l + 1) * position
  void layer(int64_t l, const DecoderRows& rows, float* x) const override {
    for (int64_t r = 0; r < rows.count(); ++r) x[r * V] += static_cast<float>((l + 1) * rows.position(r));
  }
  void final_norm(float* x, int64_t rows) const override {
    for (int64_t i = 0; i < rows * V; ++i) x[i] *= 2.0f;
  }
};

std::vector<float> identity() {
  std::vector<float> m(V * V, 0.0f);
  for (int64_t i = 0; i < V; ++i) m[i * V + i] = 1.0f;
  return m;
}

std::unique_ptr<CausalLM> stand_in(const std::vector<float>& head, float softcap = 0.0f,
                                   int64_t recompute_cache_past = 0, const StandIn** layers = nullptr) {
  DecoderSpec spec;
  spec.info.model_type = "stand-in";
  spec.info.vocab_size = V;
  spec.info.max_positions = 8;
  spec.max_positions_key = "n_positions";
  spec.hidden = V;
  spec.layers = 2;
  spec.kv_dim = 1;
  spec.head = {head.data(), nullptr, V, V};
  spec.final_logit_softcap = softcap;
  spec.recompute_cache_past = recompute_cache_past;
  auto stand_in_layers = std::make_unique<StandIn>();
  if (layers) *layers = stand_in_layers.get();
  return make_decoder(std::move(spec), std::move(stand_in_layers));
}

// Logit row expected for token `id` at `position`: 2 * (one_hot(id) + (1 + 2) * position in dim 0).
std::vector<float> expected(int32_t id, int64_t position) {
  std::vector<float> row(V, 0.0f);
  row[id] = 2.0f;
  row[0] += 2.0f * 3.0f * static_cast<float>(position);
  return row;
}

TEST(Decoder, SelectsTheAskedRowsOfEveryChunkAtTheirPositions) {
  const auto head = identity();
  const auto model = stand_in(head);
  auto a = model->new_state(), b = model->new_state();
  const std::vector<int32_t> ida = {1, 2, 3}, idb = {4, 5};
  DecodeChunk first{a.get(), std::span(ida).first(1), {0}};
  model->forward(std::span(&first, 1));
  std::vector<DecodeChunk> chunks = {{a.get(), std::span(ida).subspan(1), {1, 0}}, {b.get(), idb, {1}}};
  const auto logits = model->forward(chunks);
  ASSERT_EQ(logits.size(), 3u * V);
  std::vector<float> want = expected(3, 2);
  for (const auto& row : {expected(2, 1), expected(5, 1)}) want.insert(want.end(), row.begin(), row.end());
  EXPECT_EQ(logits, want);
  EXPECT_EQ(a->length(), 3);
  EXPECT_EQ(b->length(), 2);
}

TEST(Decoder, RefusesLongSequencesBadIdsAndNamesTheLimitKey) {
  const auto head = identity();
  const auto model = stand_in(head);
  auto s = model->new_state();
  const std::vector<int32_t> nine(9, 1), bad = {V};
  DecodeChunk too_long{s.get(), nine, {0}};
  try {
    model->forward(std::span(&too_long, 1));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n_positions"), std::string::npos) << e.what();
  }
  DecodeChunk out_of_vocab{s.get(), bad, {0}};
  EXPECT_THROW(model->forward(std::span(&out_of_vocab, 1)), Error);
}

TEST(Decoder, FinalLogitSoftCapIsTanhOfLogitOverCapTimesCap) {
  const auto head = identity();
  const auto model = stand_in(head, 5.0f);
  auto s = model->new_state();
  const std::vector<int32_t> ids = {2, 3, 4};
  DecodeChunk ch{s.get(), ids, {2}};
  const auto logits = model->forward(std::span(&ch, 1));
  const auto raw = expected(4, 2);
  for (int64_t v = 0; v < V; ++v) EXPECT_NEAR(logits[v], std::tanh(raw[v] / 5.0) * 5.0, 1e-6) << v;
}

// Phi-3's longrope switch: the pass that first takes a sequence past the limit runs its cached
// tokens again with its new one (the reference's generation drops its cache there); passes before
// and after it run only their new tokens.
TEST(Decoder, RecomputesTheCacheOnceWhenASequenceFirstPassesTheLimit) {
  const auto head = identity();
  const StandIn* layers = nullptr;
  const auto model = stand_in(head, 0.0f, /*recompute_cache_past=*/3, &layers);
  auto s = model->new_state(), other = model->new_state();
  const std::vector<int32_t> ids = {1, 2, 3, 4, 5}, other_ids = {5, 4};
  std::vector<std::vector<float>> logits;
  DecodeChunk prompt{s.get(), std::span(ids).first(2), {1}};
  logits.push_back(model->forward(std::span(&prompt, 1)));
  for (int64_t i = 2; i < 5; ++i) {
    std::vector<DecodeChunk> chunks = {{s.get(), std::span(ids).subspan(i, 1), {0}}};
    if (i == 3) chunks.push_back({other.get(), other_ids, {1}});  // a fresh sequence beside it is left alone
    logits.push_back(model->forward(chunks));
  }
  const std::vector<std::vector<int32_t>> want_passes = {{1, 2}, {3}, {1, 2, 3, 4, 5, 4}, {5}};
  EXPECT_EQ(layers->passes, want_passes);
  auto both = expected(4, 3);
  const auto fresh = expected(4, 1);
  both.insert(both.end(), fresh.begin(), fresh.end());
  EXPECT_EQ(logits[2], both);
  EXPECT_EQ(logits[3], expected(5, 4));
  EXPECT_EQ(s->length(), 5);
  EXPECT_EQ(other->length(), 2);
}

}  // namespace
}  // namespace tokprob
