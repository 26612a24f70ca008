// `tokprob` itself loads neither the server's HTTP library nor the hub's libcurl/OpenSSL: those
// cost every run ~8 MB of resident memory and start time (the server is `tokprob-serve`; the hub
// opens libcurl when it downloads).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "cli_runner.hpp"

namespace tokprob::testing {
namespace {

std::string shared_libraries_of(const std::string& program) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(("ldd '" + program + "'").c_str(), "r"), ::pclose);
  std::string out;
  char buf[4096];
  while (pipe && std::fgets(buf, sizeof buf, pipe.get())) out += buf;
  return out;
}

TEST(ProgramLibraries, TokprobLoadsNoHttpOrTlsLibrary) {
  const std::string libs = shared_libraries_of(tokprob_binary().string());
  ASSERT_NE(libs.find("libc.so"), std::string::npos) << "ldd gave no list: " << libs;
  for (const char* heavy : {"libcpp-httplib", "libcurl", "libssl", "libcrypto", "libgnutls"})
    EXPECT_EQ(libs.find(heavy), std::string::npos) << heavy << " in:\n" << libs;
}

TEST(ProgramLibraries, ServeWithoutTheServerProgramBesideItSaysSo) {
  const auto dir = std::filesystem::temp_directory_path() / ("tokprob_alone_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto alone = dir / "tokprob";
  std::filesystem::copy_file(tokprob_binary(), alone, std::filesystem::copy_options::overwrite_existing);
  const std::string out = dir / "out";
  std::string command = "'";
  command += alone.string();
  command += "' serve -m '";
  command += (fixtures_dir() / "gpt2-tiny").string();
  command += "' --port 0 >/dev/null 2>'";
  command += out;
  command += "'";
  const int status = std::system(command.c_str());
  const std::string err = read_file_text(out);
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  EXPECT_NE(err.find("cannot run " + (dir / "tokprob-serve").string()), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

}  // namespace
}  // namespace tokprob::testing
