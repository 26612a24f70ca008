// What the engine costs on the benchmark model: starting the command, answering one prompt with
// everything loaded, a batch prefill, and token-by-token decoding with the KV cache.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "models/causal_lm.hpp"
#include "timing.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob::bench {

// Wall time from spawning `tokprob next -m DIR --threads N PROMPT` to its exit (its top-10 printed),
// `runs` times after one unmeasured run that warms the page cache (and fills the cache of
// converted weights). `weight_cache` is the command's TOKPROB_WEIGHT_CACHE: a folder, or "off" to
// convert at every start. Throws if the command fails.
// The peak resident memory of `tokprob next --threads 1 --dtype DTYPE` (the most of `runs` runs,
// from wait4), after an unmeasured run that fills `weight_cache` ("off": none); their wall times.
// A child's ru_maxrss starts from the resident size of the process it was spawned from (Linux
// keeps the old memory's high-water mark across exec), and the benchmark holds a model: the
// measured commands are spawned through `tokprob_bench --peak-rss-of CMD ARGS...`, freshly started
// and small, which runs CMD (this environment, this stdout), prints "peak-rss-kib N" after its
// output and exits with its status.
inline constexpr const char* kPeakRssLauncherFlag = "--peak-rss-of";
int run_peak_rss_launcher(char** argv);  // argv: CMD ARGS..., null-terminated
struct PeakRss {
  uint64_t bytes = 0;
  Summary cold;
};
PeakRss next_peak_rss(const std::filesystem::path& tokprob, const std::filesystem::path& model_dir,
                      const std::string& prompt, int runs, const std::string& dtype, const std::string& weight_cache);

Summary cold_start(const std::filesystem::path& tokprob, const std::filesystem::path& model_dir,
                   const std::string& prompt, int threads, int runs, const std::string& dtype,
                   const std::string& weight_cache);

// The parts of a start that happen inside the process, timed in-process (page cache warm), to tell
// what dominates the cold start; the rest of it is process start-up, dynamic loading and exit.
struct LoadBreakdown {
  struct Part {
    double wall_s = 0, cpu_s = 0;
  };
  Part tokenizer;         // Tokenizer::from_folder, parsing tokenizer.json
  Part tokenizer_cached;  // the same from its cache file (loaded once before, to write it)
  Part model;          // read_model_config + load_causal_lm (maps the weights)
  Part first_answer;   // first next_token_distribution: faults the mapped weights in
  Part second_answer;  // the same again, pages now mapped
};
// `tokenizer_cache`: an empty folder for the cache file of the parsed tokenizer.
LoadBreakdown load_breakdown(const std::filesystem::path& model_dir, const std::string& prompt,
                             const std::filesystem::path& tokenizer_cache);

// next_token_distribution (top-10) on one prompt with model and tokenizer loaded.
Summary warm_next_latency(const CausalLM& model, const Tokenizer& tokenizer, const std::string& prompt, int repeats);

// One ragged forward of `batch` fresh sequences of `length` tokens, logits for each last row.
Summary prefill(const CausalLM& model, int64_t batch, int64_t length, int repeats);

// Per run: prefill `prompt`, then `steps` greedy steps of one token each (logits for that row,
// argmax, feed back); the summary is of seconds per generated token.
Summary decode(const CausalLM& model, const std::vector<int32_t>& prompt, int steps, int repeats);

}  // namespace tokprob::bench
