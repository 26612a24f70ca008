#include "models/decoder.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "models/kv_cache.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

DecoderRows::DecoderRows(std::span<DecodeChunk> chunks, int64_t kv_dim, const std::vector<const Rope*>& ropes)
    : chunks_(chunks), kv_dim_(kv_dim), ropes_(ropes) {
  for (auto& ch : chunks) {
    const int64_t start = ch.state->length(), n = static_cast<int64_t>(ch.ids.size());
    for (int64_t i = 0; i < n; ++i) {
      ids_.push_back(ch.ids[i]);
      positions_.push_back(start + i);
      sequence_ends_.push_back(start + n);
    }
    count_ += n;
  }
  for (const Rope* rope : ropes_) {
    const int64_t P = rope->pairs();
    std::vector<float> c(count_ * P), s(count_ * P), inv_freq;
    for (int64_t r = 0; r < count_; ++r) {
      // Every row of a chunk shares its sequence end, hence its frequencies.
      if (r == 0 || sequence_ends_[r] != sequence_ends_[r - 1]) inv_freq = rope->inv_freq(sequence_ends_[r]);
      rope->angles(positions_[r], inv_freq, &c[r * P], &s[r * P]);
    }
    rope_cos_.push_back(std::move(c));
    rope_sin_.push_back(std::move(s));
  }
}

void DecoderRows::self_attention(int64_t layer, const float* q, int64_t q_stride, const float* k, const float* v,
                                 int64_t kv_stride, const AttentionShape& shape, float* out,
                                 int64_t out_stride) const {
  int64_t row = 0;
  for (auto& ch : chunks_) {
    auto* cache = static_cast<KVCache*>(ch.state);
    const int64_t n = static_cast<int64_t>(ch.ids.size());
    const int64_t start = cache->length();
    cache->append(layer, k + row * kv_stride, v + row * kv_stride, kv_stride, n);
    attention(q + row * q_stride, q_stride, cache->keys(layer), cache->values(layer), kv_dim_, start + n, n, start,
              shape, out + row * out_stride, out_stride);
    row += n;
  }
}

namespace {

class Decoder final : public CausalLM {
 public:
  Decoder(DecoderSpec spec, std::unique_ptr<DecoderLayers> layers) : s_(std::move(spec)), layers_(std::move(layers)) {}

  const ModelInfo& info() const override { return s_.info; }

  std::unique_ptr<DecoderState> new_state() const override { return std::make_unique<KVCache>(s_.layers, s_.kv_dim); }

  // ids of all chunks -> x: [T, C] -> logits [R, V] for the requested rows.
  std::vector<float> forward(std::span<DecodeChunk> given) const override {
    const int64_t C = s_.hidden;
    const int64_t R = validate(given);
    std::vector<std::vector<int32_t>> whole;  // the recomputed sequences' tokens, alive for the pass
    std::vector<DecodeChunk> recomputed;
    const std::span<DecodeChunk> chunks = with_caches_recomputed(given, whole, recomputed);
    const DecoderRows rows(chunks, s_.kv_dim, s_.ropes);
    const int64_t T = rows.count();
    std::vector<float> x(T * C);
    layers_->embed(rows, x.data());
    for (int64_t l = 0; l < s_.layers; ++l) layers_->layer(l, rows, x.data());
    for (auto& ch : chunks) static_cast<KVCache*>(ch.state)->advance(ch.ids);

    // The final norm and the vocabulary projection only for the rows asked for.
    std::vector<float> sel(R * C);
    int64_t row = 0, r = 0;
    for (auto& ch : chunks) {
      for (int64_t i : ch.logits_for) std::memcpy(&sel[r++ * C], &x[(row + i) * C], C * sizeof(float));
      row += static_cast<int64_t>(ch.ids.size());
    }
    layers_->final_norm(sel.data(), R);
    if (s_.head_in > 0 && s_.head_in != C) {
      std::vector<float> projected(R * s_.head_in);
      layers_->project_out(sel.data(), R, projected.data());
      sel = std::move(projected);
    }
    std::vector<float> logits(R * s_.info.vocab_size);
    linear(sel.data(), R, s_.head, logits.data());
    if (const float cap = s_.final_logit_softcap; cap > 0.0f)
      for (float& z : logits) z = std::tanh(z / cap) * cap;
    return logits;
  }

 private:
  // `chunks`, or where DecoderSpec::recompute_cache_past asks for it, a copy in which those chunks
  // carry their cached tokens before their new ones (and their caches are emptied).
  std::span<DecodeChunk> with_caches_recomputed(std::span<DecodeChunk> chunks, std::vector<std::vector<int32_t>>& whole,
                                                std::vector<DecodeChunk>& recomputed) const {
    const int64_t past = s_.recompute_cache_past;
    auto needs = [past](const DecodeChunk& ch) {
      const int64_t start = ch.state->length(), end = start + static_cast<int64_t>(ch.ids.size());
      return past > 0 && start > 0 && start <= past && end > past;
    };
    if (std::none_of(chunks.begin(), chunks.end(), needs)) return chunks;
    whole.reserve(chunks.size());
    for (auto& ch : chunks) {
      DecodeChunk c = ch;
      if (needs(ch)) {
        auto* cache = static_cast<KVCache*>(ch.state);
        const int64_t start = cache->length();
        std::vector<int32_t>& ids = whole.emplace_back(cache->ids());
        ids.insert(ids.end(), ch.ids.begin(), ch.ids.end());
        cache->truncate(0);
        c.ids = ids;
        for (int64_t& r : c.logits_for) r += start;
      }
      recomputed.push_back(std::move(c));
    }
    return recomputed;
  }

  // Checks every chunk; returns the number of logits rows asked for.
  int64_t validate(std::span<DecodeChunk> chunks) const {
    const ModelInfo& I = s_.info;
    int64_t R = 0;
    for (auto& ch : chunks) {
      auto* cache = dynamic_cast<KVCache*>(ch.state);
      if (!cache) fail("internal: decoder state of another model passed to " + I.model_type);
      const int64_t len = cache->length() + static_cast<int64_t>(ch.ids.size());
      if (I.max_positions > 0 && len > I.max_positions)
        fail("sequence of " + std::to_string(len) + " tokens is longer than the model's " +
             std::to_string(I.max_positions) + " positions (" + s_.max_positions_key + ")");
      for (int32_t id : ch.ids)
        if (id < 0 || id >= I.vocab_size) fail("token id " + std::to_string(id) + " is outside the vocabulary");
      for (int64_t r : ch.logits_for)
        if (r < 0 || r >= static_cast<int64_t>(ch.ids.size())) fail("internal: logits row outside the chunk");
      R += static_cast<int64_t>(ch.logits_for.size());
    }
    return R;
  }

  DecoderSpec s_;
  std::unique_ptr<DecoderLayers> layers_;
};

}  // namespace

void DecoderLayers::project_out(const float*, int64_t, float*) const {
  fail("internal: a decoder with a head narrower or wider than its stream has no projection to it");
}

std::unique_ptr<CausalLM> make_decoder(DecoderSpec spec, std::unique_ptr<DecoderLayers> layers) {
  return std::make_unique<Decoder>(std::move(spec), std::move(layers));
}

namespace {

std::optional<int32_t> first_token_id(const Config& config, const char* key) {
  if (!config.has(key)) return std::nullopt;
  const auto& j = config.json()[key];
  if (j.is_array()) {
    if (j.empty() || !j[0].is_number_integer()) return std::nullopt;
    return j[0].get<int32_t>();
  }
  return static_cast<int32_t>(config.get_int(key));
}

}  // namespace

ModelInfo read_decoder_info(const Config& config, int64_t vocab_size, int64_t max_positions) {
  ModelInfo info;
  info.model_type = config.model_type();
  info.architecture = config.first_architecture();
  info.vocab_size = vocab_size;
  info.max_positions = max_positions;
  info.bos_token_id = first_token_id(config, "bos_token_id");
  info.eos_token_id = first_token_id(config, "eos_token_id");
  info.pad_token_id = first_token_id(config, "pad_token_id");
  return info;
}

std::vector<int64_t> read_layer_windows(const Config& config, int64_t layers, std::vector<int64_t> windows,
                                        int64_t window) {
  const std::string file = config.file().string();
  if (!config.has("layer_types")) return windows;
  const auto& types = config.json()["layer_types"];
  if (!types.is_array() || static_cast<int64_t>(types.size()) != layers)
    fail(file + ": layer_types must list one type per layer (" + std::to_string(layers) + ")");
  for (int64_t l = 0; l < layers; ++l) {
    const std::string t = types[l].is_string() ? types[l].get<std::string>() : "";
    if (t == "full_attention") {
      windows[l] = 0;
    } else if (t == "sliding_attention") {
      if (window == 0) fail(file + ": layer_types has a sliding_attention layer but no sliding_window is in force");
      windows[l] = window;
    } else {
      fail(file + ": layer_types entry '" + t + "' is not supported (full_attention, sliding_attention)");
    }
  }
  return windows;
}

void refuse_unless(const Config& config, const std::string& key, const nlohmann::json& expected) {
  if (!config.has(key) || config.json()[key] == expected) return;
  fail(config.file().string() + ": " + key + " " + config.json()[key].dump() + " is not supported (only " +
       expected.dump() + ")");
}

}  // namespace tokprob
