// Rough edges of the command line (issue 19): one meaning per option name, CSV that can be read
// back, and error lines that are short, exact and printable.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"

namespace tokprob::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// Splits one CSV line whose fields hold no comma; a quoted field loses its quotes.
std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) {
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') field = field.substr(1, field.size() - 2);
    out.push_back(field);
  }
  if (!line.empty() && line.back() == ',') out.push_back("");
  return out;
}

// Whether `s` is valid UTF-8 without control characters, checked byte by byte here.
bool printable_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return false;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

TEST(OptionNames, ListIsKAndTopKIsTheSamplingFilter) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  for (const char* spelling : {"-k", "--list", "--top-k"}) {
    const auto r = run_tokprob({"next", "-m", dir, "--format", "json", spelling, "2", "Hello"});
    ASSERT_EQ(r.exit_code, 0) << spelling << ": " << r.err;
    EXPECT_EQ(json_lines(r.out).at(0)["top"].size(), 2u) << spelling;
  }
  for (const char* command : {"next", "fill-mask", "seq2seq"}) {
    const auto help = run_tokprob({command, "--help"});
    EXPECT_NE(help.out.find("-k,--list"), std::string::npos) << command << help.out;
    EXPECT_EQ(help.out.find("--top-k"), std::string::npos) << command << help.out;
  }
  const auto generate_help = run_tokprob({"generate", "--help"});
  EXPECT_NE(generate_help.out.find("--top-k"), std::string::npos);
  EXPECT_EQ(generate_help.out.find("--list"), std::string::npos);
}

TEST(CsvOutput, GenerateHasOneHeaderAndTheTexts) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto json = run_tokprob({"generate", "-m", dir, "--format", "json", "--max-new-tokens", "2", "One", "Two"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto results = json_lines(json.out);
  ASSERT_EQ(results.size(), 2u);
  const auto r = run_tokprob({"generate", "-m", dir, "--format", "csv", "--max-new-tokens", "2", "One", "Two"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 1u + 2u * 2u);
  EXPECT_EQ(lines[0], "text,continuation,sequence,step,kind,rank,id,token,token_text,logprob,processed_logprob");
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto& expected = results[(i - 1) / 2];
    const std::string lead = expected["text"].get<std::string>() + ",";  // "One", "Two": no quotes
    EXPECT_EQ(lines[i].compare(0, lead.size(), lead), 0) << lines[i];
    if (expected["sequences"][0]["text"].get<std::string>().find_first_of(",\"\n") == std::string::npos) {
      EXPECT_EQ(fields(lines[i]).at(1), expected["sequences"][0]["text"]) << lines[i];
    }
  }
}

TEST(CsvOutput, NextTargetPiecesHaveTheirPositionsAndATotal) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const std::string target = " tokprobability";
  const auto json = run_tokprob({"next", "-m", dir, "--format", "json", "-k", "1", "--targets", target, "Hello there"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto o = json_lines(json.out).at(0);
  const size_t pieces = o["targets"][0]["pieces"].size();
  ASSERT_GT(pieces, 1u);
  const auto r = run_tokprob({"next", "-m", dir, "--format", "csv", "-k", "1", "--targets", target, "Hello there"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 1u + 1u + pieces + 1u);
  const int64_t position = o["position"];
  double sum = 0;
  for (size_t i = 0; i < pieces; ++i) {
    const auto f = fields(lines[2 + i]);
    EXPECT_EQ(f.at(1), std::to_string(position + static_cast<int64_t>(i))) << lines[2 + i];
    EXPECT_EQ(f.at(2), "target");
    sum += std::stod(f.at(9));
  }
  const auto total = fields(lines.back());
  EXPECT_EQ(total.at(2), "target_total") << lines.back();
  EXPECT_EQ(total.at(3), target);
  EXPECT_NEAR(std::stod(total.at(9)), sum, 1e-6);
  EXPECT_NEAR(std::stod(total.at(8)), std::exp(sum), 1e-9);
}

TEST(ErrorLines, ALongTextIsCutWithAnEllipsis) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  std::string words;
  for (int i = 0; i < 3000; ++i) words += "word ";
  const auto r = run_tokprob({"fill-mask", "-m", (fixtures_dir() / "bert-tiny-mlm").string(), words});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(line_count(r.err), 1u);
  EXPECT_LT(r.err.size(), 300u) << r.err;
  EXPECT_NE(r.err.find("…\" (15,000 characters)"), std::string::npos) << r.err;
}

TEST(ErrorLines, CountsAgreeWithTheirNouns) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto tokenize = run_tokprob({"tokenize", "-m", dir, "Hello"});
  ASSERT_EQ(tokenize.exit_code, 0) << tokenize.err;
  EXPECT_NE(tokenize.out.find("(1 token)"), std::string::npos) << tokenize.out;
  const auto position = run_tokprob({"next", "-m", dir, "--position", "3", "Hello"});
  EXPECT_EQ(position.exit_code, 2);
  EXPECT_NE(position.err.find("(1 token), got 3"), std::string::npos) << position.err;
}

TEST(ErrorLines, ModelOfAnotherKindNamesTheCommand) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  const auto mlm = run_tokprob({"next", "-m", (fixtures_dir() / "bert-tiny-mlm").string(), "Hi"});
  EXPECT_EQ(mlm.exit_code, 1);
  EXPECT_NE(mlm.err.find("use fill-mask"), std::string::npos) << mlm.err;
  const auto cls = run_tokprob({"generate", "-m", (fixtures_dir() / "distilbert-tiny-sst2").string(), "Hi"});
  EXPECT_EQ(cls.exit_code, 1);
  EXPECT_NE(cls.err.find("use classify"), std::string::npos) << cls.err;
}

TEST(ErrorLines, DtypeIsReadInAnyCase) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto upper = run_tokprob({"next", "-m", dir, "--dtype", "FP32", "--format", "json", "Hi"});
  EXPECT_EQ(upper.exit_code, 0) << upper.err;
  const auto bad = run_tokprob({"next", "-m", dir, "--dtype", "BF17", "Hi"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("'BF17'"), std::string::npos) << bad.err;
}

TEST(ErrorLines, BytesFromABrokenFileAreEscaped) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const fs::path src = fixtures_dir() / "gpt2-tiny";
  const fs::path dir = fs::temp_directory_path() / ("tokprob_escape_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(src))
    if (e.path().filename() != "model.safetensors") fs::create_symlink(e.path(), dir / e.path().filename());
  // A header that is not JSON, made of invalid UTF-8 and control bytes.
  const std::string header = "{\"\xff\xfe\x01\x1b[31m";
  std::string file(8, '\0');
  for (size_t i = 0; i < 8; ++i) file[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  std::ofstream(dir / "model.safetensors", std::ios::binary) << file << header;
  const auto r = run_tokprob({"next", "-m", dir.string(), "Hi"});
  fs::remove_all(dir);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ASSERT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_TRUE(printable_utf8(r.err.substr(0, r.err.size() - 1))) << r.err;
  EXPECT_NE(r.err.find("safetensors"), std::string::npos) << r.err;
}

TEST(TokenDisplay, TokenizeShowsTokensAsNextAndScoreDo) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const auto gpt2 = (fixtures_dir() / "gpt2-tiny").string();
  const auto table = run_tokprob({"tokenize", "-m", gpt2, "Hello world"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("␣world"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("Ġworld"), std::string::npos) << table.out;
  const auto raw = run_tokprob({"tokenize", "-m", gpt2, "--raw", "Hello world"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_NE(raw.out.find("Ġworld"), std::string::npos) << raw.out;
  // Byte-fallback pieces of one character: each shows its byte, in tokenize and in score alike.
  const auto llama = (fixtures_dir() / "llama-tiny").string();
  const auto json = run_tokprob({"tokenize", "-m", llama, "--format", "json", "a\xF0\x9F\xA6\x9C"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto tokens = json_lines(json.out).at(0)["tokens"];
  bool byte_pieces = false;
  for (const auto& t : tokens) byte_pieces = byte_pieces || t == "<0xF0>";
  ASSERT_TRUE(byte_pieces) << json.out;
  for (const char* command : {"tokenize", "score"}) {
    const auto r = run_tokprob({command, "-m", llama, "a\xF0\x9F\xA6\x9C"});
    ASSERT_EQ(r.exit_code, 0) << command << ": " << r.err;
    EXPECT_NE(r.out.find("<0xF0>"), std::string::npos) << command << ": " << r.out;
    EXPECT_EQ(r.out.find("\xEF\xBF\xBD"), std::string::npos) << command << ": " << r.out;
  }
}

TEST(TokenDisplay, PositionAllHeadersNameTheContextToken) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto r = run_tokprob({"next", "-m", dir, "--position", "all", "-k", "1", "The cat sat"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(after token 0 The of 3)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(after token 1 ␣cat of 3)"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tokprob::testing
