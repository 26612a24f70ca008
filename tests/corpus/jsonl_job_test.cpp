// The JSONL job on its own, with a stand-in task: order, grouping by fields, batches, bad lines,
// resuming. The commands that use it are tested in tests/app/file_input_command_test.cpp.
#include "corpus/jsonl_job.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tokprob/error.hpp"

namespace tokprob::corpus {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class JsonlJob : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tokprob_jsonl_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    options_.input = path("in.jsonl");
    options_.output = path("out.jsonl");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path(name)) << text; }
  std::string read(const std::string& name) const {
    std::ifstream in(path(name));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::vector<json> lines(const std::string& name) const {
    std::vector<json> out;
    std::istringstream in(read(name));
    std::string l;
    while (std::getline(in, l)) out.push_back(json::parse(l));
    return out;
  }

  // The stand-in task: each line's text, fields and the size of the batch it ran in; "BAD" fails.
  RunLines task() {
    return [this](std::span<const InputLine> batch) {
      ++calls_;
      std::vector<LineResult> out;
      for (const auto& l : batch) {
        if (l.text == "BAD") fail("this text is bad");
        json result = {{"text", l.text}, {"fields", l.fields}};
        if (with_batch_) result["batch"] = batch.size();
        out.push_back({result.dump(), static_cast<int64_t>(l.text.size())});
      }
      return out;
    };
  }

  fs::path dir_;
  JobOptions options_;
  int calls_ = 0;
  bool with_batch_ = true;  // a resumed run's batches differ from the first run's
};

TEST_F(JsonlJob, ResultsComeInInputOrderWithIdsWhateverTheBatching) {
  std::string in;
  for (int i = 0; i < 50; ++i)  // lengths out of order, so sorting by length reorders the batches
    in += json{{"id", i}, {"text", std::string(static_cast<size_t>((i * 37) % 23 + 1), 'a')}}.dump() + "\n";
  write("in.jsonl", in);
  options_.batch = 4;
  options_.read_ahead = 16;
  const JobSummary s = run_jsonl_job(options_, task());
  EXPECT_EQ(s.results, 50);
  const auto out = lines("out.jsonl");
  ASSERT_EQ(out.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(out[i]["id"], i);
    EXPECT_EQ(out[i]["text"], std::string(static_cast<size_t>((i * 37) % 23 + 1), 'a'));
    EXPECT_LE(out[i]["batch"].get<int>(), 4);
  }
  EXPECT_EQ(read("out.jsonl").substr(0, 7), "{\"id\":0");  // the id comes first
  EXPECT_LE(calls_, 16);  // batched: 50 lines in windows of 16, batches of 4
}

TEST_F(JsonlJob, LinesWithOtherFieldsRunApart) {
  write("in.jsonl", "\"a\"\n{\"text\":\"b\",\"top_k\":2}\n\"c\"\n{\"text\":\"d\",\"top_k\":2}\n");
  run_jsonl_job(options_, task());
  const auto out = lines("out.jsonl");
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0]["fields"], json::object());
  EXPECT_EQ(out[1]["fields"], (json{{"top_k", 2}}));
  EXPECT_EQ(out[2]["batch"], 2);  // "a" and "c" together
  EXPECT_EQ(out[3]["batch"], 2);
  EXPECT_FALSE(out[0].contains("id"));  // no id in, none out
}

TEST_F(JsonlJob, BadLinesGoToTheErrorsFileWithTheirNumbers) {
  write("in.jsonl", "\"ok\"\nnot json\n{\"id\":\"q\",\"text\":\"BAD\"}\n{\"text\":\"\"}\n[1]\n{\"txt\":\"x\"}\n\"fine\"\n");
  options_.errors = path("err.jsonl");
  const JobSummary s = run_jsonl_job(options_, task());
  EXPECT_EQ(s.results, 2);
  EXPECT_EQ(s.bad_lines, 5);
  const auto out = lines("out.jsonl");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["text"], "ok");
  EXPECT_EQ(out[1]["text"], "fine");
  const auto err = lines("err.jsonl");
  ASSERT_EQ(err.size(), 5u);
  EXPECT_EQ(err[0]["line"], 2);
  EXPECT_NE(err[0]["error"].get<std::string>().find("not JSON"), std::string::npos);
  EXPECT_EQ(err[1]["line"], 3);
  EXPECT_EQ(err[1]["id"], "q");
  EXPECT_EQ(err[1]["error"], "this text is bad");  // found alone after its batch failed
  EXPECT_EQ(err[2]["error"], "empty text");
  EXPECT_EQ(err[3]["line"], 5);
  EXPECT_EQ(err[4]["error"], "no \"text\" field");
}

TEST_F(JsonlJob, WithoutAnErrorsFileTheFirstBadLineStopsAfterTheLinesBeforeIt) {
  write("in.jsonl", "\"one\"\n\"two\"\n\"BAD\"\n\"four\"\n");
  try {
    run_jsonl_job(options_, task());
    FAIL() << "a bad line must stop the run";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("input line 3: this text is bad"), std::string::npos) << e.what();
  }
  const auto out = lines("out.jsonl");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1]["text"], "two");
}

TEST_F(JsonlJob, ResumingAfterAnInterruptionLosesAndRepeatsNothing) {
  std::string in;
  for (int i = 0; i < 30; ++i) in += (i % 7 == 3 ? std::string("BAD") : "\"t" + std::to_string(i) + "\"") + "\n";
  write("in.jsonl", in);
  options_.errors = path("err.jsonl");
  options_.read_ahead = 8;
  with_batch_ = false;
  run_jsonl_job(options_, task());
  const std::string full_out = read("out.jsonl"), full_err = read("err.jsonl");
  // Interrupted: the output cut inside a line, the errors file ahead of it (one record too many).
  for (size_t cut : {size_t{0}, full_out.size() / 3, full_out.size() - 5, full_out.size()}) {
    write("out.jsonl", full_out.substr(0, cut));
    write("err.jsonl", full_err);
    options_.resume = true;
    run_jsonl_job(options_, task());
    EXPECT_EQ(read("out.jsonl"), full_out) << "cut at " << cut;
    EXPECT_EQ(read("err.jsonl"), full_err) << "cut at " << cut;
  }
}

TEST_F(JsonlJob, ResumingOntoAnotherInputsOutputIsRefused) {
  write("in.jsonl", "\"a\"\n");
  write("out.jsonl", "{}\n{}\n");
  options_.resume = true;
  EXPECT_THROW(run_jsonl_job(options_, task()), Error);
  options_.output = "-";
  EXPECT_THROW(run_jsonl_job(options_, task()), Error);  // nothing to resume from on stdout
}

TEST_F(JsonlJob, MemoryIsBoundedByTheWindowNotTheFile) {
  // 20,000 lines through windows of 64: the task never sees more than a window at once.
  {
    std::ofstream in(path("in.jsonl"));
    for (int i = 0; i < 20000; ++i) in << "\"line " << i << "\"\n";
  }
  options_.read_ahead = 64;
  options_.batch = 64;
  size_t most = 0;
  int64_t seen = 0;
  run_jsonl_job(options_, [&](std::span<const InputLine> batch) {
    most = std::max(most, batch.size());
    seen += static_cast<int64_t>(batch.size());
    return std::vector<LineResult>(batch.size(), LineResult{"{}", 1});
  });
  EXPECT_EQ(seen, 20000);
  EXPECT_LE(most, 64u);
}

}  // namespace
}  // namespace tokprob::corpus
