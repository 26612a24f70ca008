// The generate task from text: tinystories-656k's greedy story and gpt2-tiny's beams
// (golden.json prompts[].greedy.new_ids, prompts[].beam4.sequences), streaming, stop strings,
// seeds and the sampling rule.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "fixtures.hpp"
#include "models/registry.hpp"
#include "tasks/generate.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

using testing::fixtures_dir;
using testing::load_json;

struct Loaded {
  std::unique_ptr<CausalLM> model;
  Tokenizer tokenizer;
  nlohmann::json golden;
};

Loaded load(const char* name) {
  const auto dir = fixtures_dir() / name;
  return {load_causal_lm(dir, read_model_config(dir)), Tokenizer::from_folder(dir), load_json(dir / "golden.json")};
}

TEST(GenerateTask, TinyStoriesGreedyStoryMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  auto f = load("tinystories-656k");
  for (const auto& p : f.golden["prompts"]) {
    GenerateOptions o;
    o.max_new_tokens = p["greedy"]["max_new_tokens"].get<int64_t>();
    o.logprobs = 2;
    const auto r = generate_text(*f.model, f.tokenizer, p["text"], o);
    EXPECT_EQ(r.mode, "greedy");
    EXPECT_FALSE(r.seed.has_value());
    EXPECT_EQ(r.input_ids, p["input_ids"].get<std::vector<int32_t>>());
    ASSERT_EQ(r.sequences.size(), 1u);
    const auto& s = r.sequences[0];
    EXPECT_EQ(s.new_ids, p["greedy"]["new_ids"].get<std::vector<int32_t>>()) << p["text"];
    EXPECT_EQ(s.ids.size(), r.input_ids.size() + s.new_ids.size());
    EXPECT_EQ(s.finish_reason, "length");
    EXPECT_EQ(s.text, f.tokenizer.decode(s.ids, true).substr(f.tokenizer.decode(r.input_ids, true).size()));
    ASSERT_EQ(s.steps.size(), s.new_ids.size());
    EXPECT_EQ(s.steps[0].top.size(), 2u);
    EXPECT_EQ(s.steps[0].token, f.tokenizer.id_to_token(s.new_ids[0]));
    std::cout << p["text"].get<std::string>() << s.text << "\n";
  }
}

TEST(GenerateTask, StreamedDeltasMakeTheTextAndStopStringsStop) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  auto f = load("tinystories-656k");
  const std::string prompt = f.golden["prompts"][0]["text"];
  GenerateOptions o;
  o.max_new_tokens = 30;
  std::string streamed;
  size_t calls = 0;
  const auto r = generate_text(*f.model, f.tokenizer, prompt, o, [&](size_t seq, const GeneratedToken&, std::string_view d) {
    EXPECT_EQ(seq, 0u);
    streamed += d;
    ++calls;
  });
  EXPECT_EQ(streamed, r.sequences[0].text);
  EXPECT_EQ(calls, r.sequences[0].new_ids.size());

  // Stop at the first "." of the greedy story: generation ends with the token that brings it, and
  // the text ends before the stop string (OpenAI's rule), streamed or not.
  const std::string full = r.sequences[0].text;
  ASSERT_NE(full.find('.'), std::string::npos);
  o.stop = {"."};
  std::string streamed_to_stop;
  const auto stopped = generate_text(*f.model, f.tokenizer, prompt, o,
                                     [&](size_t, const GeneratedToken&, std::string_view d) { streamed_to_stop += d; });
  const auto& s = stopped.sequences[0];
  EXPECT_EQ(s.finish_reason, "stop");
  ASSERT_FALSE(s.new_ids.empty());
  EXPECT_TRUE(std::equal(s.new_ids.begin(), s.new_ids.end(), r.sequences[0].new_ids.begin()));
  EXPECT_EQ(s.text, full.substr(0, full.find('.')));
  EXPECT_EQ(streamed_to_stop, s.text);
  const auto before = std::vector<int32_t>(s.ids.begin(), s.ids.end() - 1);
  EXPECT_EQ(f.tokenizer.decode(before, true).find('.', prompt.size()), std::string::npos);
  EXPECT_NE(f.tokenizer.decode(s.ids, true).find('.', prompt.size()), std::string::npos);
}

// A stream holds back an ending that may become a stop string, and shows it when it does not.
TEST(GenerateTask, StreamHoldsBackTheStartOfAStopString) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  auto f = load("tinystories-656k");
  const std::string prompt = f.golden["prompts"][0]["text"];
  GenerateOptions o;
  o.max_new_tokens = 29;
  const std::string first29 = generate_text(*f.model, f.tokenizer, prompt, o).sequences[0].text;
  o.max_new_tokens = 30;
  const std::string full = generate_text(*f.model, f.tokenizer, prompt, o).sequences[0].text;
  ASSERT_FALSE(first29.empty());
  ASSERT_LT(static_cast<unsigned char>(first29.back()), 0x80);  // one byte, one character
  // A stop string that starts with the last character after 29 tokens but never occurs.
  o.stop = {first29.substr(first29.size() - 1) + "\x01"};
  std::vector<std::string> deltas;
  const auto r = generate_text(*f.model, f.tokenizer, prompt, o,
                               [&](size_t, const GeneratedToken&, std::string_view d) { deltas.emplace_back(d); });
  EXPECT_EQ(r.sequences[0].finish_reason, "length");
  EXPECT_EQ(r.sequences[0].text, full);
  ASSERT_EQ(deltas.size(), 30u);
  std::string streamed;
  for (size_t i = 0; i < 29; ++i) streamed += deltas[i];
  EXPECT_EQ(streamed, first29.substr(0, first29.size() - 1));
  EXPECT_EQ(streamed + deltas[29], full);
}

TEST(GenerateTask, Gpt2TinyBeamsFromTextMatchGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  auto f = load("gpt2-tiny");
  const auto& p = f.golden["prompts"][0];
  GenerateOptions o;
  o.num_beams = 4;
  o.num_return_sequences = 4;
  o.max_new_tokens = 10;
  const auto r = generate_text(*f.model, f.tokenizer, p["text"], o);
  EXPECT_EQ(r.mode, "beam");
  ASSERT_EQ(r.sequences.size(), 4u);
  for (size_t s = 0; s < 4; ++s) {
    EXPECT_EQ(r.sequences[s].ids, p["beam4"]["sequences"][s].get<std::vector<int32_t>>());
    EXPECT_NEAR(r.sequences[s].score, p["beam4"]["sequences_scores"][s].get<double>(), 1e-4);
    EXPECT_EQ(r.sequences[s].text, p["beam4"]["texts"][s].get<std::string>());
  }
}

TEST(GenerateTask, SameSeedSameOutput) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  auto f = load("tinystories-656k");
  GenerateOptions o;
  o.seed = 123;
  o.max_new_tokens = 25;
  o.num_return_sequences = 2;
  const auto a = generate_text(*f.model, f.tokenizer, "Once upon a time", o);
  const auto b = generate_text(*f.model, f.tokenizer, "Once upon a time", o);
  EXPECT_EQ(a.mode, "sample");
  EXPECT_EQ(a.seed, std::optional<uint64_t>(123));
  for (size_t s = 0; s < 2; ++s) EXPECT_EQ(a.sequences[s].new_ids, b.sequences[s].new_ids);
  // Without a seed a random one is drawn and reported; reusing it repeats the run.
  GenerateOptions unseeded;
  unseeded.temperature = 0.9;
  unseeded.max_new_tokens = 10;
  const auto c = generate_text(*f.model, f.tokenizer, "Once upon a time", unseeded);
  ASSERT_TRUE(c.seed.has_value());
  unseeded.seed = c.seed;
  EXPECT_EQ(generate_text(*f.model, f.tokenizer, "Once upon a time", unseeded).sequences[0].new_ids,
            c.sequences[0].new_ids);
}

TEST(GenerateTask, SamplingRule) {
  GenerateOptions o;
  EXPECT_FALSE(samples(o));
  o.temperature = 0.7;
  EXPECT_TRUE(samples(o));
  o.temperature = 0.0;  // greedy
  EXPECT_FALSE(samples(o));
  o = {};
  o.top_k = 5;
  EXPECT_TRUE(samples(o));
  o = {};
  o.top_p = 0.9;
  EXPECT_TRUE(samples(o));
  o = {};
  o.min_p = 0.1;
  EXPECT_TRUE(samples(o));
  o = {};
  o.seed = 1;
  EXPECT_TRUE(samples(o));
  o.do_sample = false;
  EXPECT_FALSE(samples(o));
  o = {};
  o.repetition_penalty = 1.2;  // a processor, not a sampling setting
  EXPECT_FALSE(samples(o));
}

TEST(GenerateTask, RejectsBadOptions) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  auto f = load("gpt2-tiny");
  GenerateOptions o;
  o.temperature = -1;
  EXPECT_THROW(generate_text(*f.model, f.tokenizer, "Hi", o), Error);
  o = {};
  o.num_beams = 2;
  o.stop = {"x"};
  EXPECT_THROW(generate_text(*f.model, f.tokenizer, "Hi", o), Error);
  o = {};
  o.top_p = 1.5;
  EXPECT_THROW(generate_text(*f.model, f.tokenizer, "Hi", o), Error);
  EXPECT_THROW(generate_text(*f.model, f.tokenizer, "", GenerateOptions{}), Error);
}

}  // namespace
}  // namespace tokprob
