// Wall-clock timing and the two statistics the benchmark reports: best (least disturbed by other
// processes) and median (what a user typically sees).
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace tokprob::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Summary {
  double best = 0, median = 0;
  std::vector<double> runs;  // seconds, in the order measured
};

inline Summary summarize(std::vector<double> runs) {
  Summary s;
  s.runs = runs;
  if (runs.empty()) return s;
  std::sort(runs.begin(), runs.end());
  s.best = runs.front();
  const size_t n = runs.size();
  s.median = n % 2 ? runs[n / 2] : 0.5 * (runs[n / 2 - 1] + runs[n / 2]);
  return s;
}

// Runs `fn` `repeats` times and summarizes the wall time of each run.
template <class Fn>
Summary time_runs(int repeats, Fn&& fn) {
  std::vector<double> runs;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    fn();
    runs.push_back(seconds_since(start));
  }
  return summarize(std::move(runs));
}

}  // namespace tokprob::bench
