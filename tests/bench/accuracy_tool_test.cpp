// tokprob_accuracy finds its default text from any working directory (issue 19), not only from
// the repository root.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "cli_runner.hpp"

extern char** environ;

namespace tokprob::testing {
namespace {

namespace fs = std::filesystem;

TEST(AccuracyTool, RunsFromAnyDirectory) {
#ifndef TOKPROB_ACCURACY_BINARY
  GTEST_SKIP() << "tokprob_accuracy is not built (TOKPROB_BUILD_BENCH=OFF)";
#else
  const fs::path dir = fs::temp_directory_path() / ("tokprob_accuracy_cwd_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string bin = TOKPROB_ACCURACY_BINARY, err_path = (dir / "err").string();
  // Fixtures that do not exist: the tool fails fast, after it has read its default text.
  const std::string missing = (dir / "no-fixtures").string();
  std::vector<std::string> args = {bin, "--dtypes", "bf16", "--fixtures", missing};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  waitpid(pid, &status, 0);
  const std::string err = read_file_text(err_path);
  fs::remove_all(dir);
  EXPECT_EQ(err.find("story.txt"), std::string::npos) << err;
  EXPECT_NE(err.find("no-fixtures"), std::string::npos) << err;
#endif
}

}  // namespace
}  // namespace tokprob::testing
