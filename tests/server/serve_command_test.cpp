// `tokprob serve` as a process: prints where it serves once the model is loaded, answers, and exits
// 0 on SIGTERM and SIGINT with requests done.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <regex>
#include <thread>

#include "cli_runner.hpp"
#include "running_server.hpp"
#include "tokprob/error.hpp"

namespace tokprob::testing {
namespace {

struct ServeProcess {
  pid_t pid = -1;
  std::filesystem::path out, err;
};

ServeProcess start_serve(const std::filesystem::path& model, const std::string& tag, int port = 0) {
  ServeProcess p;
  p.out = std::filesystem::temp_directory_path() / ("tokprob_serve_" + std::to_string(::getpid()) + "_" + tag);
  p.err = p.out;
  p.err += ".err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, p.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, p.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const std::string bin = tokprob_binary().string(), m = model.string();
  std::vector<std::string> args = {bin, "serve", "-m", m, "--host", "127.0.0.1", "--port", std::to_string(port),
                                   "--threads", "1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (posix_spawn(&p.pid, bin.c_str(), &actions, nullptr, argv.data(), environ) != 0) p.pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return p;
}

// The port from "serving ... on http://127.0.0.1:PORT/", waiting at most 30 s for it.
int wait_for_port(const ServeProcess& p) {
  const std::regex line(R"(on http://127\.0\.0\.1:(\d+)/)");
  for (int i = 0; i < 300; ++i) {
    std::smatch m;
    const std::string text = read_file_text(p.out);
    if (std::regex_search(text, m, line)) return std::stoi(m[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

// Exit status, waiting at most 20 s (then the process is killed and -1 returned).
int wait_for_exit(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

TEST(ServeCommand, AnswersAndStopsCleanlyOnSignals) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  for (int sig : {SIGTERM, SIGINT}) {
    ServeProcess p = start_serve(fixtures_dir() / "gpt2-tiny", std::to_string(sig));
    ASSERT_GT(p.pid, 0);
    const int port = wait_for_port(p);
    if (port <= 0) {
      kill(p.pid, SIGKILL);
      waitpid(p.pid, nullptr, 0);
      FAIL() << "no port printed: " << read_file_text(p.out);
    }
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(30, 0);
    auto res = c.Post("/v1/next", R"({"text": "To be or not to", "top_k": 2})", "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    kill(p.pid, sig);
    EXPECT_EQ(wait_for_exit(p.pid), 0) << "signal " << sig;
    EXPECT_NE(read_file_text(p.out).find("stopped"), std::string::npos);
    std::filesystem::remove(p.out);
    std::filesystem::remove(p.err);
  }
}

// Two servers on one port would split its clients at random between them (SO_REUSEPORT).
TEST(ServeCommand, PortInUseIsRefused) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  RunningServer first("gpt2-tiny");
  ServerOptions o;
  o.host = "127.0.0.1";
  o.port = first.port();
  HttpServer second(load_served_model(fixtures_dir() / "gpt2-tiny", o.max_batch), o);
  try {
    second.bind();
    ADD_FAILURE() << "a second server bound port " << first.port();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("address already in use"), std::string::npos) << e.what();
  }

  ServeProcess p = start_serve(fixtures_dir() / "gpt2-tiny", "in_use", first.port());
  ASSERT_GT(p.pid, 0);
  const int status = wait_for_exit(p.pid);
  EXPECT_NE(status, 0);
  EXPECT_NE(status, -1) << "still serving: " << read_file_text(p.out);
  EXPECT_NE(read_file_text(p.err).find("address already in use"), std::string::npos) << read_file_text(p.err);
  EXPECT_EQ(read_file_text(p.out).find("serving"), std::string::npos) << read_file_text(p.out);
  EXPECT_EQ(first.get("/health").first, 200);
  std::filesystem::remove(p.out);
  std::filesystem::remove(p.err);
}

// The model loads after listening starts (a load balancer sees a replica that starts, not a dead
// one); a load that fails ends the process with its one-line error instead of leaving it listening.
TEST(ServeCommand, AFailedLoadExitsWithItsError) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = std::filesystem::temp_directory_path() / ("tokprob_no_weights_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const char* file : {"config.json", "tokenizer.json", "tokenizer_config.json"})
    std::filesystem::copy_file(fixtures_dir() / "gpt2-tiny" / file, dir / file,
                               std::filesystem::copy_options::overwrite_existing);
  ServeProcess p = start_serve(dir, "no_weights");
  ASSERT_GT(p.pid, 0);
  const int status = wait_for_exit(p.pid);
  const std::string out = read_file_text(p.out), err = read_file_text(p.err);
  EXPECT_NE(status, 0) << err;
  EXPECT_NE(status, -1) << "still running: " << out << err;
  EXPECT_EQ(out.find("serving"), std::string::npos) << out;
  // What it printed while loading, then the load's error, each one line.
  const auto listening = err.find("listening on 127.0.0.1:");
  EXPECT_NE(listening, std::string::npos) << err;
  const auto error_line = err.find('\n', listening) + 1;
  ASSERT_LT(error_line, err.size()) << err;
  const std::string error = err.substr(error_line);
  EXPECT_EQ(error.rfind("tokprob: ", 0), 0u) << error;
  EXPECT_NE(error.find(dir.filename().string()), std::string::npos) << "names the folder: " << error;
  EXPECT_EQ(error.find('\n'), error.size() - 1) << "one line: " << error;
  std::filesystem::remove_all(dir);
  std::filesystem::remove(p.out);
  std::filesystem::remove(p.err);
}

TEST(ServeCommand, BadOptionsExit2) {
  auto r = run_tokprob({"serve", "-m", "/nonexistent", "--max-batch", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--max-batch"), std::string::npos) << r.err;
  r = run_tokprob({"serve", "--port", "80"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

}  // namespace
}  // namespace tokprob::testing
