// config.json typed reads: wrong types and out-of-range numbers give one error naming file and key.
#include <gtest/gtest.h>

#include "io/config.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

// Found by the model_config fuzz target (fuzz/regressions/model_config/): a float outside int64's
// range was cast to int64 (undefined behaviour).
TEST(Config, IntegersFromFloatsStayInRange) {
  const Config c = Config::parse(R"({"big": 1e28, "small": -1e300, "whole": 3.0, "half": 2.5, "s": "x"})", "config.json");
  EXPECT_EQ(c.get_int("whole"), 3);
  for (const char* key : {"big", "small", "half", "s"}) {
    try {
      (void)c.get_int(key);
      ADD_FAILURE() << key;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("config.json: \"") + key + "\" must be an integer"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW((void)c.get_size("big"), Error);
}

// Found by the model_config fuzz target (fuzz/regressions/model_config/): a negative layer-norm
// epsilon made some rows' variance + epsilon negative, and their NaN reached a float-to-int cast.
TEST(Config, EpsilonsAndBasesMustKeepTheArithmeticFinite) {
  const Config c = Config::parse(
      R"({"zero": 0, "tiny": 1e-12, "neg": -1e-5, "huge": 1e300, "s": "1e-5", "nul": null})", "config.json");
  EXPECT_EQ(c.get_nonnegative("zero", 1.0), 0.0);
  EXPECT_EQ(c.get_nonnegative("tiny", 1.0), 1e-12);
  EXPECT_EQ(c.get_nonnegative("absent", 0.5), 0.5);
  EXPECT_EQ(c.get_nonnegative("nul", 0.5), 0.5);
  EXPECT_EQ(c.get_positive("tiny", 1.0), 1e-12);
  for (const char* key : {"neg", "huge"}) {
    try {
      (void)c.get_nonnegative(key, 1.0);
      ADD_FAILURE() << key;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("config.json: \"") + key + "\" must be a finite number >= 0"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW((void)c.get_positive("zero", 1.0), Error);
  EXPECT_THROW((void)c.get_positive("neg", 1.0), Error);
  EXPECT_THROW((void)c.get_nonnegative("s", 1.0), Error);
}

TEST(Config, ParseErrorsNameTheFile) {
  EXPECT_THROW(Config::parse("{", "x/config.json"), Error);
  EXPECT_THROW(Config::parse("[1]", "x/config.json"), Error);
}

}  // namespace
}  // namespace tokprob
