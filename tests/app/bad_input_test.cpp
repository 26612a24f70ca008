// Bad input never crashes: one line on stderr naming the problem, exit 2 (usage) or 1 (data).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "cli_runner.hpp"

namespace tokprob::testing {
namespace {

namespace fs = std::filesystem;

// A copy of gpt2-tiny in a temporary folder (files linked), with some files replaced.
class BrokenModel : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = fixtures_dir() / "gpt2-tiny";
    dir_ = fs::temp_directory_path() / ("tokprob_bad_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    if (fs::exists(src_))
      for (const auto& e : fs::directory_iterator(src_)) fs::create_symlink(e.path(), dir_ / e.path().filename());
  }
  void TearDown() override { fs::remove_all(dir_); }
  void replace(const std::string& name, const std::string& content) {
    fs::remove(dir_ / name);
    std::ofstream(dir_ / name, std::ios::binary) << content;
  }
  void expect_error(const std::vector<std::string>& args, int code, const std::string& needle) {
    const auto r = run_tokprob(args);
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_EQ(line_count(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  std::string config_with(const std::string& key, const nlohmann::json& value) {
    auto j = load_json(src_ / "config.json");
    j[key] = value;
    return j.dump();
  }
  fs::path src_, dir_;
};

TEST_F(BrokenModel, MissingFolderAndFiles) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  expect_error({"next", "-m", (dir_ / "nope").string(), "hi"}, 1, "not found");
  fs::remove(dir_ / "config.json");
  expect_error({"next", "-m", dir_.string(), "hi"}, 1, "config.json");
}

TEST_F(BrokenModel, MissingWeights) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  fs::remove(dir_ / "model.safetensors");
  expect_error({"next", "-m", dir_.string(), "hi"}, 1, "model.safetensors");
}

TEST_F(BrokenModel, GarbageAndTruncatedSafetensors) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  replace("model.safetensors", std::string(100, 'x'));
  expect_error({"next", "-m", dir_.string(), "hi"}, 1, "model.safetensors");
  std::ifstream in(src_ / "model.safetensors", std::ios::binary);
  std::string head(200000, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  replace("model.safetensors", head);
  expect_error({"next", "-m", dir_.string(), "hi"}, 1, "truncated");
}

TEST_F(BrokenModel, WrongTensorShape) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  replace("config.json", config_with("n_inner", 100));
  expect_error({"next", "-m", dir_.string(), "hi"}, 1, "shape");
}

TEST_F(BrokenModel, BrokenConfig) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  replace("config.json", "{\"model_type\": \"gpt2\", ");
  expect_error({"next", "-m", dir_.string(), "hi"}, 1, "config.json");
  replace("config.json", config_with("n_head", 0));
  expect_error({"next", "-m", dir_.string(), "hi"}, 1, "n_head");
  replace("config.json", config_with("n_head", 5));
  expect_error({"next", "-m", dir_.string(), "hi"}, 1, "n_head");
}

// Weights or a config that make the arithmetic non-finite: a config error at load, or an error
// naming the logits, never NaN printed as probabilities (the model_config fuzz target's finding).
TEST_F(BrokenModel, NonFiniteArithmetic) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  replace("config.json", config_with("layer_norm_epsilon", -0.5));
  expect_error({"next", "-m", dir_.string(), "hi"}, 1, "layer_norm_epsilon");
  fs::remove(dir_ / "config.json");
  fs::create_symlink(src_ / "config.json", dir_ / "config.json");

  std::ifstream in(src_ / "model.safetensors", std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);
  const auto header = nlohmann::json::parse(file.substr(8, n));
  const std::string name = header.contains("ln_f.weight") ? "ln_f.weight" : "transformer.ln_f.weight";
  ASSERT_TRUE(header.contains(name));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(file.data() + 8 + n + header[name]["data_offsets"][0].get<size_t>(), &nan, sizeof nan);
  replace("model.safetensors", file);
  expect_error({"next", "-m", dir_.string(), "hi"}, 1, "NaN or infinity");
  expect_error({"score", "-m", dir_.string(), "hi there"}, 1, "NaN or infinity");
}

TEST_F(BrokenModel, UnknownArchitecture) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  replace("config.json", config_with("model_type", "mamba-9000"));
  expect_error({"next", "-m", dir_.string(), "hi"}, 1, "unsupported architecture 'mamba-9000'");
}

TEST_F(BrokenModel, BadTextAndFlags) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const std::string m = src_.string();
  expect_error({"next", "-m", m, ""}, 2, "empty text");
  expect_error({"next", "-m", m, "-k", "0", "hi"}, 2, "-k");
  expect_error({"next", "-m", m, "--format", "xml", "hi"}, 2, "--format");
  expect_error({"next", "-m", m, "--position", "7", "hi"}, 2, "--position");
  expect_error({"next", "-m", m, "--position", "x", "hi"}, 2, "--position");
  expect_error({"next", "-m", m, "--bogus", "hi"}, 2, "bogus");
  expect_error({"next", "hi"}, 2, "model");
  expect_error({"frobnicate"}, 2, "frobnicate");
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += " hello";
  expect_error({"next", "-m", m, long_text}, 1, "positions");
}

}  // namespace
}  // namespace tokprob::testing
