// tokprob_bench: the engine's speed on distilgpt2-sized weights, each figure printed next to the
// machine bound it should approach (measured in the same run) and the ratio between the two.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bounds.hpp"
#include "engine_timings.hpp"
#include "kernels/linear.hpp"
#include "model_writer.hpp"
#include "models/registry.hpp"
#include "tokprob/error.hpp"

namespace tokprob::bench {
namespace {

// A 5-token prompt for GPT-2's vocabulary: "The", " quick", " brown", " fox", " jumps".
const std::string kPrompt = "The quick brown fox jumps";
constexpr int64_t kBatch = 32, kBatchLength = 16;  // the throughput batch: 32 prompts of 16 tokens
constexpr int kDecodeSteps = 32;
constexpr int kSgemmSize = 2048;
constexpr size_t kReadBufferBytes = size_t{1} << 30;

// Targets from the issues: how close each figure should come to its bound.
constexpr double kColdStartMaxPasses = 8;    // cold start <= 8 one-pass weight reads
constexpr double kPrefillMinPeakPct = 60;    // batch prefill >= 60% of sgemm peak
constexpr double kDecodeMinBoundPct = 80;    // decode >= 80% of the bandwidth bound

struct Settings {
  std::string model_dir = "build/bench-distilgpt2";
  std::string tokprob = "build/tokprob";
  std::string fixtures;
  std::vector<int> threads = {1, 2};
  int repeats = 7;
  bool quick = false;
  bool json = false;
  std::vector<std::string> only;
};

struct ThreadFigures {
  int threads = 1;
  std::optional<double> bandwidth_gbs, sgemm_gflops;
  std::optional<Summary> cold, warm, prefill, decode;
};

void progress(const std::string& what) { std::cerr << "tokprob_bench: " << what << std::endl; }

// Floating-point operations of one prefill of `batch` × `length` tokens: the block matmuls on every
// token, causal attention (QKᵀ and AV over the positions each token sees), and the LM head on the
// one row per sequence whose logits are asked for. Norms, biases and activations are left out.
double prefill_flops(const Gpt2Shape& s, int64_t batch, int64_t length) {
  const double tokens = static_cast<double>(batch * length);
  const double matmul = 2.0 * static_cast<double>(s.block_matmul_params()) * tokens;
  // Token i (1-based) attends i positions: 2·C·i for scores plus 2·C·i for the weighted sum.
  const double attention =
      static_cast<double>(s.n_layer) * batch * 2.0 * s.n_embd * static_cast<double>(length * (length + 1));
  const double head = 2.0 * static_cast<double>(s.lm_head_params()) * batch;
  return matmul + attention + head;
}

struct Derived {
  double one_pass_s = 0;  // reading every weight once at the measured bandwidth
  std::optional<double> cold_passes, warm_passes, prefill_tok_s, prefill_gflops, prefill_peak_pct,
      decode_bound_s, decode_bound_pct;
};

Derived derive(const BenchModel& m, const ThreadFigures& f) {
  Derived d;
  if (f.prefill) {
    d.prefill_tok_s = static_cast<double>(kBatch * kBatchLength) / f.prefill->median;
    d.prefill_gflops = prefill_flops(m.shape, kBatch, kBatchLength) / f.prefill->median / 1e9;
    if (f.sgemm_gflops) d.prefill_peak_pct = 100.0 * *d.prefill_gflops / *f.sgemm_gflops;
  }
  if (!f.bandwidth_gbs) return d;
  const double bw = *f.bandwidth_gbs * 1e9;
  d.one_pass_s = static_cast<double>(m.weight_bytes) / bw;
  if (f.cold) d.cold_passes = f.cold->median / d.one_pass_s;
  if (f.warm) d.warm_passes = f.warm->median / d.one_pass_s;
  d.decode_bound_s = static_cast<double>(m.bytes_per_token) / bw;
  if (f.decode) d.decode_bound_pct = 100.0 * *d.decode_bound_s / f.decode->median;
  return d;
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string verdict(bool met) { return met ? "met" : "MISSED"; }

void print_table(const BenchModel& m, const Settings& st, const std::vector<ThreadFigures>& all,
                 const std::optional<LoadBreakdown>& load) {
  const auto& s = m.shape;
  std::printf("tokprob_bench: distilgpt2 shapes (%lld layers, d %lld, %lld heads, vocab %lld), random F32 weights, "
              "%.1f MB\n",
              static_cast<long long>(s.n_layer), static_cast<long long>(s.n_embd), static_cast<long long>(s.n_head),
              static_cast<long long>(s.vocab), m.weight_bytes / 1e6);
  std::printf("model folder %s (%s); %u CPUs; %d repeats; bounds are the best of their runs, engine figures the "
              "median.\nOther processes on the machine make every figure noisy; compare runs on a quiet machine.\n",
              m.dir.string().c_str(), m.reused ? "reused" : "written", std::thread::hardware_concurrency(), st.repeats);
  const char* row = "  %-34s %14s %12s   %-30s %-16s %-9s %s\n";
  for (const auto& f : all) {
    const Derived d = derive(m, f);
    std::printf("\nthreads %d\n", f.threads);
    if (f.bandwidth_gbs) std::printf("  memory read bandwidth (1 GiB, %d threads)  %8.2f GB/s\n", f.threads,
                                     *f.bandwidth_gbs);
    if (f.sgemm_gflops) std::printf("  sgemm peak (%d^3, OpenBLAS)              %8.2f GFLOP/s\n", kSgemmSize,
                                    *f.sgemm_gflops);
    std::printf(row, "figure", "median", "best", "bound", "ratio", "target", "");
    const std::string pass = d.one_pass_s > 0 ? "one weight pass " + fmt("%.1f ms", d.one_pass_s * 1e3) : "-";
    if (f.cold)
      std::printf(row, "cold start (tokprob next, 5 tok)", fmt("%.1f ms", f.cold->median * 1e3).c_str(),
                  fmt("%.1f ms", f.cold->best * 1e3).c_str(), pass.c_str(),
                  d.cold_passes ? fmt("%.1f passes", *d.cold_passes).c_str() : "-",
                  fmt("<= %.0f", kColdStartMaxPasses).c_str(),
                  d.cold_passes ? verdict(*d.cold_passes <= kColdStartMaxPasses).c_str() : "");
    if (f.warm)
      std::printf(row, "warm next-token latency (5 tok)", fmt("%.2f ms", f.warm->median * 1e3).c_str(),
                  fmt("%.2f ms", f.warm->best * 1e3).c_str(), pass.c_str(),
                  d.warm_passes ? fmt("%.2f passes", *d.warm_passes).c_str() : "-", "-", "");
    if (f.prefill) {
      const double tokens = static_cast<double>(kBatch * kBatchLength);
      const double flops = prefill_flops(m.shape, kBatch, kBatchLength);
      std::printf(row, "prefill 32x16, tokens/s", fmt("%.0f", tokens / f.prefill->median).c_str(),
                  fmt("%.0f", tokens / f.prefill->best).c_str(), "", "", "", "");
      std::printf(row, "prefill 32x16, GFLOP/s", fmt("%.1f", flops / f.prefill->median / 1e9).c_str(),
                  fmt("%.1f", flops / f.prefill->best / 1e9).c_str(),
                  f.sgemm_gflops ? ("sgemm peak " + fmt("%.1f", *f.sgemm_gflops)).c_str() : "-",
                  d.prefill_peak_pct ? fmt("%.0f %% of peak", *d.prefill_peak_pct).c_str() : "-",
                  fmt(">= %.0f %%", kPrefillMinPeakPct).c_str(),
                  d.prefill_peak_pct ? verdict(*d.prefill_peak_pct >= kPrefillMinPeakPct).c_str() : "");
    }
    if (f.decode)
      std::printf(row, "decode, ms/token (KV cache)", fmt("%.2f", f.decode->median * 1e3).c_str(),
                  fmt("%.2f", f.decode->best * 1e3).c_str(),
                  d.decode_bound_s ? ("bandwidth bound " + fmt("%.2f", *d.decode_bound_s * 1e3)).c_str() : "-",
                  d.decode_bound_pct ? fmt("%.0f %% of bound", *d.decode_bound_pct).c_str() : "-",
                  fmt(">= %.0f %%", kDecodeMinBoundPct).c_str(),
                  d.decode_bound_pct ? verdict(*d.decode_bound_pct >= kDecodeMinBoundPct).c_str() : "");
  }
  if (load) {
    std::printf("\ncold start, the in-process part (threads %d, page cache warm): tokenizer %.1f ms, model load "
                "%.1f ms,\n  first answer %.1f ms (faults the mapped weights in), second answer %.1f ms; the rest of a "
                "cold start is\n  process start-up, dynamic loading and exit.\n",
                all.front().threads, load->tokenizer_s * 1e3, load->model_s * 1e3, load->first_answer_s * 1e3,
                load->second_answer_s * 1e3);
  }
  std::printf("\nbounds: one weight pass = %.1f MB / bandwidth; decode bound = %.1f MB per token (all weights but "
              "the position table) / bandwidth;\n  prefill GFLOP = %.2f per batch (2·params·tokens + causal attention + "
              "LM head on 32 rows).\n",
              m.weight_bytes / 1e6, m.bytes_per_token / 1e6, prefill_flops(m.shape, kBatch, kBatchLength) / 1e9);
}

nlohmann::json summary_json(const std::optional<Summary>& s) {
  if (!s) return nullptr;
  return {{"best_s", s->best}, {"median_s", s->median}, {"runs_s", s->runs}};
}

template <class T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

void print_json(const BenchModel& m, const Settings& st, const std::vector<ThreadFigures>& all,
                const std::optional<LoadBreakdown>& load) {
  nlohmann::ordered_json j;
  j["model"] = {{"dir", m.dir.string()},       {"n_layer", m.shape.n_layer},   {"n_embd", m.shape.n_embd},
                {"n_head", m.shape.n_head},    {"vocab", m.shape.vocab},       {"weight_bytes", m.weight_bytes},
                {"bytes_per_token", m.bytes_per_token}, {"block_matmul_params", m.shape.block_matmul_params()}};
  j["settings"] = {{"repeats", st.repeats}, {"quick", st.quick}, {"prompt", kPrompt},
                   {"batch", kBatch},       {"batch_length", kBatchLength}, {"decode_steps", kDecodeSteps},
                   {"sgemm_n", kSgemmSize}, {"read_buffer_bytes", kReadBufferBytes},
                   {"cpus", std::thread::hardware_concurrency()}};
  j["prefill_flops"] = prefill_flops(m.shape, kBatch, kBatchLength);
  for (const auto& f : all) {
    const Derived d = derive(m, f);
    j["threads"].push_back({{"threads", f.threads},
                            {"bandwidth_gbs", opt(f.bandwidth_gbs)},
                            {"sgemm_gflops", opt(f.sgemm_gflops)},
                            {"cold_start", summary_json(f.cold)},
                            {"warm_next", summary_json(f.warm)},
                            {"prefill", summary_json(f.prefill)},
                            {"decode_per_token", summary_json(f.decode)},
                            {"one_pass_s", d.one_pass_s > 0 ? nlohmann::json(d.one_pass_s) : nlohmann::json(nullptr)},
                            {"cold_start_passes", opt(d.cold_passes)},
                            {"warm_next_passes", opt(d.warm_passes)},
                            {"prefill_tokens_per_s", opt(d.prefill_tok_s)},
                            {"prefill_gflops", opt(d.prefill_gflops)},
                            {"prefill_pct_of_sgemm_peak", opt(d.prefill_peak_pct)},
                            {"decode_bound_s", opt(d.decode_bound_s)},
                            {"decode_pct_of_bound", opt(d.decode_bound_pct)}});
  }
  if (load)
    j["cold_start_in_process"] = {{"tokenizer_s", load->tokenizer_s},
                                  {"model_load_s", load->model_s},
                                  {"first_answer_s", load->first_answer_s},
                                  {"second_answer_s", load->second_answer_s}};
  std::cout << j.dump(2) << '\n';
}

int run(const Settings& st) {
  const std::set<std::string> phases(st.only.begin(), st.only.end());
  auto wanted = [&](const char* p) { return phases.empty() || phases.count(p) > 0; };
  std::string fixtures = st.fixtures;
  if (fixtures.empty()) {
    const char* env = std::getenv("TOKPROB_FIXTURES");
    fixtures = env && *env ? env : "../shared/fixtures";
  }

  progress("preparing " + st.model_dir);
  const BenchModel m = prepare_distilgpt2_folder(st.model_dir, std::filesystem::path(fixtures) / "gpt2-tiny");
  const auto model = load_causal_lm(m.dir, read_model_config(m.dir));
  const Tokenizer tokenizer = Tokenizer::from_folder(m.dir);
  const std::vector<int32_t> prompt_ids = tokenizer.encode(kPrompt).ids;
  if (prompt_ids.size() != 5) progress("note: the prompt has " + std::to_string(prompt_ids.size()) + " tokens, not 5");

  std::optional<ReadBuffer> buffer;
  if (wanted("bounds")) buffer.emplace(kReadBufferBytes);
  const int decode_repeats = std::max(1, st.repeats / 2);

  std::vector<ThreadFigures> all;
  std::optional<LoadBreakdown> load;
  for (int n : st.threads) {
    ThreadFigures f;
    f.threads = n;
    const std::string t = " (" + std::to_string(n) + " thread" + (n > 1 ? "s)" : ")");
    if (wanted("bounds")) {
      progress("memory read bandwidth" + t);
      f.bandwidth_gbs = read_bandwidth_gbs(*buffer, n, std::max(3, st.repeats));
      progress("sgemm peak" + t);
      f.sgemm_gflops = sgemm_gflops(kSgemmSize, n, st.quick ? 2 : 3);
    }
    if (wanted("cold")) {
      progress("cold start" + t);
      f.cold = cold_start(st.tokprob, m.dir, kPrompt, n, st.repeats);
    }
    set_num_threads(n);
    if (wanted("cold") && !load) load = load_breakdown(m.dir, kPrompt);
    if (wanted("warm")) {
      progress("warm next-token latency" + t);
      f.warm = warm_next_latency(*model, tokenizer, kPrompt, 3 * st.repeats);
    }
    if (wanted("prefill")) {
      progress("prefill 32x16" + t);
      f.prefill = prefill(*model, kBatch, kBatchLength, st.repeats);
    }
    if (wanted("decode")) {
      progress("decode" + t);
      f.decode = decode(*model, prompt_ids, kDecodeSteps, decode_repeats);
    }
    all.push_back(f);
  }
  if (st.json)
    print_json(m, st, all, load);
  else
    print_table(m, st, all, load);
  return 0;
}

}  // namespace
}  // namespace tokprob::bench

int main(int argc, char** argv) {
  using namespace tokprob::bench;
  Settings st;
  CLI::App app{"tokprob_bench: engine speed on distilgpt2-sized random weights, against the machine's bounds"};
  app.add_option("--model-dir", st.model_dir, "Benchmark model folder (written if missing, else reused)")
      ->capture_default_str();
  app.add_option("--tokprob", st.tokprob, "The built tokprob command, for the cold-start runs")->capture_default_str();
  app.add_option("--fixtures", st.fixtures,
                 "Fixtures folder whose gpt2-tiny gives the tokenizer files (default: $TOKPROB_FIXTURES, else "
                 "../shared/fixtures)");
  app.add_option("--threads", st.threads, "Thread counts to measure, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--repeats", st.repeats, "Runs per figure")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_flag("--quick", st.quick, "Two runs per figure: a smoke run, not a measurement");
  app.add_flag("--json", st.json, "Print every number as JSON instead of the table");
  app.add_option("--only", st.only, "Measure only these: bounds, cold, warm, prefill, decode (for profiling)")
      ->delimiter(',')
      ->check(CLI::IsMember({"bounds", "cold", "warm", "prefill", "decode"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (int n : st.threads)
    if (n < 1) {
      std::cerr << "tokprob_bench: --threads takes counts of 1 or more, got " << n << '\n';
      return 2;
    }
  if (st.quick) st.repeats = 2;
  try {
    return run(st);
  } catch (const tokprob::Error& e) {
    std::cerr << "tokprob_bench: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "tokprob_bench: " << e.what() << '\n';
    return 1;
  }
}
