#include "tasks/next.hpp"

#include <algorithm>
#include <cmath>

#include "format/counted.hpp"
#include "format/quoted_text.hpp"
#include "generate/distribution.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

std::vector<int32_t> encode_prompt(const Tokenizer& tok, const std::string& text, int64_t max_positions) {
  if (text.empty()) usage_error("empty text: give the text whose next token to predict");
  auto ids = tok.encode(text, /*add_special_tokens=*/true).ids;
  if (ids.empty()) fail("text " + quoted_excerpt(text) + " has no tokens");
  if (max_positions > 0 && static_cast<int64_t>(ids.size()) > max_positions)
    fail("text of " + std::to_string(ids.size()) + " tokens is longer than the model's " +
         std::to_string(max_positions) + " positions");
  return ids;
}

}  // namespace

void validate(const NextOptions& options) {
  if (options.top_k < 1) option_error("top_k", "must be at least 1, got " + std::to_string(options.top_k));
  for (const auto& t : options.targets)
    if (t.empty()) option_error("targets", "must not hold an empty text");
}

std::vector<NextResult> next_token_distribution(const CausalLM& model, const Tokenizer& tokenizer,
                                                std::span<const std::string> texts, const NextOptions& options) {
  validate(options);
  const int64_t V = model.info().vocab_size;
  const int64_t max_pos = model.info().max_positions;

  std::vector<std::vector<int32_t>> target_ids;
  for (const auto& t : options.targets) {
    auto ids = tokenizer.encode(t, /*add_special_tokens=*/false).ids;
    if (ids.empty()) usage_error("target \"" + t + "\" has no tokens");
    for (int32_t id : ids)
      if (id >= V) fail("target \"" + t + "\" has token id " + std::to_string(id) + " outside the model's vocabulary");
    target_ids.push_back(std::move(ids));
  }

  // One batch for every text's distributions.
  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::vector<int64_t>> positions;
  for (const auto& text : texts) {
    auto ids = encode_prompt(tokenizer, text, max_pos);
    const auto n = static_cast<int64_t>(ids.size());
    std::vector<int64_t> pos;
    if (options.all_positions) {
      for (int64_t i = 0; i < n; ++i) pos.push_back(i);
    } else {
      const int64_t p = options.position < 0 ? n + options.position : options.position;
      if (p < 0 || p >= n)
        option_error("position", "must be inside the text " + quoted_excerpt(text) + " (" + counted(n, "token") + "), got " +
                                     std::to_string(options.position));
      pos.push_back(p);
    }
    prompts.push_back(std::move(ids));
    positions.push_back(std::move(pos));
  }
  int64_t distributions = 0;
  for (const auto& pos : positions) distributions += static_cast<int64_t>(pos.size());
  const int64_t listed = std::min(options.top_k, V);
  if (distributions > kMaxListedTokens / std::max<int64_t>(listed, 1))
    usage_error(std::to_string(distributions) + " distributions of " + std::to_string(listed) +
                " tokens each are more than the " + std::to_string(kMaxListedTokens) +
                " rows one request may list: ask for fewer positions or a smaller -k");
  std::vector<std::unique_ptr<DecoderState>> states;
  std::vector<DecodeChunk> chunks;
  for (size_t s = 0; s < prompts.size(); ++s) {
    states.push_back(model.new_state());
    // The model only needs tokens up to the last position asked for.
    const int64_t last = positions[s].back();
    chunks.push_back({states.back().get(), std::span<const int32_t>(prompts[s]).first(last + 1), positions[s]});
  }
  const std::vector<float> logits = model.forward(chunks);

  // Multi-token targets need the text extended by their leading pieces: a second batch.
  struct Extension {
    size_t result, target;
    std::vector<int32_t> ids;
    int64_t first_row;
  };
  std::vector<NextResult> results;
  std::vector<Extension> extensions;
  size_t row = 0;
  for (size_t s = 0; s < prompts.size(); ++s) {
    for (int64_t p : positions[s]) {
      Distribution dist(std::span<const float>(logits).subspan(row++ * V, V));
      NextResult r;
      r.text = texts[s];
      r.input_ids = prompts[s];
      r.position = p;
      r.context.id = prompts[s][p];
      r.context.token = tokenizer.id_to_token(r.context.id);
      r.context.text = tokenizer.token_text(r.context.id);
      r.logsumexp = dist.logsumexp();
      r.top = top_tokens(dist, tokenizer, options.top_k);
      for (size_t t = 0; t < target_ids.size(); ++t) {
        TargetScore ts;
        ts.target = options.targets[t];
        ts.pieces.push_back(score_token(dist, tokenizer, target_ids[t][0]));
        if (target_ids[t].size() > 1) {
          Extension e{results.size(), t, {prompts[s].begin(), prompts[s].begin() + p + 1}, p};
          e.ids.insert(e.ids.end(), target_ids[t].begin(), target_ids[t].end() - 1);
          if (max_pos > 0 && static_cast<int64_t>(e.ids.size()) > max_pos)
            fail("text plus target \"" + ts.target + "\" is longer than the model's " + std::to_string(max_pos) +
                 " positions");
          extensions.push_back(std::move(e));
        }
        r.targets.push_back(std::move(ts));
      }
      results.push_back(std::move(r));
    }
  }
  if (!extensions.empty()) {
    std::vector<std::unique_ptr<DecoderState>> ext_states;
    std::vector<DecodeChunk> ext_chunks;
    for (auto& e : extensions) {
      ext_states.push_back(model.new_state());
      DecodeChunk ch{ext_states.back().get(), e.ids, {}};
      for (int64_t i = e.first_row + 1; i < static_cast<int64_t>(e.ids.size()); ++i) ch.logits_for.push_back(i);
      ext_chunks.push_back(std::move(ch));
    }
    const std::vector<float> ext_logits = model.forward(ext_chunks);
    size_t r = 0;
    for (auto& e : extensions) {
      const auto& pieces = target_ids[e.target];
      for (size_t i = 1; i < pieces.size(); ++i) {
        Distribution dist(std::span<const float>(ext_logits).subspan(r++ * V, V));
        results[e.result].targets[e.target].pieces.push_back(score_token(dist, tokenizer, pieces[i]));
      }
    }
  }
  for (auto& r : results)
    for (auto& t : r.targets) {
      t.logprob = 0;
      for (auto& piece : t.pieces) t.logprob += piece.logprob;
      t.prob = std::exp(t.logprob);
    }
  return results;
}

}  // namespace tokprob
