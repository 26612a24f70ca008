// Replays the inputs that once crashed a fuzz target (fuzz/regressions/<target>/) through the same
// target code the fuzzers run: each must now end normally or with a tokprob::Error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fixtures.hpp"
#include "fuzz_target.hpp"

namespace tokprob {
namespace {

namespace fs = std::filesystem;

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void replay(const std::string& target_name) {
  const auto& targets = fuzz::registered_targets();
  const auto it = targets.find(target_name);
  ASSERT_NE(it, targets.end()) << "no fuzz target '" << target_name << "'";
  const fs::path dir = fs::path(TOKPROB_SOURCE_DIR) / "fuzz" / "regressions" / target_name;
  // Empty and one-byte inputs are a smoke test of every target.
  for (const std::string& input : {std::string(), std::string(1, '\0'), std::string("{}")})
    EXPECT_NO_THROW(fuzz::run_one(it->second, reinterpret_cast<const uint8_t*>(input.data()), input.size()));
  if (!fs::is_directory(dir)) return;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename().string().front() == '.') continue;
    const std::string input = read_bytes(entry.path());
    EXPECT_NO_THROW(fuzz::run_one(it->second, reinterpret_cast<const uint8_t*>(input.data()), input.size()))
        << entry.path();
  }
}

TEST(FuzzRegressions, Safetensors) { replay("safetensors"); }
TEST(FuzzRegressions, SafetensorsIndex) { replay("safetensors_index"); }
TEST(FuzzRegressions, TokenizerJson) { replay("tokenizer_json"); }
TEST(FuzzRegressions, LegacyBpe) { replay("legacy_bpe"); }
TEST(FuzzRegressions, LegacyWordPiece) { replay("legacy_wordpiece"); }
TEST(FuzzRegressions, SentencePiece) { replay("sentencepiece"); }
TEST(FuzzRegressions, Config) { replay("config"); }
TEST(FuzzRegressions, ModelConfig) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  replay("model_config");
}
TEST(FuzzRegressions, Encode) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  replay("encode");
}

TEST(FuzzRegressions, HttpBody) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  replay("http_body");
}

TEST(FuzzRegressions, WeightCache) { replay("weight_cache"); }

TEST(FuzzRegressions, EveryTargetHasATest) {
  for (const auto& [name, f] : fuzz::registered_targets())
    EXPECT_TRUE(name == "safetensors" || name == "safetensors_index" || name == "tokenizer_json" ||
                name == "legacy_bpe" || name == "legacy_wordpiece" || name == "sentencepiece" || name == "config" ||
                name == "model_config" || name == "encode" || name == "http_body" || name == "weight_cache")
        << name;
}

}  // namespace
}  // namespace tokprob
