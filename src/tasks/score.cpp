#include "tasks/score.hpp"
#include "tasks/token_score.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "generate/distribution.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

struct Window {
  size_t text;
  int64_t begin, end;  // token range fed to the model
  int64_t first;       // first token scored in it (its logits come from row first - begin - 1)
};

// Rows of logits one forward call may return: bounds memory on long texts with large vocabularies.
constexpr int64_t kMaxLogitFloats = 64ll << 20;

}  // namespace

void validate(const ScoreOptions& options) {
  if (options.window < 0 || options.window == 1)
    option_error("window", "must be 0 (the model's context) or at least 2 tokens, got " + std::to_string(options.window));
  if (options.stride < 0 || (options.window > 0 && options.stride > options.window))
    option_error("stride", "must be 0 (half the window) or between 1 and the window, got " +
                               std::to_string(options.stride));
  if (options.max_positions_run < 0)
    option_error("max_positions_run", "must be 0 (no limit) or more, got " + std::to_string(options.max_positions_run));
  if (options.top_k < 0) option_error("top_k", "must be 0 or more, got " + std::to_string(options.top_k));
}

std::vector<ScoreResult> score_texts(const CausalLM& model, const Tokenizer& tokenizer,
                                     std::span<const std::string> texts, const ScoreOptions& options) {
  validate(options);
  const int64_t V = model.info().vocab_size;
  const int64_t max_pos = model.info().max_positions;
  if (max_pos > 0 && options.window > max_pos)
    option_error("window", "must be at most the model's " + std::to_string(max_pos) + " positions, got " +
                               std::to_string(options.window));
  const int64_t window = options.window > 0 ? options.window : max_pos > 0 ? max_pos : std::numeric_limits<int64_t>::max();
  if (window < 2) option_error("window", "must be at least 2 tokens: the model has " + std::to_string(window));
  const int64_t stride = options.stride > 0 ? options.stride : std::max<int64_t>(1, window / 2);
  if (stride > window)
    option_error("stride", "must be between 1 and the window (" + std::to_string(window) + " tokens), got " +
                               std::to_string(options.stride));

  std::optional<int32_t> start_token;
  if (options.score_first_token) {
    const SpecialTokens& special = tokenizer.special_tokens();
    start_token = special.bos ? special.bos : special.eos;
    if (!start_token)
      usage_error("the tokenizer has neither a BOS nor an EOS token to condition the first token on");
  }

  std::vector<ScoreResult> results;
  std::vector<std::vector<int32_t>> ids;
  std::vector<Window> windows;
  for (size_t t = 0; t < texts.size(); ++t) {
    if (texts[t].empty()) usage_error("empty text: give the text to score");
    ids.push_back(tokenizer.encode(texts[t], options.add_special_tokens).ids);
    if (start_token && (ids.back().empty() || ids.back().front() != *start_token))
      ids.back().insert(ids.back().begin(), *start_token);
    const auto n = static_cast<int64_t>(ids.back().size());
    ScoreResult r;
    r.text = texts[t];
    for (int32_t id : ids.back()) {
      ScoredToken s;
      s.id = id;
      s.token = id >= 0 && static_cast<size_t>(id) < tokenizer.vocab_size() ? tokenizer.id_to_token(id) : "";
      s.text = id >= 0 && static_cast<size_t>(id) < tokenizer.vocab_size() ? tokenizer.token_text(id) : "";
      r.tokens.push_back(std::move(s));
    }
    results.push_back(std::move(r));
    int64_t prev_end = 0;
    for (int64_t begin = 0; begin < n; begin += stride) {
      const int64_t end = std::min(n, begin + std::min(window, n - begin));
      const int64_t first = std::max(prev_end, begin + 1);
      if (first < end) windows.push_back({t, begin, end, first});
      prev_end = end;
      if (end == n) break;
    }
  }

  if (options.max_positions_run > 0) {
    int64_t positions = 0;
    for (const Window& win : windows) positions += win.end - win.begin;
    if (positions > options.max_positions_run)
      usage_error("scoring these texts runs " + std::to_string(positions) +
                  " token positions through the model (overlapping windows, stride " + std::to_string(stride) +
                  "), more than the limit of " + std::to_string(options.max_positions_run) +
                  ": give a longer stride or shorter texts");
  }

  // Windows go through the model in batches whose logits stay under the memory bound.
  size_t w = 0;
  while (w < windows.size()) {
    std::vector<std::unique_ptr<DecoderState>> states;
    std::vector<DecodeChunk> chunks;
    const size_t first_window = w;
    int64_t rows = 0;
    while (w < windows.size()) {
      const Window& win = windows[w];
      const int64_t n_rows = win.end - win.first;
      if (!chunks.empty() && (rows + n_rows) * V > kMaxLogitFloats) break;
      states.push_back(model.new_state());
      DecodeChunk ch{states.back().get(), std::span<const int32_t>(ids[win.text]).subspan(win.begin, win.end - win.begin), {}};
      for (int64_t t = win.first; t < win.end; ++t) ch.logits_for.push_back(t - 1 - win.begin);
      chunks.push_back(std::move(ch));
      rows += n_rows;
      ++w;
    }
    const std::vector<float> logits = model.forward(chunks);
    int64_t row = 0;
    for (size_t k = first_window; k < w; ++k) {
      const Window& win = windows[k];
      for (int64_t t = win.first; t < win.end; ++t, ++row) {
        const Distribution d(std::span<const float>(logits).subspan(row * V, V));
        ScoredToken& scored = results[win.text].tokens[t];
        scored.logprob = d.logprob(ids[win.text][t]);
        if (options.top_k > 0) scored.alternatives = top_tokens(d, tokenizer, options.top_k);
      }
    }
  }
  for (auto& r : results) {
    for (const auto& t : r.tokens)
      if (t.logprob) {
        r.total_logprob += *t.logprob;
        ++r.scored_tokens;
      }
    r.perplexity = r.scored_tokens > 0 ? std::exp(-r.total_logprob / static_cast<double>(r.scored_tokens))
                                       : std::numeric_limits<double>::quiet_NaN();
  }
  return results;
}

}  // namespace tokprob
