// Every task's options are validated once, by validate(), with the options struct's own field
// names (issue 14, item 3): no front end's spelling ("--top-p", "-k") comes out of a task.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "tasks/fill_mask.hpp"
#include "tasks/generate.hpp"
#include "tasks/next.hpp"
#include "tasks/score.hpp"
#include "tasks/seq2seq.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

// "field: requirement" of the OptionError validate() throws, or "valid".
template <class Options>
std::string complaint(const Options& options) {
  try {
    validate(options);
  } catch (const OptionError& e) {
    EXPECT_EQ(e.what(), e.field() + " " + e.requirement());
    EXPECT_EQ(e.exit_code(), 2);
    return e.field() + ": " + e.requirement();
  }
  return "valid";
}

TEST(OptionsValidation, GenerateNamesEachField) {
  EXPECT_EQ(complaint(GenerateOptions{}), "valid");
  const auto with = [](auto change) {
    GenerateOptions o;
    change(o);
    return complaint(o);
  };
  EXPECT_EQ(with([](auto& o) { o.temperature = -1; }), "temperature: must be 0 (greedy) or more, got -1");
  EXPECT_EQ(with([](auto& o) { o.top_p = 0; }), "top_p: must be in (0, 1], got 0");
  EXPECT_EQ(with([](auto& o) { o.top_p = 1.5; }), "top_p: must be in (0, 1], got 1.5");
  EXPECT_EQ(with([](auto& o) { o.min_p = -0.25; }), "min_p: must be in [0, 1], got -0.25");
  EXPECT_EQ(with([](auto& o) { o.top_k = -3; }), "top_k: must be 0 (off) or more, got -3");
  EXPECT_EQ(with([](auto& o) { o.max_new_tokens = -1; }), "max_new_tokens: must be 0 or more, got -1");
  EXPECT_EQ(with([](auto& o) { o.repetition_penalty = 0; }), "repetition_penalty: must be more than 0, got 0");
  EXPECT_EQ(with([](auto& o) { o.num_beams = 0; }), "num_beams: must be at least 1, got 0");
  EXPECT_EQ(with([](auto& o) { o.num_return_sequences = 0; }), "num_return_sequences: must be at least 1, got 0");
  EXPECT_EQ(with([](auto& o) { o.logprobs = -1; }), "logprobs: must be 0 or more, got -1");
  EXPECT_EQ(with([](auto& o) { o.stop = {""}; }), "stop: must not be an empty text");
  EXPECT_EQ(with([](auto& o) {
              o.num_beams = 2;
              o.stop = {"."};
            }),
            "stop: works with greedy decoding and sampling, not beams");
  EXPECT_EQ(with([](auto& o) {
              o.num_beams = 2;
              o.num_return_sequences = 3;
            }),
            "num_return_sequences: must not exceed the beams (2), got 3");
  EXPECT_EQ(with([](auto& o) { o.num_return_sequences = 2; }),
            "num_return_sequences: must be 1 for greedy decoding (more need sampling or beams), got 2");
  EXPECT_EQ(with([](auto& o) {
              o.do_sample = true;
              o.num_beams = 2;
            }),
            "num_beams: must be 1 when sampling (beam sampling is not supported), got 2");
}

TEST(OptionsValidation, NextFillMaskSeq2SeqAndScoreNameTheirFields) {
  NextOptions next;
  EXPECT_EQ(complaint(next), "valid");
  next.top_k = 0;
  EXPECT_EQ(complaint(next), "top_k: must be at least 1, got 0");
  next.top_k = 1;
  next.targets = {" go", ""};
  EXPECT_EQ(complaint(next), "targets: must not hold an empty text");

  FillMaskOptions fill;
  EXPECT_EQ(complaint(fill), "valid");
  fill.top_k = -1;
  EXPECT_EQ(complaint(fill), "top_k: must be at least 1, got -1");
  fill.top_k = 1;
  fill.targets = {""};
  EXPECT_EQ(complaint(fill), "targets: must not hold an empty word");

  Seq2SeqOptions s2s;
  EXPECT_EQ(complaint(s2s), "valid");
  s2s.max_new_tokens = kMaxSeq2SeqNewTokens + 1;
  EXPECT_EQ(complaint(s2s), "max_new_tokens: must be in 1..1024, got 1025");
  s2s.max_new_tokens = 0;
  EXPECT_EQ(complaint(s2s), "max_new_tokens: must be in 1..1024, got 0");
  s2s.target = "forced";  // forced decoding generates nothing: the count does not apply
  EXPECT_EQ(complaint(s2s), "valid");
  Seq2SeqOptions gen;
  gen.num_beams = 0;
  EXPECT_EQ(complaint(gen), "num_beams: must be at least 1, got 0");
  gen.num_beams = 4;
  gen.min_new_tokens = -1;
  EXPECT_EQ(complaint(gen), "min_new_tokens: must be 0 or more, got -1");
  gen.min_new_tokens = 2;
  gen.no_repeat_ngram_size = -3;
  EXPECT_EQ(complaint(gen), "no_repeat_ngram_size: must be 0 (off) or more, got -3");
  gen.no_repeat_ngram_size = 3;
  gen.repetition_penalty = 0.0;
  EXPECT_EQ(complaint(gen), "repetition_penalty: must be positive, got 0");
  gen.repetition_penalty = 1.2;
  gen.length_penalty = std::numeric_limits<double>::infinity();
  EXPECT_EQ(complaint(gen), "length_penalty: must be a finite number, got inf");
  gen.length_penalty = -1.0;  // negative favours short beams, as the reference allows
  EXPECT_EQ(complaint(gen), "valid");

  ScoreOptions score;
  EXPECT_EQ(complaint(score), "valid");
  score.window = 1;
  EXPECT_EQ(complaint(score), "window: must be 0 (the model's context) or at least 2 tokens, got 1");
  score.window = 8;
  score.stride = 9;
  EXPECT_EQ(complaint(score), "stride: must be 0 (half the window) or between 1 and the window, got 9");
}

}  // namespace
}  // namespace tokprob
