#include "server/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <charconv>

namespace tokprob {

namespace {

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;  // shortest text that reads back as v
  return std::string(buf, end);
}

// Label values are route paths and digits: only `\`, `"` and newlines would need escaping.
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

const std::vector<double> kLatencyBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
const std::vector<double> kBatchBounds = {1, 2, 4, 8, 16, 32, 64, 128};

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  const auto at = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  ++counts_[static_cast<size_t>(at)];
  sum_ += value;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? number(bounds_[i]) : "+Inf";
    out += name + "_bucket{" + labels + sep + "le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + number(sum_) + "\n";
  out += name + "_count" + braces + " " + std::to_string(count_) + "\n";
}

Metrics::Metrics() : batch_sizes_(kBatchBounds) {}

void Metrics::set_endpoints(std::vector<std::string> endpoints) {
  std::lock_guard lock(mutex_);
  endpoints_ = std::move(endpoints);
}

void Metrics::request_done(std::string_view endpoint, int status, double seconds, int64_t tokens_in,
                           int64_t tokens_out) {
  std::lock_guard lock(mutex_);
  const bool known = std::find(endpoints_.begin(), endpoints_.end(), endpoint) != endpoints_.end();
  const std::string name = known ? std::string(endpoint) : "other";
  ++requests_[{name, status}];
  latency_.try_emplace(name, kLatencyBounds).first->second.observe(seconds);
  tokens_in_ += static_cast<uint64_t>(std::max<int64_t>(0, tokens_in));
  tokens_out_ += static_cast<uint64_t>(std::max<int64_t>(0, tokens_out));
}

void Metrics::batch_run(int64_t sequences) {
  std::lock_guard lock(mutex_);
  batch_sizes_.observe(static_cast<double>(sequences));
}

std::string Metrics::prometheus_text(const Gauges& gauges) const {
  std::lock_guard lock(mutex_);
  std::string out;
  header(out, "tokprob_requests_total", "counter", "HTTP requests answered, by endpoint and status.");
  for (const auto& [key, n] : requests_)
    out += "tokprob_requests_total{endpoint=\"" + label_value(key.first) + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  header(out, "tokprob_request_duration_seconds", "histogram", "Wall time of a request, by endpoint.");
  for (const auto& [endpoint, h] : latency_)
    h.render(out, "tokprob_request_duration_seconds", "endpoint=\"" + label_value(endpoint) + "\"");
  header(out, "tokprob_prompt_tokens_total", "counter", "Tokens of the requests' texts read by the model.");
  out += "tokprob_prompt_tokens_total " + std::to_string(tokens_in_) + "\n";
  header(out, "tokprob_generated_tokens_total", "counter", "Tokens generated.");
  out += "tokprob_generated_tokens_total " + std::to_string(tokens_out_) + "\n";
  header(out, "tokprob_batch_size", "histogram", "Requests' sequences merged into one forward pass.");
  batch_sizes_.render(out, "tokprob_batch_size", "");
  header(out, "tokprob_queue_depth", "gauge", "Connections waiting for a request thread.");
  out += "tokprob_queue_depth " + std::to_string(gauges.queue_depth) + "\n";
  header(out, "tokprob_requests_in_progress", "gauge", "Requests being answered.");
  out += "tokprob_requests_in_progress " + std::to_string(gauges.requests_in_progress) + "\n";
  header(out, "tokprob_ready", "gauge", "1 when the server takes requests (model loaded, not draining).");
  out += std::string("tokprob_ready ") + (gauges.ready ? "1" : "0") + "\n";
  return out;
}

}  // namespace tokprob
