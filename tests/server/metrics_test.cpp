// The Prometheus text of /metrics, checked line by line against what was recorded.
#include "server/metrics.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

namespace tokprob {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l))
    if (l == line) return true;
  return false;
}

TEST(Metrics, CountsRequestsByEndpointAndStatusWithOtherPathsPooled) {
  Metrics m;
  m.set_endpoints({"/v1/score", "/v1/next"});
  m.request_done("/v1/score", 200, 0.003, 10, 0);
  m.request_done("/v1/score", 200, 0.2, 5, 0);
  m.request_done("/v1/score", 400, 0.001, 0, 0);
  m.request_done("/no/such/path", 404, 0.001, 0, 0);
  m.request_done("/also/unknown", 404, 0.001, 0, 0);
  const std::string t = m.prometheus_text({});
  EXPECT_TRUE(has_line(t, "tokprob_requests_total{endpoint=\"/v1/score\",status=\"200\"} 2")) << t;
  EXPECT_TRUE(has_line(t, "tokprob_requests_total{endpoint=\"/v1/score\",status=\"400\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "tokprob_requests_total{endpoint=\"other\",status=\"404\"} 2")) << t;
  EXPECT_TRUE(has_line(t, "tokprob_prompt_tokens_total 15")) << t;
  EXPECT_TRUE(has_line(t, "# TYPE tokprob_requests_total counter")) << t;
}

TEST(Metrics, HistogramsAreCumulativeWithSumAndCount) {
  Metrics m;
  m.set_endpoints({"/v1/next"});
  for (double s : {0.004, 0.005, 0.02, 3.0, 100.0}) m.request_done("/v1/next", 200, s, 1, 2);
  for (int64_t b : {1, 3, 3, 40}) m.batch_run(b);
  const std::string t = m.prometheus_text({});
  const std::string h = "tokprob_request_duration_seconds_bucket{endpoint=\"/v1/next\",le=";
  EXPECT_TRUE(has_line(t, h + "\"0.005\"} 2")) << t;  // bounds are inclusive
  EXPECT_TRUE(has_line(t, h + "\"0.025\"} 3")) << t;
  EXPECT_TRUE(has_line(t, h + "\"5\"} 4")) << t;
  EXPECT_TRUE(has_line(t, h + "\"+Inf\"} 5")) << t;
  EXPECT_TRUE(has_line(t, "tokprob_request_duration_seconds_count{endpoint=\"/v1/next\"} 5")) << t;
  EXPECT_TRUE(has_line(t, "tokprob_generated_tokens_total 10")) << t;
  EXPECT_TRUE(has_line(t, "tokprob_batch_size_bucket{le=\"1\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "tokprob_batch_size_bucket{le=\"4\"} 3")) << t;
  EXPECT_TRUE(has_line(t, "tokprob_batch_size_bucket{le=\"32\"} 3")) << t;
  EXPECT_TRUE(has_line(t, "tokprob_batch_size_bucket{le=\"+Inf\"} 4")) << t;
  EXPECT_TRUE(has_line(t, "tokprob_batch_size_sum 47")) << t;
  EXPECT_TRUE(has_line(t, "tokprob_batch_size_count 4")) << t;
}

TEST(Metrics, GaugesAreWhatTheServerSays) {
  Metrics m;
  Gauges g;
  g.queue_depth = 7;
  g.requests_in_progress = 3;
  g.ready = false;
  const std::string t = m.prometheus_text(g);
  EXPECT_TRUE(has_line(t, "tokprob_queue_depth 7")) << t;
  EXPECT_TRUE(has_line(t, "tokprob_requests_in_progress 3")) << t;
  EXPECT_TRUE(has_line(t, "tokprob_ready 0")) << t;
  EXPECT_TRUE(has_line(t, "# TYPE tokprob_queue_depth gauge")) << t;
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  Metrics m;
  m.set_endpoints({"/v1/score"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) m.request_done("/v1/score", 200, 0.01, 1, 0);
    });
  for (auto& t : threads) t.join();
  const std::string text = m.prometheus_text({});
  EXPECT_TRUE(has_line(text, "tokprob_requests_total{endpoint=\"/v1/score\",status=\"200\"} 4000")) << text;
  EXPECT_TRUE(has_line(text, "tokprob_prompt_tokens_total 4000")) << text;
}

}  // namespace
}  // namespace tokprob
