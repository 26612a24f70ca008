#include "cli_common.hpp"

#include <unistd.h>

#include <cstdlib>

#include "io/hub.hpp"
#include "kernels/linear.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

void add_common_options(CLI::App& sub, CommonOptions& options) {
  sub.add_option("-m,--model", options.model,
                 "Model folder, or Hugging Face model id (name, org/name, org/name@revision) found in or downloaded "
                 "into the Hugging Face cache")->required();
  sub.add_option("--format", options.format, "Output: table, json (one object per line) or csv")
      ->capture_default_str();
  sub.add_option("--threads", options.threads, "Threads (0 = all cores)")->capture_default_str();
  add_dtype_option(sub, options.dtype);
  add_tokenizer_options(sub, options.tokenizer);
}

void add_tokenizer_options(CLI::App& sub, TokenizerOptions& options) {
  CLI::Option* on = sub.add_flag_callback(
      "--add-prefix-space", [&options] { options.add_prefix_space = true; },
      "Tokenize as from_pretrained(..., add_prefix_space=True): a space before the text (\"Hello\" as \" Hello\") "
      "for byte-level BPE (GPT-2, Qwen2, RoBERTa, ...) and Llama tokenizers; others ignore it, as the reference does");
  CLI::Option* off = sub.add_flag_callback(
      "--no-add-prefix-space", [&options] { options.add_prefix_space = false; },
      "Tokenize as from_pretrained(..., add_prefix_space=False) (Llama: no \"▁\" before the first word)");
  on->excludes(off);
  sub.add_flag_callback(
      "--no-special-tokens", [&options] { options.add_special_tokens = false; },
      "Tokenize as tokenizer(text, add_special_tokens=False): no BOS, [CLS]/[SEP] or EOS");
}

void add_dtype_option(CLI::App& sub, std::string& dtype) {
  sub.add_option("--dtype", dtype,
                 "Weight format of the matrix products, converted at load: fp32 (exact to the reference), bf16, "
                 "f16 or int8 (per-block scales); faster, slightly different numbers. Converted weights are kept in "
                 "$TOKPROB_WEIGHT_CACHE (default ~/.cache/tokprob/weights; off: never) for the next load")
      ->capture_default_str();
}

LoadOptions load_options(const CommonOptions& options) {
  LoadOptions load;
  load.weights = parse_weight_format(options.dtype);
  load.weight_cache_dir = weight_cache_dir_from_environment();
  return load;
}

std::filesystem::path prepare(const CommonOptions& options) {
  if (options.threads < 0) usage_error("--threads must be 0 (all cores) or more");
  parse_weight_format(options.dtype);  // a bad --dtype is reported before any download or load
  set_num_threads(options.threads);
  return resolve_model(options.model, HubFiles::model);
}

std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    size_t start = 0;
    while (true) {
      const size_t comma = v.find(',', start);
      out.push_back(v.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

TableStyle stdout_style() {
  TableStyle s;
  s.bars = ::isatty(STDOUT_FILENO) != 0;
  const char* no_color = std::getenv("NO_COLOR");
  s.color = s.bars && !(no_color && *no_color);
  return s;
}

}  // namespace tokprob::cli
