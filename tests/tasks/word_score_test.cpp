// Word probabilities (score --words) on gpt2-tiny and tinystories-656k, each value checked against
// a brute-force computation from the full distributions of the text, and the corrected
// probabilities of the one-word continuations of a context shown to stay a distribution.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "fixtures.hpp"
#include "generate/distribution.hpp"
#include "models/registry.hpp"
#include "tasks/score.hpp"
#include "tasks/word_spans.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

using testing::fixtures_dir;

struct Loaded {
  std::unique_ptr<CausalLM> model;
  Tokenizer tokenizer;
};

size_t tok_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

Loaded load(const char* name) {
  const auto dir = fixtures_dir() / name;
  return {load_causal_lm(dir, read_model_config(dir)), Tokenizer::from_folder(dir)};
}

// Every row of log-softmax of the model over `ids` (row t: the distribution after ids[0..t]).
std::vector<std::vector<double>> log_softmax_rows(const CausalLM& model, const std::vector<int32_t>& ids) {
  const int64_t V = model.info().vocab_size;
  auto state = model.new_state();
  DecodeChunk ch{state.get(), std::span(ids), {}};
  for (int64_t t = 0; t < static_cast<int64_t>(ids.size()); ++t) ch.logits_for.push_back(t);
  const auto logits = model.forward(std::span(&ch, 1));
  std::vector<std::vector<double>> rows;
  for (size_t t = 0; t < ids.size(); ++t) {
    const float* row = logits.data() + t * V;
    double max = row[0];
    for (int64_t v = 1; v < V; ++v) max = std::max(max, double(row[v]));
    double sum = 0;
    for (int64_t v = 0; v < V; ++v) sum += std::exp(double(row[v]) - max);
    std::vector<double> lp(V);
    for (int64_t v = 0; v < V; ++v) lp[v] = double(row[v]) - max - std::log(sum);
    rows.push_back(std::move(lp));
  }
  return rows;
}

// The test's own reading of word boundaries: a token begins a word where it reads as starting
// with a White_Space character, or is EOS; it ends one where it reads as ending with one.
struct Sets {
  std::vector<uint8_t> begins, ends;
};

bool ascii_space(char c) { return std::string(" \t\n\r\v\f").find(c) != std::string::npos; }

// Unicode's White_Space property, listed here.
bool white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
         c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

// The code point a UTF-8 string starts with (at `from`), or ends with; 0xfffd when malformed.
char32_t code_point_at(const std::string& s, size_t from) {
  const auto b = static_cast<unsigned char>(s[from]);
  const int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (len == 0 || from + len > s.size()) return 0xfffd;
  char32_t c = len == 1 ? b : b & (0x7f >> len);
  for (int i = 1; i < len; ++i) {
    const auto x = static_cast<unsigned char>(s[from + i]);
    if ((x & 0xc0) != 0x80) return 0xfffd;
    c = (c << 6) | (x & 0x3f);
  }
  return c;
}
char32_t last_code_point(const std::string& s) {
  size_t from = s.size() - 1;
  while (from > 0 && (static_cast<unsigned char>(s[from]) & 0xc0) == 0x80 && s.size() - from < 4) --from;
  return code_point_at(s, from);
}

Sets boundary_sets(const Tokenizer& tok) {
  Sets s{std::vector<uint8_t>(tok.vocab_size(), 0), std::vector<uint8_t>(tok.vocab_size(), 0)};
  for (size_t id = 0; id < s.begins.size(); ++id) {
    if (tok.is_special(static_cast<int32_t>(id))) continue;
    const std::string text = tok.token_text(static_cast<int32_t>(id));
    s.begins[id] = !text.empty() && white_space(code_point_at(text, 0));
    s.ends[id] = !text.empty() && white_space(last_code_point(text));
  }
  s.begins[*tok.special_tokens().eos] = 1;
  return s;
}

double log_begins_word(const std::vector<double>& row, const std::vector<uint8_t>& set) {
  double p = 0;
  for (size_t v = 0; v < set.size() && v < row.size(); ++v)
    if (set[v]) p += std::exp(row[v]);
  return std::log(p);
}

// The paper's formula from full distributions, for the word of tokens [first, end) of `ids`
// (rows[t]: log-softmax after ids[0..t]).
struct BruteWord {
  double naive, corrected;
};
BruteWord brute_force_word(const std::vector<std::vector<double>>& rows, const std::vector<int32_t>& ids,
                           const Sets& sets, size_t first, size_t end) {
  BruteWord w{0, 0};
  for (size_t t = first; t < end; ++t) w.naive += rows[t - 1][ids[t]];
  w.corrected = w.naive;
  if (!sets.ends[ids[end - 1]] && (end == ids.size() || sets.begins[ids[end]]))
    w.corrected += log_begins_word(rows[end - 1], sets.begins);
  if (sets.begins[ids[first]] && !sets.ends[ids[first - 1]]) w.corrected -= log_begins_word(rows[first - 1], sets.begins);
  return w;
}

// After `context` (which ends where a word starts), the most likely word and that word followed
// by the pieces most likely to extend it (tokens that neither begin a word nor hold whitespace),
// and a few other words: the naive probabilities count each extension again inside its shorter
// word, the corrected ones do not.
void check_one_word_continuations(const char* name, const std::string& context, bool naive_exceeds_one) {
  const Loaded m = load(name);
  const Sets sets = boundary_sets(m.tokenizer);
  const int32_t start = m.tokenizer.special_tokens().bos ? *m.tokenizer.special_tokens().bos
                                                          : *m.tokenizer.special_tokens().eos;
  const auto with_start = [&](std::vector<int32_t> ids) {
    if (ids.front() != start) ids.insert(ids.begin(), start);
    return ids;
  };
  const auto most_likely_after = [&](const std::vector<int32_t>& ids, auto&& allowed) {
    const auto row = log_softmax_rows(*m.model, ids).back();
    int32_t best = -1;
    for (size_t v = 0; v < sets.begins.size(); ++v)
      if (!m.tokenizer.is_special(int32_t(v)) && allowed(int32_t(v)) && (best < 0 || row[v] > row[best]))
        best = int32_t(v);
    return best;
  };
  auto ctx_ids = with_start(m.tokenizer.encode(context).ids);
  const int32_t best = most_likely_after(ctx_ids, [&](int32_t v) {
    const std::string t = m.tokenizer.token_text(v);
    return t.size() > 1 && !ascii_space(t.back()) && (context.back() == ' ' || ascii_space(t.front()));
  });
  std::string first = m.tokenizer.token_text(best);
  if (ascii_space(first.front())) first = first.substr(1);
  // Texts appended to the context; a piece may end with whitespace (TinyStories' "ing▁"), which
  // the word itself leaves out.
  std::vector<std::string> words = {first};
  ctx_ids.push_back(best);
  std::vector<int32_t> taken;
  while (words.size() < 7) {
    const int32_t piece = most_likely_after(ctx_ids, [&](int32_t v) {
      std::string t = m.tokenizer.token_text(v);
      while (!t.empty() && ascii_space(t.back())) t.pop_back();
      return !t.empty() && std::none_of(t.begin(), t.end(), ascii_space) &&
             std::find(taken.begin(), taken.end(), v) == taken.end();
    });
    taken.push_back(piece);
    words.push_back(first + m.tokenizer.token_text(piece));
  }
  for (const char* other : {"dog", "tree"}) words.push_back(other);

  const std::string sep = context.back() == ' ' ? "" : " ";
  const size_t word_begin = tok_length(context + sep);
  std::vector<int32_t> shared_context;
  double corrected_sum = 0, naive_sum = 0;
  for (const auto& word : words) {
    const std::string text = context + sep + word;
    ScoreOptions o;
    o.words = true;
    o.word_split = ScoreOptions::WordSplit::whitespace;
    o.score_first_token = true;
    const auto r = score_texts(*m.model, m.tokenizer, std::vector<std::string>{text}, o)[0];
    ASSERT_TRUE(r.words.has_value());
    ASSERT_FALSE(r.words->empty());
    const ScoredWord& last = r.words->back();
    EXPECT_EQ(last.text, word.substr(0, word.find_last_not_of(" \n") + 1));
    // The word's tokens, from the tokenizer's offsets: those that end inside the word.
    const Encoding e = m.tokenizer.encode(text);
    auto ids = e.ids;
    size_t first_token = 0;
    while (first_token < ids.size() && e.offsets[first_token].second <= word_begin) ++first_token;
    if (ids.front() != start) {
      ids.insert(ids.begin(), start);
      ++first_token;
    }
    const std::vector<int32_t> before(ids.begin(), ids.begin() + first_token);
    if (shared_context.empty()) shared_context = before;
    ASSERT_EQ(before, shared_context) << "the words must follow the same context tokens: " << word;
    const BruteWord brute = brute_force_word(log_softmax_rows(*m.model, ids), ids, sets, first_token, ids.size());
    ASSERT_TRUE(last.logprob && last.naive_logprob) << word;
    EXPECT_NEAR(*last.naive_logprob, brute.naive, 1e-4) << name << ": " << word;
    EXPECT_NEAR(*last.logprob, brute.corrected, 1e-4) << name << ": " << word;
    corrected_sum += std::exp(brute.corrected);
    naive_sum += std::exp(brute.naive);
  }
  EXPECT_LE(corrected_sum, 1.0) << name;
  if (naive_exceeds_one) {
    EXPECT_GT(naive_sum, 1.0) << name;
  }
}

TEST(WordScore, Gpt2TinyCorrectedContinuationsStayADistribution) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  // Random weights spread the next word thin: no word is likely enough for its naive sum to pass 1.
  check_one_word_continuations("gpt2-tiny", "The quick brown fox jumps over the", false);
}

TEST(WordScore, TinyStoriesCorrectedContinuationsStayADistribution) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  check_one_word_continuations("tinystories-656k", "The sun was ", true);
}

// Every word of a text against the brute force; the words' logprobs add up to the text's.
void check_every_word(const char* name, const std::string& text) {
  const Loaded m = load(name);
  const Sets sets = boundary_sets(m.tokenizer);
  ScoreOptions o;
  o.words = true;
  o.score_first_token = true;
  const auto r = score_texts(*m.model, m.tokenizer, std::vector<std::string>{text}, o)[0];
  ASSERT_TRUE(r.words.has_value());
  std::vector<int32_t> ids;
  for (const auto& t : r.tokens) ids.push_back(t.id);
  const auto rows = log_softmax_rows(*m.model, ids);
  double corrected_total = 0;
  size_t expect_first = 1;  // after the start token
  for (const auto& w : *r.words) {
    EXPECT_EQ(w.first_token, expect_first) << w.text;
    expect_first = w.end_token;
    const BruteWord brute = brute_force_word(rows, ids, sets, w.first_token, w.end_token);
    ASSERT_TRUE(w.logprob && w.naive_logprob);
    EXPECT_NEAR(*w.naive_logprob, brute.naive, 1e-4) << name << ": " << w.text;
    EXPECT_NEAR(*w.logprob, brute.corrected, 1e-4) << name << ": " << w.text;
    corrected_total += *w.logprob;
  }
  EXPECT_EQ(expect_first, ids.size());
  // The corrections telescope: what is left is the text's end, and its start where it is marked.
  double expected_total = r.total_logprob;
  if (!sets.ends[ids.back()]) expected_total += log_begins_word(rows.back(), sets.begins);
  if (sets.begins[ids[1]]) expected_total -= log_begins_word(rows[0], sets.begins);
  EXPECT_NEAR(corrected_total, expected_total, 1e-4);
}

TEST(WordScore, Gpt2TinyEveryWordMatchesBruteForce) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  check_every_word("gpt2-tiny", "Hello, world! The cat's  toy\nwas unbelievably small.");
}

TEST(WordScore, TinyStoriesEveryWordMatchesBruteForce) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  check_every_word("tinystories-656k", "Once upon a time, there was a little girl named Lily. She loved to play.");
}

TEST(WordScore, FirstWordWithoutStartTokenIsNotScored) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const Loaded m = load("gpt2-tiny");
  ScoreOptions o;
  o.words = true;
  const auto r = score_texts(*m.model, m.tokenizer, std::vector<std::string>{"Hello world"}, o)[0];
  ASSERT_EQ(r.words->size(), 2u);
  EXPECT_FALSE((*r.words)[0].logprob.has_value());
  EXPECT_TRUE((*r.words)[1].logprob.has_value());
}

TEST(WordScore, VocabularyMarkers) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto gpt2_tok = Tokenizer::from_folder(fixtures_dir() / "gpt2-tiny");
  const auto gpt2 = find_word_boundaries(gpt2_tok);
  EXPECT_EQ(gpt2.marker, WordBoundaries::Marker::word_start);
  EXPECT_EQ(gpt2.symbol, "\xc4\xa0");  // Ġ
  EXPECT_TRUE(gpt2.begins_word[*gpt2_tok.token_to_id("\xc4\xa0the")]);
  EXPECT_FALSE(gpt2.begins_word[*gpt2_tok.token_to_id("the")]);
  EXPECT_TRUE(gpt2.begins_word[*gpt2_tok.special_tokens().eos]);
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  const auto ts_tok = Tokenizer::from_folder(fixtures_dir() / "tinystories-656k");
  const auto ts = find_word_boundaries(ts_tok);
  // TinyStories' BPE puts the "▁" of "a b" at the end of "▁a▁", and has "▁S" and "Lily▁" both.
  EXPECT_EQ(ts.marker, WordBoundaries::Marker::word_end);
  EXPECT_EQ(ts.symbol, "\xe2\x96\x81");  // ▁
  const auto lily = ts_tok.token_to_id("Lily\xe2\x96\x81");
  const auto space = ts_tok.token_to_id("\xe2\x96\x81");
  ASSERT_TRUE(lily && space);
  EXPECT_TRUE(ts.ends_word[*lily]);
  EXPECT_FALSE(ts.begins_word[*lily]);
  EXPECT_TRUE(ts.begins_word[*space]);
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  EXPECT_EQ(find_word_boundaries(Tokenizer::from_folder(fixtures_dir() / "bert-tiny-mlm")).marker,
            WordBoundaries::Marker::none);
}

TEST(WordSpans, SplitsAtWhitespaceAndPunctuation) {
  const std::u32string text = U"Hello, world!! It's  fine.";
  const std::vector<CodePointSpan> punct = {{0, 5}, {5, 6}, {7, 12}, {12, 14}, {15, 17}, {17, 18}, {18, 19}, {21, 25}, {25, 26}};
  EXPECT_EQ(split_words(text, ScoreOptions::WordSplit::punctuation), punct);
  const std::vector<CodePointSpan> space = {{0, 6}, {7, 14}, {15, 19}, {21, 26}};
  EXPECT_EQ(split_words(text, ScoreOptions::WordSplit::whitespace), space);
}

TEST(WordSpans, TokensAcrossWordsJoinThemAndWhitespaceTokensBeginTheNextWord) {
  // "a b  c": tokens "a", " b", " ", " c" (GPT-2 style) and a special token first.
  const std::u32string text = U"a b  c";
  const std::vector<CodePointSpan> words = {{0, 1}, {2, 3}, {5, 6}};
  const std::vector<CodePointSpan> offsets = {{0, 0}, {0, 1}, {1, 3}, {3, 4}, {4, 6}};
  const std::vector<uint8_t> special = {1, 0, 0, 0, 0};
  const auto w = match_word_tokens(words, offsets, special, text);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].first_token, 1u);
  EXPECT_EQ(w[1].first_token, 2u);
  EXPECT_EQ(w[2].first_token, 3u);
  EXPECT_EQ(w[2].end_token, 5u);
  // One token over "a b": one word.
  const auto joined = match_word_tokens(words, {{0, 3}, {3, 6}}, {0, 0}, text);
  ASSERT_EQ(joined.size(), 2u);
  EXPECT_EQ(joined[0].span, (CodePointSpan{0, 3}));
  EXPECT_EQ(joined[1].span, (CodePointSpan{5, 6}));
}

TEST(WordSpans, UserSpansAreChecked) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const Loaded m = load("gpt2-tiny");
  ScoreOptions o;
  o.words = true;
  o.word_spans = {{{0, 5}, {4, 11}}};
  EXPECT_THROW(score_texts(*m.model, m.tokenizer, std::vector<std::string>{"Hello world"}, o), OptionError);
  o.word_spans = {{{0, 5}, {6, 12}}};
  EXPECT_THROW(score_texts(*m.model, m.tokenizer, std::vector<std::string>{"Hello world"}, o), OptionError);
  o.word_spans = {{{0, 11}}};
  const auto r = score_texts(*m.model, m.tokenizer, std::vector<std::string>{"Hello world"}, o)[0];
  ASSERT_EQ(r.words->size(), 1u);
  EXPECT_EQ((*r.words)[0].text, "Hello world");
}

}  // namespace
}  // namespace tokprob
