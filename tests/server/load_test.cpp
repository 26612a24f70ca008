// Many clients at once on loopback: every answer equals the one the same request gets alone, no
// request fails, and all finish in bounded time (requests batch across clients in the worker).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <iostream>

#include "running_server.hpp"

namespace tokprob::testing {
namespace {

// Batch composition changes the BLAS blocking, so an answer may differ from the lone one in the
// last float bits: ids must be equal, probabilities within the project's 1e-5.
void expect_same_answer(const nlohmann::json& got, const nlohmann::json& alone, const std::string& what) {
  const auto& a = got["results"][0];
  const auto& b = alone["results"][0];
  ASSERT_EQ(a["input_ids"], b["input_ids"]) << what;
  ASSERT_EQ(a["top"].size(), b["top"].size()) << what;
  for (size_t k = 0; k < a["top"].size(); ++k) {
    EXPECT_EQ(a["top"][k]["id"], b["top"][k]["id"]) << what << " rank " << k;
    EXPECT_NEAR(a["top"][k]["prob"].get<double>(), b["top"][k]["prob"].get<double>(), 1e-5) << what;
  }
}

TEST(ServerLoad, ConcurrentNextRequestsGetTheirLoneAnswers) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  ServerOptions o;
  o.http_threads = 32;
  o.max_batch = 32;
  RunningServer server("gpt2-tiny", o);
  const auto golden = load_json(fixtures_dir() / "gpt2-tiny" / "golden.json");
  std::vector<std::string> texts;
  for (const auto& p : golden["prompts"]) texts.push_back(p["text"]);
  texts.push_back("Once upon a time");
  texts.push_back("The capital of France is");

  std::vector<nlohmann::json> alone;
  for (const auto& t : texts) {
    auto [status, body] = server.post("/v1/next", nlohmann::json{{"text", t}, {"top_k", 5}});
    ASSERT_EQ(status, 200) << body.dump();
    alone.push_back(body);
  }

  constexpr int kRequests = 64;
  std::vector<nlohmann::json> answers(kRequests);
  std::vector<int> statuses(kRequests, 0);
  std::atomic<int> ready{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int i = 0; i < kRequests; ++i)
    clients.emplace_back([&, i] {
      ready++;
      while (ready.load() < kRequests) std::this_thread::yield();  // all start together
      const auto& t = texts[i % texts.size()];
      auto [status, body] = server.post("/v1/next", nlohmann::json{{"text", t}, {"top_k", 5}});
      statuses[i] = status;
      answers[i] = std::move(body);
    });
  for (auto& c : clients) c.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(statuses[i], 200) << "request " << i << ": " << answers[i].dump();
    expect_same_answer(answers[i], alone[i % texts.size()], "request " + std::to_string(i));
  }
  EXPECT_LT(seconds, 60.0);
  const auto health = server.get("/health").second;
  std::cout << "[ load ] " << kRequests << " concurrent /v1/next requests from " << kRequests << " threads in "
            << seconds << " s; batching " << health["batching"].dump() << '\n';
}

TEST(ServerLoad, ConcurrentMixedRequestsWithErrorsDoNotDisturbOthers) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  ServerOptions o;
  o.http_threads = 16;
  RunningServer server("gpt2-tiny", o);
  const nlohmann::json good = {{"prompt", "To be or not to"}, {"max_tokens", 0}, {"echo", true}, {"logprobs", 2}};
  auto [s0, alone] = server.post("/v1/completions", good);
  ASSERT_EQ(s0, 200);
  constexpr int kRequests = 48;
  std::vector<int> statuses(kRequests, 0);
  std::vector<nlohmann::json> answers(kRequests);
  std::vector<std::thread> clients;
  for (int i = 0; i < kRequests; ++i)
    clients.emplace_back([&, i] {
      std::pair<int, nlohmann::json> r;
      if (i % 3 == 0) r = server.post("/v1/next", std::string("{broken"));
      else if (i % 3 == 1) r = server.post("/v1/next", nlohmann::json{{"text", "a b"}, {"position", 9}});
      else r = server.post("/v1/completions", good);
      statuses[i] = r.first;
      answers[i] = std::move(r.second);
    });
  for (auto& c : clients) c.join();
  for (int i = 0; i < kRequests; ++i) {
    if (i % 3 != 2) {
      EXPECT_EQ(statuses[i], 400) << i << " " << answers[i].dump();
      continue;
    }
    ASSERT_EQ(statuses[i], 200) << answers[i].dump();
    const auto& a = answers[i]["choices"][0]["logprobs"]["token_logprobs"];
    const auto& b = alone["choices"][0]["logprobs"]["token_logprobs"];
    ASSERT_EQ(a.size(), b.size());
    for (size_t k = 1; k < a.size(); ++k) EXPECT_NEAR(a[k].get<double>(), b[k].get<double>(), 1e-5);
  }
}

}  // namespace
}  // namespace tokprob::testing
