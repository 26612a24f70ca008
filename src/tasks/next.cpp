#include "tasks/next.hpp"

#include <algorithm>
#include <cmath>

#include "format/counted.hpp"
#include "format/quoted_text.hpp"
#include "generate/distribution.hpp"
#include "tokenizer/unicode_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

std::vector<int32_t> encode_prompt(const Tokenizer& tok, const std::string& text, int64_t max_positions,
                                   bool add_special_tokens) {
  if (text.empty()) usage_error("empty text: give the text whose next token to predict");
  auto ids = tok.encode(text, add_special_tokens).ids;
  if (ids.empty()) fail("text " + quoted_excerpt(text) + " has no tokens");
  if (max_positions > 0 && static_cast<int64_t>(ids.size()) > max_positions)
    fail("text of " + std::to_string(ids.size()) + " tokens is longer than the model's " +
         std::to_string(max_positions) + " positions");
  return ids;
}

// The text that tokens 0..p of `text` cover: all of it at its last token, else up to the end of the
// furthest token (offsets count code points of the text as the tokenizer saw it, invalid UTF-8 replaced).
std::string context_text(const Tokenizer& tok, const std::string& text, size_t n_tokens, int64_t p,
                         bool add_special_tokens) {
  if (p + 1 == static_cast<int64_t>(n_tokens)) return text;
  const Encoding enc = tok.encode(text, add_special_tokens);
  size_t end = 0;
  for (int64_t i = 0; i <= p; ++i) end = std::max(end, enc.offsets[static_cast<size_t>(i)].second);
  const std::u32string chars = tok::decode_utf8(tok::sanitize_utf8(text));
  return tok::to_utf8(std::u32string_view(chars).substr(0, std::min(end, chars.size())));
}

// A target placed after the context tokens 0..p: the ids of context + target as one text, and how
// many of them are the context (the longest common prefix with the context's own tokens).
struct PlacedTarget {
  std::vector<int32_t> ids;
  int64_t context = 0;
};

PlacedTarget place_target(const Tokenizer& tok, std::span<const int32_t> context_ids, const std::string& context,
                          const std::string& target, int64_t vocab, int64_t max_positions, bool add_special_tokens) {
  const Encoding enc = tok.encode(context + target, add_special_tokens);
  PlacedTarget pt;
  pt.ids = enc.ids;
  // Tokens a post-processor appends (an EOS) are not part of what the target becomes.
  while (!pt.ids.empty() && enc.special_mask[pt.ids.size() - 1] != 0 && enc.offsets[pt.ids.size() - 1].second == 0)
    pt.ids.pop_back();
  const size_t common = static_cast<size_t>(
      std::mismatch(context_ids.begin(), context_ids.end(), pt.ids.begin(), pt.ids.end()).first - context_ids.begin());
  pt.context = static_cast<int64_t>(common);
  if (common == pt.ids.size()) usage_error("target \"" + target + "\" adds no tokens to the text");
  if (common == 0)
    fail("target \"" + target + "\" merges with the text's first token: no token is left to condition it on");
  for (size_t i = common; i < pt.ids.size(); ++i)
    if (pt.ids[i] >= vocab)
      fail("target \"" + target + "\" has token id " + std::to_string(pt.ids[i]) + " outside the model's vocabulary");
  // The model reads every token but the last piece.
  if (max_positions > 0 && static_cast<int64_t>(pt.ids.size()) - 1 > max_positions)
    fail("text plus target \"" + target + "\" is longer than the model's " + std::to_string(max_positions) +
         " positions");
  return pt;
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
  for (const auto& t : options.targets)
    if (t.empty()) usage_error("a target is empty: give the continuation to score");

  // One batch for every text's distributions.
  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::vector<int64_t>> positions;
  for (const auto& text : texts) {
    auto ids = encode_prompt(tokenizer, text, max_pos, options.add_special_tokens);
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

  // Every target as the tokens it becomes after each reported position's context, checked before
  // any model work.
  std::vector<std::vector<PlacedTarget>> placed;  // [distribution][target]
  for (size_t s = 0; s < prompts.size(); ++s)
    for (int64_t p : positions[s]) {
      std::vector<PlacedTarget> row;
      if (!options.targets.empty()) {
        const std::string context = context_text(tokenizer, texts[s], prompts[s].size(), p, options.add_special_tokens);
        const auto context_ids = std::span<const int32_t>(prompts[s]).first(static_cast<size_t>(p) + 1);
        for (const auto& t : options.targets) row.push_back(place_target(tokenizer, context_ids, context, t, V, max_pos, options.add_special_tokens));
      }
      placed.push_back(std::move(row));
    }

  std::vector<std::unique_ptr<DecoderState>> states;
  std::vector<DecodeChunk> chunks;
  for (size_t s = 0; s < prompts.size(); ++s) {
    states.push_back(model.new_state());
    // The model only needs tokens up to the last position asked for.
    const int64_t last = positions[s].back();
    chunks.push_back({states.back().get(), std::span<const int32_t>(prompts[s]).first(last + 1), positions[s]});
  }
  const std::vector<float> logits = model.forward(chunks);

  // Pieces whose distribution is not the reported position's (later pieces, or every piece when the
  // boundary moved) need the target's own sequence: a second batch.
  struct Extension {
    size_t result, target;
    const std::vector<int32_t>* ids;  // context and pieces; the model reads all but the last piece
    int64_t first_row;                // row of the first distribution wanted
  };
  std::vector<NextResult> results;
  std::vector<Extension> extensions;
  size_t row = 0;
  for (size_t s = 0; s < prompts.size(); ++s) {
    for (int64_t p : positions[s]) {
      const std::vector<PlacedTarget>& targets = placed[row];
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
      for (size_t t = 0; t < targets.size(); ++t) {
        const PlacedTarget& pt = targets[t];
        TargetScore ts;
        ts.target = options.targets[t];
        ts.context_tokens = pt.context;
        ts.boundary_moved = pt.context != p + 1;
        int64_t first_row = pt.context - 1;
        if (!ts.boundary_moved) {
          ts.pieces.push_back(score_token(dist, tokenizer, pt.ids[static_cast<size_t>(pt.context)]));
          ++first_row;
        }
        if (first_row + 1 < static_cast<int64_t>(pt.ids.size()))
          extensions.push_back({results.size(), t, &pt.ids, first_row});
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
      const int64_t n = static_cast<int64_t>(e.ids->size()) - 1;
      DecodeChunk ch{ext_states.back().get(), std::span<const int32_t>(*e.ids).first(static_cast<size_t>(n)), {}};
      for (int64_t i = e.first_row; i < n; ++i) ch.logits_for.push_back(i);
      ext_chunks.push_back(std::move(ch));
    }
    const std::vector<float> ext_logits = model.forward(ext_chunks);
    size_t r = 0;
    for (auto& e : extensions) {
      for (int64_t i = e.first_row; i + 1 < static_cast<int64_t>(e.ids->size()); ++i) {
        Distribution dist(std::span<const float>(ext_logits).subspan(r++ * V, V));
        results[e.result].targets[e.target].pieces.push_back(
            score_token(dist, tokenizer, (*e.ids)[static_cast<size_t>(i) + 1]));
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
