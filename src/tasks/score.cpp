#include "tasks/score.hpp"
#include "tasks/token_score.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "generate/distribution.hpp"
#include "tasks/word_scores.hpp"
#include "tasks/word_spans.hpp"
#include "tokenizer/unicode_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

struct Window {
  size_t text;
  int64_t begin, end;  // token range fed to the model
  int64_t first;       // first token scored in it (its logits come from row first - begin - 1)
  bool after_text;     // also the row after the text's last token (for the last word's end)
};

// Rows of logits one forward call may return: bounds memory on long texts with large vocabularies.
constexpr int64_t kMaxLogitFloats = 64ll << 20;

}  // namespace

const char* word_split_name(ScoreOptions::WordSplit split) {
  return split == ScoreOptions::WordSplit::whitespace ? "whitespace" : "punctuation";
}

ScoreOptions::WordSplit parse_word_split(const std::string& name) {
  if (name == "punctuation") return ScoreOptions::WordSplit::punctuation;
  if (name == "whitespace") return ScoreOptions::WordSplit::whitespace;
  option_error("word_split", "must be punctuation or whitespace, got \"" + name + "\"");
}

const char* word_marker_name(WordBoundaries::Marker marker) {
  switch (marker) {
    case WordBoundaries::Marker::word_start: return "word_start";
    case WordBoundaries::Marker::word_end: return "word_end";
    case WordBoundaries::Marker::none: break;
  }
  return "none";
}

void validate(const ScoreOptions& options) {
  if (options.window < 0 || options.window == 1)
    option_error("window", "must be 0 (the model's context) or at least 2 tokens, got " + std::to_string(options.window));
  if (options.stride < 0 || (options.window > 0 && options.stride > options.window))
    option_error("stride", "must be 0 (half the window) or between 1 and the window, got " +
                               std::to_string(options.stride));
  if (options.max_positions_run < 0)
    option_error("max_positions_run", "must be 0 (no limit) or more, got " + std::to_string(options.max_positions_run));
  if (options.top_k < 0) option_error("top_k", "must be 0 or more, got " + std::to_string(options.top_k));
  if (!options.word_spans.empty() && !options.words)
    option_error("word_spans", "needs words (word probabilities) on");
}

namespace {

// What word probabilities need of each text beside its ids.
struct WordInputs {
  const WordBoundaries* boundaries;
  std::vector<Encoding> encodings;
  std::vector<std::u32string> code_points;
};

// Scores `ids` (already checked against the vocabulary); `word_inputs`, when given, adds each text's words.
std::vector<ScoreResult> score_rows(const CausalLM& model, const Tokenizer& tokenizer,
                                    std::span<const std::vector<int32_t>> ids, const ScoreOptions& options,
                                    const WordInputs* word_inputs) {
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
  const WordBoundaries* boundaries = word_inputs ? word_inputs->boundaries : nullptr;
  const bool word_starts = boundaries != nullptr;  // rows for log P(a word begins)

  std::vector<ScoreResult> results;
  std::vector<Window> windows;
  for (size_t t = 0; t < ids.size(); ++t) {
    const auto n = static_cast<int64_t>(ids[t].size());
    ScoreResult r;
    for (int32_t id : ids[t]) {
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
      if (first < end) windows.push_back({t, begin, end, first, word_starts && end == n});
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

  // log P(token t begins a word | tokens before t), t = 0..n, for word probabilities.
  std::vector<std::vector<std::optional<double>>> log_word_start(ids.size());
  if (word_starts)
    for (size_t t = 0; t < ids.size(); ++t) log_word_start[t].resize(ids[t].size() + 1);

  // Windows go through the model in batches whose logits stay under the memory bound.
  size_t w = 0;
  while (w < windows.size()) {
    std::vector<std::unique_ptr<DecoderState>> states;
    std::vector<DecodeChunk> chunks;
    const size_t first_window = w;
    int64_t rows = 0;
    while (w < windows.size()) {
      const Window& win = windows[w];
      const int64_t n_rows = win.end - win.first + (win.after_text ? 1 : 0);
      if (!chunks.empty() && (rows + n_rows) * V > kMaxLogitFloats) break;
      states.push_back(model.new_state());
      DecodeChunk ch{states.back().get(), std::span<const int32_t>(ids[win.text]).subspan(win.begin, win.end - win.begin), {}};
      for (int64_t t = win.first; t < win.end; ++t) ch.logits_for.push_back(t - 1 - win.begin);
      if (win.after_text) ch.logits_for.push_back(win.end - 1 - win.begin);
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
        if (options.token_stats) {
          scored.entropy = d.entropy();
          scored.rank = d.rank(ids[win.text][t]);
        }
        if (word_starts) log_word_start[win.text][t] = log_mass(d, boundaries->word_start_ids);
      }
      if (win.after_text) {
        const Distribution d(std::span<const float>(logits).subspan(row * V, V));
        log_word_start[win.text][win.end] = log_mass(d, boundaries->word_start_ids);
        ++row;
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
  if (boundaries)
    for (size_t t = 0; t < ids.size(); ++t) {
      const std::u32string& text = word_inputs->code_points[t];
      const std::vector<CodePointSpan> spans =
          options.word_spans.empty() ? split_words(text, options.word_split) : options.word_spans[t];
      const std::vector<WordTokens> words =
          match_word_tokens(spans, word_inputs->encodings[t].offsets, word_inputs->encodings[t].special_mask, text);
      results[t].word_marker = boundaries->marker;
      results[t].words = score_words(results[t].tokens, words, *boundaries, log_word_start[t], text);
    }
  return results;
}

}  // namespace

std::vector<ScoreResult> score_texts(const CausalLM& model, const Tokenizer& tokenizer,
                                     std::span<const std::string> texts, const ScoreOptions& options,
                                     const WordBoundaries* kept_boundaries) {
  validate(options);
  std::optional<int32_t> start_token;
  if (options.score_first_token) {
    const SpecialTokens& special = tokenizer.special_tokens();
    start_token = special.bos ? special.bos : special.eos;
    if (!start_token)
      usage_error("the tokenizer has neither a BOS nor an EOS token to condition the first token on");
  }
  if (!options.word_spans.empty() && options.word_spans.size() != texts.size())
    option_error("word_spans", "must give one list of spans per text: " + std::to_string(texts.size()) +
                                   " texts, " + std::to_string(options.word_spans.size()) + " lists");
  std::optional<WordBoundaries> read_here;
  if (options.words && !kept_boundaries) read_here = find_word_boundaries(tokenizer);
  WordInputs words{!options.words ? nullptr : kept_boundaries ? kept_boundaries : &*read_here, {}, {}};

  std::vector<std::vector<int32_t>> ids;
  for (size_t t = 0; t < texts.size(); ++t) {
    if (texts[t].empty()) usage_error("empty text: give the text to score");
    if (words.boundaries) {
      words.code_points.push_back(tok::decode_utf8(texts[t]));
      if (!options.word_spans.empty()) check_word_spans(options.word_spans[t], words.code_points.back().size());
    }
    Encoding e = tokenizer.encode(texts[t], options.add_special_tokens);
    ids.push_back(e.ids);
    if (start_token && (ids.back().empty() || ids.back().front() != *start_token)) {
      ids.back().insert(ids.back().begin(), *start_token);
      e.offsets.insert(e.offsets.begin(), {0, 0});
      e.special_mask.insert(e.special_mask.begin(), 1);
    }
    if (words.boundaries) words.encodings.push_back(std::move(e));
  }
  std::vector<ScoreResult> results = score_rows(model, tokenizer, ids, options, words.boundaries ? &words : nullptr);
  for (size_t t = 0; t < texts.size(); ++t) results[t].text = texts[t];
  return results;
}

std::vector<ScoreResult> score_ids(const CausalLM& model, const Tokenizer& tokenizer,
                                   std::span<const std::vector<int32_t>> ids, const ScoreOptions& options) {
  validate(options);
  if (options.words) option_error("words", "needs texts: words are found in a text, not in token ids");
  const int64_t V = model.info().vocab_size;
  for (const auto& text_ids : ids)
    for (int32_t id : text_ids)
      if (id < 0 || id >= V)
        usage_error("token id " + std::to_string(id) + " is outside the model's vocabulary of " + std::to_string(V));
  return score_rows(model, tokenizer, ids, options, nullptr);
}

}  // namespace tokprob
