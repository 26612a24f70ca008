// How one seq2seq generation's settings are resolved: options over the folder's defaults over the
// reference's, with transformers' length conventions (max_length and min_length count the decoder
// start token).
#include "tasks/seq2seq_generation.hpp"

#include <gtest/gtest.h>

#include "tokprob/error.hpp"

namespace tokprob {
namespace {

Seq2SeqInfo bart_info() {
  Seq2SeqInfo info;
  info.vocab_size = 50;
  info.max_positions = 1024;
  info.eos_token_id = 2;
  info.decoder_start_token_id = 2;
  info.forced_eos_token_id = 2;
  return info;
}

// bart-large-cnn's generation_config.json.
GenerationDefaults cnn_defaults() {
  GenerationDefaults d;
  d.file = "generation_config.json";
  d.from_generation_config = true;
  d.num_beams = 4;
  d.max_length = 142;
  d.min_length = 56;
  d.no_repeat_ngram_size = 3;
  d.length_penalty = 2.0;
  d.early_stopping = EarlyStopping::enough;
  d.forced_bos_token_id = 0;
  d.forced_eos_token_ids = std::vector<int32_t>{2};
  d.decoder_start_token_id = 2;
  d.eos_token_ids = std::vector<int32_t>{2};
  return d;
}

TEST(Seq2SeqGeneration, TheFilesDefaultsWithTheReferencesLengths) {
  const auto g = resolve_seq2seq_generation({}, cnn_defaults(), bart_info(), std::nullopt);
  const GenerationConfig& c = g.config;
  EXPECT_EQ(g.decoder_start_token_id, 2);
  EXPECT_EQ(c.num_beams, 4);
  EXPECT_EQ(c.max_new_tokens, 141);  // max_length 142 counts the decoder start token
  EXPECT_EQ(c.constraints.max_length, 142);
  EXPECT_EQ(c.constraints.min_length, 56);
  EXPECT_EQ(c.constraints.no_repeat_ngram_size, 3);
  EXPECT_EQ(c.length_penalty, 2.0);
  EXPECT_EQ(c.early_stopping, EarlyStopping::enough);
  EXPECT_EQ(c.constraints.forced_bos_token_id, 0);
  EXPECT_EQ(c.constraints.forced_eos_token_ids, std::vector<int32_t>{2});
  EXPECT_EQ(c.eos_token_ids, std::vector<int32_t>{2});
}

TEST(Seq2SeqGeneration, OptionsOverrideTheDefaults) {
  Seq2SeqOptions o;
  o.num_beams = 1;
  o.max_new_tokens = 10;
  o.min_new_tokens = 3;
  o.no_repeat_ngram_size = 0;
  o.length_penalty = 1.0;
  o.early_stopping = EarlyStopping::never;
  o.repetition_penalty = 1.5;
  const auto c = resolve_seq2seq_generation(o, cnn_defaults(), bart_info(), std::nullopt).config;
  EXPECT_EQ(c.num_beams, 1);
  EXPECT_EQ(c.max_new_tokens, 10);
  EXPECT_EQ(c.constraints.max_length, 11);
  EXPECT_EQ(c.constraints.min_length, 4);  // min_new_tokens + the start token, over the file's min_length
  EXPECT_EQ(c.constraints.no_repeat_ngram_size, 0);
  EXPECT_EQ(c.length_penalty, 1.0);
  EXPECT_EQ(c.early_stopping, EarlyStopping::never);
  EXPECT_EQ(c.sampling.repetition_penalty, 1.5);
}

TEST(Seq2SeqGeneration, WithoutFilesTheModelsIdsAndTwentyTokensWithinItsPositions) {
  Seq2SeqInfo info = bart_info();
  auto g = resolve_seq2seq_generation({}, GenerationDefaults{}, info, std::nullopt);
  EXPECT_EQ(g.config.num_beams, 1);
  EXPECT_EQ(g.config.max_new_tokens, 20);
  EXPECT_EQ(g.config.constraints.forced_eos_token_ids, std::vector<int32_t>{2});  // config.json's, via the model
  EXPECT_EQ(g.config.constraints.min_length, 0);
  // The reference caps its default max_length of 20 + 1 by max_position_embeddings.
  info.max_positions = 16;
  EXPECT_EQ(resolve_seq2seq_generation({}, GenerationDefaults{}, info, std::nullopt).config.max_new_tokens, 15);
  // No end token anywhere: the tokenizer's.
  info.eos_token_id.reset();
  EXPECT_EQ(resolve_seq2seq_generation({}, GenerationDefaults{}, info, 7).config.eos_token_ids, std::vector<int32_t>{7});
}

TEST(Seq2SeqGeneration, AGenerationConfigWithoutForcedEosForcesNone) {
  GenerationDefaults d;
  d.file = "generation_config.json";
  d.from_generation_config = true;
  d.bos_token_id = 0;
  const auto g = resolve_seq2seq_generation({}, d, bart_info(), std::nullopt);
  EXPECT_TRUE(g.config.constraints.forced_eos_token_ids.empty());
  EXPECT_EQ(g.decoder_start_token_id, 0);  // no decoder_start_token_id: its bos_token_id
}

TEST(Seq2SeqGeneration, RefusesWhatItCannotFollowByName) {
  GenerationDefaults d = cnn_defaults();
  d.unsupported = {"do_sample true"};
  try {
    resolve_seq2seq_generation({}, d, bart_info(), std::nullopt);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "generation_config.json: do_sample true is a generation setting tokprob's seq2seq does not support");
  }
  d = cnn_defaults();
  d.max_length = 5000;
  EXPECT_THROW(resolve_seq2seq_generation({}, d, bart_info(), std::nullopt), Error);
  Seq2SeqOptions o;
  o.max_new_tokens = 100;  // an option overrides the file's overlong max_length
  EXPECT_EQ(resolve_seq2seq_generation(o, d, bart_info(), std::nullopt).config.max_new_tokens, 100);
  d = cnn_defaults();
  d.bad_words_ids = std::vector<std::vector<int32_t>>{{60}};
  EXPECT_THROW(resolve_seq2seq_generation({}, d, bart_info(), std::nullopt), Error);
  Seq2SeqOptions bad;
  bad.num_beams = 0;
  try {
    resolve_seq2seq_generation(bad, cnn_defaults(), bart_info(), std::nullopt);
    FAIL() << "no error";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.field(), "num_beams");
  }
}

}  // namespace
}  // namespace tokprob
