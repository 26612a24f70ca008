// The generation settings of a model folder, as transformers 5 picks them: generation_config.json
// alone when present, else config.json's generation keys.
#include "io/generation_defaults.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "tokprob/error.hpp"

namespace tokprob {
namespace {

namespace fs = std::filesystem;

class GenerationDefaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tokprob_gendef_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name) << text; }
  fs::path dir_;
};

TEST_F(GenerationDefaultsTest, GenerationConfigAloneDecides) {
  write("config.json", R"({"model_type": "bart", "num_beams": 6, "forced_eos_token_id": 2, "eos_token_id": 2})");
  // bart-large-cnn's generation_config.json, less its ids.
  write("generation_config.json",
        R"({"num_beams": 4, "max_length": 142, "min_length": 56, "no_repeat_ngram_size": 3, "length_penalty": 2.0,
            "early_stopping": true, "forced_bos_token_id": 0, "bad_words_ids": [[1], [5, 6]], "do_sample": false})");
  const GenerationDefaults d = read_generation_defaults(dir_);
  EXPECT_TRUE(d.from_generation_config);
  EXPECT_EQ(d.file, dir_ / "generation_config.json");
  EXPECT_EQ(d.num_beams, 4);
  EXPECT_EQ(d.max_length, 142);
  EXPECT_EQ(d.min_length, 56);
  EXPECT_EQ(d.no_repeat_ngram_size, 3);
  EXPECT_EQ(d.length_penalty, 2.0);
  EXPECT_EQ(d.early_stopping, EarlyStopping::enough);
  EXPECT_EQ(d.forced_bos_token_id, 0);
  EXPECT_EQ(d.bad_words_ids, (std::vector<std::vector<int32_t>>{{1}, {5, 6}}));
  // config.json's keys do not fill in what generation_config.json leaves out.
  EXPECT_FALSE(d.forced_eos_token_ids.has_value());
  EXPECT_FALSE(d.eos_token_ids.has_value());
  EXPECT_TRUE(d.unsupported.empty());
}

TEST_F(GenerationDefaultsTest, ConfigJsonWhenNoGenerationConfig) {
  write("config.json", R"({"model_type": "marian", "num_beams": 6, "max_length": 512, "early_stopping": "never",
                           "forced_eos_token_id": [0, 3], "eos_token_id": 0, "bad_words_ids": null})");
  const GenerationDefaults d = read_generation_defaults(dir_);
  EXPECT_FALSE(d.from_generation_config);
  EXPECT_EQ(d.num_beams, 6);
  EXPECT_EQ(d.max_length, 512);
  EXPECT_EQ(d.early_stopping, EarlyStopping::never);
  EXPECT_EQ(d.forced_eos_token_ids, (std::vector<int32_t>{0, 3}));
  EXPECT_EQ(d.eos_token_ids, (std::vector<int32_t>{0}));
  EXPECT_FALSE(d.bad_words_ids.has_value());
  EXPECT_FALSE(d.min_length.has_value());
}

TEST_F(GenerationDefaultsTest, NoFilesNoDefaults) {
  const GenerationDefaults d = read_generation_defaults(dir_);
  EXPECT_TRUE(d.file.empty());
  EXPECT_FALSE(d.num_beams.has_value());
}

TEST_F(GenerationDefaultsTest, NotesSettingsThatChangeTheResult) {
  write("generation_config.json",
        R"({"do_sample": true, "num_beam_groups": 1, "diversity_penalty": 0.5, "suppress_tokens": [],
            "begin_suppress_tokens": [220], "temperature": 0.7, "top_k": 50})");
  const GenerationDefaults d = read_generation_defaults(dir_);
  // Neutral values (one beam group, no suppressed tokens) and sampling-only settings are not noted.
  EXPECT_EQ(d.unsupported, (std::vector<std::string>{"do_sample true", "diversity_penalty 0.5", "begin_suppress_tokens [220]"}));
}

TEST_F(GenerationDefaultsTest, MalformedValuesNameFileAndKey) {
  write("generation_config.json", R"({"num_beams": "four"})");
  try {
    read_generation_defaults(dir_);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("generation_config.json: num_beams must be an integer"), std::string::npos) << what;
  }
  write("generation_config.json", R"({"early_stopping": "sometimes"})");
  EXPECT_THROW(read_generation_defaults(dir_), Error);
  write("generation_config.json", R"({"bad_words_ids": [3]})");
  EXPECT_THROW(read_generation_defaults(dir_), Error);
}

}  // namespace
}  // namespace tokprob
