#include "engine_timings.hpp"

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>

#include "models/registry.hpp"
#include "tasks/next.hpp"
#include "tokprob/error.hpp"

extern char** environ;

namespace tokprob::bench {

namespace {

// Runs argv to completion with stdout captured; returns its wall time and sets `cpu_s` to the CPU
// time the child used. Throws on failure.
double run_command(const std::vector<std::string>& args, const std::vector<std::string>& env, std::string& output,
                   double& cpu_s) {
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int out[2];
  if (pipe(out) != 0) fail(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, out[1]);

  const auto start = Clock::now();
  pid_t pid = 0;
  const int err = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (err != 0) {
    close(out[0]);
    fail("cannot run " + args[0] + ": " + std::strerror(err) + " (build it, or pass --tokprob)");
  }
  output.clear();
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    output.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  const double seconds = seconds_since(start);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  cpu_s = sec(usage.ru_utime) + sec(usage.ru_stime);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail(args[0] + " failed (exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  return seconds;
}

}  // namespace

Summary cold_start(const std::filesystem::path& tokprob, const std::filesystem::path& model_dir,
                   const std::string& prompt, int threads, int runs, const std::string& dtype,
                   const std::string& weight_cache) {
  const std::vector<std::string> args = {tokprob.string(), "next", "-m",  model_dir.string(), "--threads",
                                         std::to_string(threads), "--dtype", dtype, prompt};
  // This process's environment with the cache setting replaced.
  std::vector<std::string> env = {"TOKPROB_WEIGHT_CACHE=" + weight_cache};
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "TOKPROB_WEIGHT_CACHE=", 21) != 0) env.emplace_back(*e);
  std::string output;
  double cpu = 0;
  run_command(args, env, output, cpu);
  if (output.empty()) fail(tokprob.string() + " next printed nothing");
  std::vector<double> wall, cpus;
  for (int i = 0; i < runs; ++i) {
    wall.push_back(run_command(args, env, output, cpu));
    cpus.push_back(cpu);
  }
  return summarize(std::move(wall), std::move(cpus));
}

PeakRss next_peak_rss(const std::filesystem::path& tokprob, const std::filesystem::path& model_dir,
                      const std::string& prompt, int runs, const std::string& dtype, const std::string& weight_cache) {
  const std::vector<std::string> args = {tokprob.string(), "next", "-m", model_dir.string(), "--threads", "1",
                                         "--dtype", dtype, prompt};
  std::vector<std::string> env = {"TOKPROB_WEIGHT_CACHE=" + weight_cache};
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "TOKPROB_WEIGHT_CACHE=", 21) != 0) env.emplace_back(*e);
  std::string output;
  double cpu = 0;
  run_command(args, env, output, cpu);  // fills the cache, if any: the measured runs map it
  std::vector<std::string> launched = {"/proc/self/exe", kPeakRssLauncherFlag};
  launched.insert(launched.end(), args.begin(), args.end());
  PeakRss r;
  std::vector<double> wall, cpus;
  for (int i = 0; i < runs; ++i) {
    wall.push_back(run_command(launched, env, output, cpu));
    cpus.push_back(cpu);
    const auto at = output.rfind("peak-rss-kib ");
    if (at == std::string::npos) fail("the peak-RSS launcher printed no peak-rss-kib line");
    r.bytes = std::max<uint64_t>(r.bytes, std::stoull(output.substr(at + 13)) * 1024);
  }
  r.cold = summarize(std::move(wall), std::move(cpus));
  return r;
}

int run_peak_rss_launcher(char** argv) {
  pid_t pid = 0;
  if (const int err = posix_spawn(&pid, argv[0], nullptr, nullptr, argv, environ); err != 0) {
    std::fprintf(stderr, "cannot run %s: %s\n", argv[0], std::strerror(err));
    return 127;
  }
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  std::printf("peak-rss-kib %ld\n", usage.ru_maxrss);  // Linux gives KiB
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

LoadBreakdown load_breakdown(const std::filesystem::path& model_dir, const std::string& prompt,
                             const std::filesystem::path& tokenizer_cache) {
  auto timed = [](auto&& fn) {
    const double cpu = process_cpu_seconds();
    const auto start = Clock::now();
    fn();
    return LoadBreakdown::Part{seconds_since(start), process_cpu_seconds() - cpu};
  };
  LoadBreakdown b;
  std::optional<Tokenizer> tokenizer;
  std::unique_ptr<CausalLM> model;
  TokenizerOptions cached;
  cached.cache_dir = tokenizer_cache;
  Tokenizer::from_folder(model_dir, cached);  // writes the cache file
  b.tokenizer_cached = timed([&] { tokenizer.emplace(Tokenizer::from_folder(model_dir, cached)); });
  b.tokenizer = timed([&] { tokenizer.emplace(Tokenizer::from_folder(model_dir)); });
  b.model = timed([&] { model = load_causal_lm(model_dir, read_model_config(model_dir)); });
  const std::string texts[] = {prompt};
  const NextOptions options;
  b.first_answer = timed([&] { next_token_distribution(*model, *tokenizer, texts, options); });
  b.second_answer = timed([&] { next_token_distribution(*model, *tokenizer, texts, options); });
  return b;
}

Summary warm_next_latency(const CausalLM& model, const Tokenizer& tokenizer, const std::string& prompt, int repeats) {
  const std::string texts[] = {prompt};
  NextOptions options;
  next_token_distribution(model, tokenizer, texts, options);  // warm-up
  return time_runs(repeats, [&] { next_token_distribution(model, tokenizer, texts, options); });
}

Summary prefill(const CausalLM& model, int64_t batch, int64_t length, int repeats) {
  // Fixed pseudo-random ids: the cost does not depend on them, only their count.
  std::vector<std::vector<int32_t>> ids(batch);
  uint32_t x = 12345;
  for (auto& seq : ids)
    for (int64_t i = 0; i < length; ++i) {
      x = x * 1664525u + 1013904223u;
      seq.push_back(static_cast<int32_t>((x >> 8) % static_cast<uint32_t>(model.info().vocab_size)));
    }
  auto run = [&] {
    std::vector<std::unique_ptr<DecoderState>> states;
    std::vector<DecodeChunk> chunks;
    for (auto& seq : ids) {
      states.push_back(model.new_state());
      chunks.push_back({states.back().get(), seq, {length - 1}});
    }
    model.forward(chunks);
  };
  run();  // warm-up
  return time_runs(repeats, run);
}

Summary decode(const CausalLM& model, const std::vector<int32_t>& prompt, int steps, int repeats) {
  const int64_t V = model.info().vocab_size;
  auto run = [&] {
    auto state = model.new_state();
    std::vector<DecodeChunk> chunk = {{state.get(), prompt, {static_cast<int64_t>(prompt.size()) - 1}}};
    std::vector<float> logits = model.forward(chunk);
    const double cpu_start = process_cpu_seconds();
    const auto start = Clock::now();
    for (int s = 0; s < steps; ++s) {
      const int32_t next = static_cast<int32_t>(std::max_element(logits.begin(), logits.begin() + V) - logits.begin());
      chunk = {{state.get(), std::span<const int32_t>(&next, 1), {0}}};
      logits = model.forward(chunk);
    }
    return std::pair{seconds_since(start) / steps, (process_cpu_seconds() - cpu_start) / steps};
  };
  run();  // warm-up
  std::vector<double> wall, cpu;
  for (int r = 0; r < repeats; ++r) {
    const auto [w, c] = run();
    wall.push_back(w);
    cpu.push_back(c);
  }
  return summarize(std::move(wall), std::move(cpu));
}

}  // namespace tokprob::bench
