// tokprob_accuracy: what reduced-precision weights (--dtype bf16, f16, int8) cost in accuracy,
// against the same model in fp32, on every fixture kind: next-token distributions of the causal
// LMs along a story, masked-token distributions of the masked LM, the seq2seq decoder's
// distributions under forced decoding, and the classifier's class probabilities.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "generate/distribution_agreement.hpp"
#include "kernels/linear.hpp"
#include "models/registry.hpp"
#include "tokprob/error.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob::bench {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kWindow = 128;  // tokens per forward pass (the tiny fixtures have 128 positions)
constexpr int64_t kMaskEvery = 6;  // masked LM: every 6th token of a window is masked

// Logits of every scored row of a model loaded with `options`, and the ids those rows are scored
// against; one function per model kind, run once per weight format.
struct Rows {
  std::vector<float> logits;
  std::vector<int32_t> targets;
  int64_t vocab = 0;
};
using Scorer = std::function<Rows(const LoadOptions&)>;

std::vector<std::vector<int32_t>> windows(const std::vector<int32_t>& ids, int64_t size) {
  std::vector<std::vector<int32_t>> out;
  for (size_t i = 0; i < ids.size(); i += static_cast<size_t>(size))
    out.emplace_back(ids.begin() + i, ids.begin() + std::min(ids.size(), i + static_cast<size_t>(size)));
  return out;
}

std::vector<std::string> sentences(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    cur += c;
    if (c == '.' || c == '!' || c == '?') {
      const auto b = cur.find_first_not_of(" \n\"");
      if (b != std::string::npos && cur.size() - b > 3) out.push_back(cur.substr(b));
      cur.clear();
    }
  }
  return out;
}

// With `prefill`, each window is one forward with logits for every position (scoring, the many-row
// kernels) instead of token by token.
Scorer causal(const fs::path& dir, const std::string& text, bool prefill) {
  return [=](const LoadOptions& opt) {
    const auto model = load_causal_lm(dir, read_model_config(dir), opt);
    const auto ids = Tokenizer::from_folder(dir).encode(text).ids;
    const int64_t window = std::min<int64_t>(kWindow, model->info().max_positions > 0 ? model->info().max_positions : kWindow);
    Rows rows;
    rows.vocab = model->info().vocab_size;
    // Token by token with the KV cache, as generation and short prompts run (one row per product),
    // or with `prefill` the whole window in one forward.
    for (const auto& w : windows(ids, window)) {
      auto state = model->new_state();
      if (prefill) {
        if (w.size() < 2) continue;
        DecodeChunk chunk{state.get(), std::span(w).first(w.size() - 1), {}};
        for (size_t i = 0; i + 1 < w.size(); ++i) {
          chunk.logits_for.push_back(static_cast<int64_t>(i));
          rows.targets.push_back(w[i + 1]);
        }
        const auto logits = model->forward(std::span(&chunk, 1));
        rows.logits.insert(rows.logits.end(), logits.begin(), logits.end());
        continue;
      }
      for (size_t i = 0; i + 1 < w.size(); ++i) {
        DecodeChunk chunk{state.get(), std::span(w).subspan(i, 1), {0}};
        const auto logits = model->forward(std::span(&chunk, 1));
        rows.logits.insert(rows.logits.end(), logits.begin(), logits.end());
        rows.targets.push_back(w[i + 1]);
      }
    }
    return rows;
  };
}

Scorer masked(const fs::path& dir, const std::string& text) {
  return [=](const LoadOptions& opt) {
    const auto model = load_masked_lm(dir, read_model_config(dir), opt);
    const auto tok = Tokenizer::from_folder(dir);
    if (!tok.special_tokens().mask) fail(dir.string() + ": the tokenizer has no mask token");
    Rows rows;
    rows.vocab = model->info().vocab_size;
    for (const auto& s : sentences(text)) {
      auto ids = tok.encode(s).ids;
      EncoderSequence seq;
      for (size_t i = 1; i + 1 < ids.size(); i += kMaskEvery) {  // not [CLS] / [SEP]
        rows.targets.push_back(ids[i]);
        ids[i] = *tok.special_tokens().mask;
        seq.mlm_logits_for.push_back(static_cast<int64_t>(i));
      }
      seq.ids = ids;
      const auto out = model->forward(std::span(&seq, 1));
      rows.logits.insert(rows.logits.end(), out.mlm_logits.begin(), out.mlm_logits.end());
    }
    return rows;
  };
}

Scorer classifier(const fs::path& dir, const std::string& text) {
  return [=](const LoadOptions& opt) {
    const auto model = load_sequence_classifier(dir, read_model_config(dir), opt);
    const auto tok = Tokenizer::from_folder(dir);
    Rows rows;
    rows.vocab = static_cast<int64_t>(model->info().labels.size());
    for (const auto& s : sentences(text)) {
      const auto ids = tok.encode(s).ids;
      EncoderSequence seq;
      seq.ids = ids;
      const auto out = model->forward(std::span(&seq, 1));
      rows.logits.insert(rows.logits.end(), out.class_logits.begin(), out.class_logits.end());
      rows.targets.push_back(0);  // no true label: only agreement and KL are meaningful
    }
    return rows;
  };
}

// The story's sentences as targets of forced decoding, each with the previous sentence as source.
Scorer seq2seq(const fs::path& dir, const std::string& text) {
  return [=](const LoadOptions& opt) {
    const auto model = load_seq2seq_lm(dir, read_model_config(dir), opt);
    const auto tok = Tokenizer::from_folder(dir);
    const auto ss = sentences(text);
    Rows rows;
    rows.vocab = model->info().vocab_size;
    for (size_t i = 1; i < ss.size(); ++i) {
      const std::vector<std::vector<int32_t>> source = {tok.encode(ss[i - 1]).ids};
      auto states = model->encode(source);
      const auto target = tok.encode(ss[i]).ids;
      std::vector<int32_t> input = {model->info().decoder_start_token_id};
      input.insert(input.end(), target.begin(), target.end() - 1);
      for (size_t k = 0; k < input.size(); ++k) {  // step by step, as generation runs
        DecodeChunk chunk{states[0].get(), std::span(input).subspan(k, 1), {0}};
        const auto logits = model->decode(std::span(&chunk, 1));
        rows.logits.insert(rows.logits.end(), logits.begin(), logits.end());
      }
      rows.targets.insert(rows.targets.end(), target.begin(), target.end());
    }
    return rows;
  };
}

struct Case {
  std::string name, kind;
  Scorer scorer;
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  if (!in) fail("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run(int argc, char** argv) {
  // Defaults found from the source tree, so that the tool runs from any directory.
  const fs::path source_dir(TOKPROB_SOURCE_DIR);
  std::string fixtures, text_file = (source_dir / "bench" / "accuracy" / "story.txt").string(), dtypes = "bf16,f16,int8";
  bool json = false, prefill = false;
  std::string int8_products = "integer";
  CLI::App app{"tokprob_accuracy: accuracy of reduced-precision weights against fp32 on the fixture models"};
  app.add_option("--fixtures", fixtures, "Fixture folder (default $TOKPROB_FIXTURES, else ../shared/fixtures beside the source tree)");
  app.add_option("--text", text_file, "Text to score")->capture_default_str();
  app.add_option("--dtypes", dtypes, "Weight formats to compare with fp32")->capture_default_str();
  app.add_flag("--json", json, "Every figure as JSON");
  app.add_flag("--prefill", prefill,
               "Score the causal LMs' windows in one forward each (the many-row kernels) instead of token by token");
  app.add_option("--int8-products", int8_products,
                 "How int8 weights multiply many rows: integer (int8 activations, the default) or widened (fp32 "
                 "activations, the earlier way)")
      ->check(CLI::IsMember({"integer", "widened"}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (fixtures.empty()) {
    const char* env = std::getenv("TOKPROB_FIXTURES");
    fixtures = env && *env ? env : (source_dir / ".." / "shared" / "fixtures").string();
  }
  set_int8_products(int8_products == "widened" ? Int8Products::widened : Int8Products::integer);
  const std::string text = read_text(text_file);
  const fs::path f(fixtures);
  const std::vector<Case> cases = {
      {"tinystories-656k", "next token", causal(f / "tinystories-656k", text, prefill)},
      {"gpt2-tiny", "next token", causal(f / "gpt2-tiny", text, prefill)},
      {"llama-tiny", "next token", causal(f / "llama-tiny", text, prefill)},
      {"bert-tiny-mlm", "masked token", masked(f / "bert-tiny-mlm", text)},
      {"t5-tiny", "decoder step", seq2seq(f / "t5-tiny", text)},
      {"distilbert-tiny-sst2", "class", classifier(f / "distilbert-tiny-sst2", text)},
  };
  std::vector<WeightFormat> formats;
  {
    std::stringstream ss(dtypes);
    for (std::string d; std::getline(ss, d, ',');) formats.push_back(parse_weight_format(d));
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  if (!json)
    std::printf("%-21s %-12s %-5s %5s %9s %9s %8s %11s %11s %9s %9s %9s\n", "model", "rows", "dtype", "rows",
                "mean KL", "max KL", "top-1", "ppl fp32", "ppl dtype", "max|dlog|", "med gap", "flip gap");
  for (const auto& c : cases) {
    const Rows ref = c.scorer(LoadOptions{});
    for (WeightFormat fmt : formats) {
      const Rows got = c.scorer(LoadOptions{fmt});
      const auto a = compare_distributions(ref.logits, got.logits, ref.vocab, ref.targets);
      const bool has_ppl = c.kind != "class";
      if (json) {
        out.push_back({{"model", c.name}, {"rows", c.kind}, {"dtype", weight_format_name(fmt)},
                       {"positions", a.positions}, {"mean_kl", a.mean_kl}, {"max_kl", a.max_kl},
                       {"top1_agreement", a.top1_agreement}, {"max_abs_logit_diff", a.max_abs_logit_diff},
                       {"median_top2_gap", a.median_top2_gap}, {"max_disagreement_gap", a.max_disagreement_gap},
                       {"perplexity_fp32", has_ppl ? nlohmann::json(std::exp(a.reference_nll)) : nlohmann::json()},
                       {"perplexity", has_ppl ? nlohmann::json(std::exp(a.nll)) : nlohmann::json()}});
        continue;
      }
      char ppl_ref[32] = "-", ppl[32] = "-";
      if (has_ppl) {
        std::snprintf(ppl_ref, sizeof ppl_ref, "%.5g", std::exp(a.reference_nll));
        std::snprintf(ppl, sizeof ppl, "%.5g", std::exp(a.nll));
      }
      std::printf("%-21s %-12s %-5s %5lld %9.2e %9.2e %7.2f%% %11s %11s %9.2e %9.3f %9.3f\n", c.name.c_str(),
                  c.kind.c_str(), weight_format_name(fmt), static_cast<long long>(a.positions), a.mean_kl, a.max_kl,
                  100 * a.top1_agreement, ppl_ref, ppl, a.max_abs_logit_diff, a.median_top2_gap,
                  a.max_disagreement_gap);
    }
  }
  if (json) std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace tokprob::bench

int main(int argc, char** argv) {
  try {
    return tokprob::bench::run(argc, argv);
  } catch (const tokprob::Error& e) {
    std::cerr << "tokprob_accuracy: " << e.what() << "\n";
    return e.exit_code();
  }
}
