// Wall-clock timing and the two statistics the benchmark reports: best (least disturbed by other
// processes) and median (what a user typically sees).
#pragma once

#include <time.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace tokprob::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of every thread of this process. On a machine shared with other work, wall time counts
// the time other processes had the cores; CPU time divided by the thread count estimates what an
// undisturbed run would take (exact with one thread, a lower bound with more, as threads may idle).
inline double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

inline double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Summary {
  double best = 0, median = 0;  // wall seconds
  double cpu_median = 0;        // CPU seconds of all threads
  std::vector<double> runs, cpu_runs;  // in the order measured
};

inline Summary summarize(std::vector<double> wall, std::vector<double> cpu) {
  Summary s;
  s.best = wall.empty() ? 0 : *std::min_element(wall.begin(), wall.end());
  s.median = median_of(wall);
  s.cpu_median = median_of(cpu);
  s.runs = std::move(wall);
  s.cpu_runs = std::move(cpu);
  return s;
}

// Runs `fn` `repeats` times and summarizes the wall and CPU time of each run.
template <class Fn>
Summary time_runs(int repeats, Fn&& fn) {
  std::vector<double> wall, cpu;
  for (int i = 0; i < repeats; ++i) {
    const double cpu_start = process_cpu_seconds();
    const auto start = Clock::now();
    fn();
    wall.push_back(seconds_since(start));
    cpu.push_back(process_cpu_seconds() - cpu_start);
  }
  return summarize(std::move(wall), std::move(cpu));
}

}  // namespace tokprob::bench
