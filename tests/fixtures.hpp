// How tests reach ../shared/fixtures: one setting, TOKPROB_FIXTURES, defaulting to
// ../shared/fixtures next to the source tree. Without fixtures the tests that need them are
// skipped with a message; with TOKPROB_REQUIRE_FIXTURES=1 (as in CI) a missing folder fails them.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace tokprob::testing {

inline std::filesystem::path fixtures_dir() {
  if (const char* env = std::getenv("TOKPROB_FIXTURES"); env && *env) return env;
  return std::filesystem::path(TOKPROB_SOURCE_DIR) / ".." / "shared" / "fixtures";
}

inline bool fixtures_required() {
  const char* env = std::getenv("TOKPROB_REQUIRE_FIXTURES");
  return env && std::string(env) == "1";
}

inline nlohmann::json load_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  return nlohmann::json::parse(in);
}

// Path of the built `tokprob` command, for tests that run it.
inline std::filesystem::path tokprob_binary() { return TOKPROB_BINARY; }

}  // namespace tokprob::testing

// Skips (or, when fixtures are required, fails) the current test if fixture `name` is missing.
#define TOKPROB_REQUIRE_FIXTURE(name)                                                          \
  do {                                                                                         \
    const auto tokprob_fixture_path_ = ::tokprob::testing::fixtures_dir() / (name);            \
    if (!std::filesystem::exists(tokprob_fixture_path_)) {                                     \
      if (::tokprob::testing::fixtures_required())                                             \
        FAIL() << "fixture missing: " << tokprob_fixture_path_ << " (TOKPROB_FIXTURES)";       \
      GTEST_SKIP() << "SKIPPED: fixture " << tokprob_fixture_path_                             \
                   << " not found; set TOKPROB_FIXTURES to the shared fixtures folder";        \
    }                                                                                          \
  } while (0)
