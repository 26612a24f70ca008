// Every command over a JSONL file (--input/--output) as a user runs it: each result line equals
// what the command prints for that text with --format json, a line's own fields act as the flags
// do, ids come through, bad lines are set aside or stop the run, and --resume completes a file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "cli_runner.hpp"

namespace tokprob::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Equal but for float rounding: a batch of several texts sums in another order than one text alone,
// so floats agree within the reference tolerance (1e-4 of the value, at least 1e-4) and all else exactly.
::testing::AssertionResult same_result(const json& got, const json& want, const std::string& at = "$") {
  if (got.is_number_float() || want.is_number_float()) {
    if (got.is_number() && want.is_number() &&
        std::abs(got.get<double>() - want.get<double>()) <= 1e-4 * std::max(1.0, std::abs(want.get<double>())))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << at << ": " << got << " vs " << want;
  }
  if (got.type() != want.type() || got.size() != want.size())
    return ::testing::AssertionFailure() << at << ": " << got.dump().substr(0, 200) << " vs " << want.dump().substr(0, 200);
  if (got.is_object()) {
    for (auto it = want.begin(); it != want.end(); ++it) {
      if (!got.contains(it.key())) return ::testing::AssertionFailure() << at << ": no field " << it.key();
      if (auto r = same_result(got[it.key()], it.value(), at + "." + it.key()); !r) return r;
    }
    return ::testing::AssertionSuccess();
  }
  if (got.is_array()) {
    for (size_t i = 0; i < want.size(); ++i)
      if (auto r = same_result(got[i], want[i], at + "[" + std::to_string(i) + "]"); !r) return r;
    return ::testing::AssertionSuccess();
  }
  if (got != want) return ::testing::AssertionFailure() << at << ": " << got << " vs " << want;
  return ::testing::AssertionSuccess();
}

class FileInput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tokprob_file_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::vector<json>& lines) const {
    std::ofstream out(path(name));
    for (const auto& l : lines) out << l.dump() << '\n';
    return path(name);
  }
  // The command's --format json answer for one text, with extra flags.
  static json direct(const std::vector<std::string>& args, const std::string& text) {
    std::vector<std::string> all = args;
    all.insert(all.end(), {"--format", "json", "--", text});
    const auto r = run_tokprob(all);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto lines = json_lines(r.out);
    return lines.empty() ? json() : lines.back();
  }
  fs::path dir_;
};

TEST_F(FileInput, EachCommandAnswersEveryLineAsItAnswersTheText) {
  struct Case {
    std::string command, fixture, text;
  };
  const std::vector<Case> cases = {
      {"score", "gpt2-tiny", "Hello world, how are you"},
      {"next", "tinystories-656k", "Once upon a time, there was a"},
      {"generate", "tinystories-656k", "Once upon a time"},
      {"fill-mask", "bert-tiny-mlm", "The capital of France is [MASK]."},
      {"classify", "distilbert-tiny-sst2", "I love this movie"},
      {"seq2seq", "t5-tiny", "translate English to German: Hello"},
  };
  for (const auto& c : cases) {
    if (!fs::exists(fixtures_dir() / c.fixture)) GTEST_SKIP() << "fixture missing: " << c.fixture;
    const std::string model = (fixtures_dir() / c.fixture).string();
    const std::string in = write(c.command + ".jsonl", {json(c.text), json{{"id", "b"}, {"text", c.text}}});
    const auto r = run_tokprob({c.command, "-m", model, "--input", in});
    ASSERT_EQ(r.exit_code, 0) << c.command << ": " << r.err;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 2u) << c.command;
    const json want = direct({c.command, "-m", model}, c.text);
    EXPECT_TRUE(same_result(lines[0], want)) << c.command;
    json with_id = want;
    with_id["id"] = "b";
    EXPECT_TRUE(same_result(lines[1], with_id)) << c.command;
  }
}

TEST_F(FileInput, ALinesFieldsActAsTheFlagsAndTheFlagsAreTheDefaults) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const std::string model = (fixtures_dir() / "gpt2-tiny").string();
  const std::string in = write("in.jsonl", {json{{"text", "To be or not to"}, {"top_k", 2}, {"targets", {" be"}}},
                                            json("To be or not to")});
  const auto r = run_tokprob({"next", "-m", model, "-k", "4", "--input", in});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(same_result(lines[0], direct({"next", "-m", model, "-k", "2", "--targets", " be"}, "To be or not to")));
  EXPECT_TRUE(same_result(lines[1], direct({"next", "-m", model, "-k", "4"}, "To be or not to")));
}

TEST_F(FileInput, BadLinesAreSetAsideOrStopTheRunWithTheirLineNumber) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const std::string model = (fixtures_dir() / "gpt2-tiny").string();
  const std::string in = path("in.jsonl");
  std::ofstream(in) << "\"Hello world\"\nnot json\n{\"text\": \"Hi\", \"topk\": 3}\n{\"text\": \"Hi\", \"stride\": -1}\n"
                        "\"Good bye\"\n";
  const auto stop = run_tokprob({"score", "-m", model, "--input", in, "--output", path("out.jsonl")});
  EXPECT_EQ(stop.exit_code, 1);
  EXPECT_NE(stop.err.find("input line 2: not JSON"), std::string::npos) << stop.err;
  EXPECT_EQ(line_count(stop.err), 1u) << stop.err;
  EXPECT_EQ(line_count(read_file_text(path("out.jsonl"))), 1u);  // the line before it

  const auto go_on = run_tokprob({"score", "-m", model, "--input", in, "--output", path("out.jsonl"), "--errors",
                                  path("err.jsonl")});
  ASSERT_EQ(go_on.exit_code, 0) << go_on.err;
  const auto out = json_lines(read_file_text(path("out.jsonl")));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1]["text"], "Good bye");
  const auto err = json_lines(read_file_text(path("err.jsonl")));
  ASSERT_EQ(err.size(), 3u);
  EXPECT_EQ(err[0]["line"], 2);
  EXPECT_EQ(err[1]["line"], 3);
  EXPECT_NE(err[1]["error"].get<std::string>().find("topk"), std::string::npos) << err[1];
  EXPECT_EQ(err[2]["line"], 4);
  EXPECT_NE(err[2]["error"].get<std::string>().find("stride"), std::string::npos) << err[2];

  // A text longer than gpt2-tiny's 128 positions, found by the task inside a batch of good lines.
  const std::string next_in = write("next.jsonl", {json("Hello"), json(std::string(3000, 'x') + " y"), json("Bye")});
  const auto next = run_tokprob({"next", "-m", model, "--input", next_in, "--errors", path("next_err.jsonl")});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(json_lines(next.out).size(), 2u);
  const auto next_err = json_lines(read_file_text(path("next_err.jsonl")));
  ASSERT_EQ(next_err.size(), 1u);
  EXPECT_EQ(next_err[0]["line"], 2);
  EXPECT_NE(next_err[0]["error"].get<std::string>().find("128"), std::string::npos) << next_err[0];
}

TEST_F(FileInput, ResumeCompletesAnInterruptedOutput) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const std::string model = (fixtures_dir() / "gpt2-tiny").string();
  std::vector<json> texts;
  for (int i = 0; i < 12; ++i) texts.push_back(json{{"id", i}, {"text", "Line number " + std::to_string(i) + " of a file"}});
  const std::string in = write("in.jsonl", texts), out = path("out.jsonl");
  ASSERT_EQ(run_tokprob({"score", "-m", model, "--input", in, "--output", out}).exit_code, 0);
  const std::string full = read_file_text(out);
  std::ofstream(out, std::ios::trunc) << full.substr(0, full.size() / 2);  // cut inside a line
  const auto r = run_tokprob({"score", "-m", model, "--input", in, "--output", out, "--resume"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto got = json_lines(read_file_text(out)), want = json_lines(full);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_TRUE(same_result(got[i], want[i])) << "line " << i + 1;
}

TEST_F(FileInput, MisusedFlagsAreUsageErrors) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const std::string model = (fixtures_dir() / "gpt2-tiny").string();
  const std::string in = write("in.jsonl", {json("Hi")});
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"score", "-m", model, "--input", in, "Hello"},
           {"score", "-m", model, "--input", in, "--format", "table"},
           {"score", "-m", model, "--resume", "Hello"},
           {"score", "-m", model, "--input", in, "--resume"},  // resuming standard output
           {"score", "-m", model},
           {"generate", "-m", model, "--input", in, "--stream"},
           {"score", "-m", model, "--input", path("missing.jsonl")}}) {
    const auto r = run_tokprob(args);
    EXPECT_NE(r.exit_code, 0) << args.back();
    EXPECT_EQ(line_count(r.err), 1u) << r.err;
  }
}

}  // namespace
}  // namespace tokprob::testing
