// tokprob_call_bench MODEL TEXT [K] [CALLS] [THREADS] [DTYPE]: the wall time of one `next` call through
// the public C++ API, the same call bench/python/call_overhead.py makes through the Python package, so
// that the script can report Python's overhead as a ratio measured in one run; with a long TEXT, the
// time of its prefill (bench/llamacpp/compare.sh). Prints one JSON line.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <tokprob/tokprob.hpp>

#include "../timing.hpp"

namespace {

int64_t int_arg(int argc, char** argv, int i, int64_t fallback) {
  if (i >= argc) return fallback;
  const std::string_view s(argv[i]);
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0)
    throw tokprob::Error("argument " + std::to_string(i) + " is not a non-negative integer: " + std::string(s));
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: tokprob_call_bench MODEL TEXT [K=10] [CALLS=2000] [THREADS=1] [DTYPE=fp32]\n";
    return 2;
  }
  try {
    tokprob::LoadOptions load(argc > 6 ? tokprob::parse_weight_format(argv[6]) : tokprob::WeightFormat::f32);
    load.threads = static_cast<int>(int_arg(argc, argv, 5, 1));
    const tokprob::Model model = tokprob::load_folder(argv[1], load);
    tokprob::NextOptions options;
    options.top_k = int_arg(argc, argv, 3, 10);
    const int64_t calls = int_arg(argc, argv, 4, 2000);
    const std::vector<std::string> texts = {argv[2]};
    // Warm-up: first-touch of the weights and the allocator's pools are not per-call costs (a few
    // calls are enough: a long text's call is long).
    for (int64_t i = 0; i < std::min<int64_t>(20, std::max<int64_t>(calls, 2)); ++i) tokprob::next(model, texts, options);
    std::vector<double> runs;
    runs.reserve(static_cast<size_t>(calls));
    size_t tokens = 0;
    for (int64_t i = 0; i < calls; ++i) {
      const auto start = tokprob::bench::Clock::now();
      const std::vector<tokprob::NextResult> r = tokprob::next(model, texts, options);
      runs.push_back(tokprob::bench::seconds_since(start));
      tokens = r.at(0).input_ids.size();
    }
    const double best = *std::min_element(runs.begin(), runs.end());
    std::printf("{\"calls\": %lld, \"tokens\": %zu, \"median_us\": %.3f, \"best_us\": %.3f}\n",
                static_cast<long long>(calls), tokens, 1e6 * tokprob::bench::median_of(runs), 1e6 * best);
    return 0;
  } catch (const tokprob::Error& e) {
    std::cerr << "tokprob_call_bench: " << e.what() << '\n';
    return e.exit_code();
  }
}
