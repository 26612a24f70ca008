// What `GET /metrics` reports, in the Prometheus text format (version 0.0.4): requests by endpoint
// and status, tokens in and out, request latency and batch size histograms, and the gauges the
// server reads when asked (queue depth, requests in progress). Thread-safe; updates are cheap.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tokprob {

// Counts of observations at most each bound, their sum and count (a Prometheus histogram).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  // The `name` histogram's lines, with `labels` ("endpoint=\"/v1/score\"", or empty) on each.
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative (cumulated when rendered)
  double sum_ = 0;
  uint64_t count_ = 0;
};

struct Gauges {
  int64_t queue_depth = 0;          // connections waiting for a request thread
  int64_t requests_in_progress = 0;
  bool ready = true;
};

class Metrics {
 public:
  Metrics();
  // A finished request: its endpoint (a route's path; anything else is counted as "other"), HTTP
  // status, wall time and the tokens it read and generated.
  void request_done(std::string_view endpoint, int status, double seconds, int64_t tokens_in, int64_t tokens_out);
  // One forward pass of the batching model, merging `sequences` requests' chunks.
  void batch_run(int64_t sequences);
  // The endpoints counted by name; every other path is "other" (bounded label values).
  void set_endpoints(std::vector<std::string> endpoints);

  std::string prometheus_text(const Gauges& gauges) const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> endpoints_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  Histogram batch_sizes_;
  uint64_t tokens_in_ = 0, tokens_out_ = 0;
};

}  // namespace tokprob
