#include "cli_common.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "io/cache_home.hpp"
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

TokenizerOptions tokenizer_options(const CommonOptions& options) {
  TokenizerOptions t = options.tokenizer;
  t.cache_dir = weight_cache_dir_from_environment();
  return t;
}

LoadOptions load_options(const CommonOptions& options) {
  LoadOptions load;
  load.weights = parse_weight_format(options.dtype);
  load.weight_cache_dir = weight_cache_dir_from_environment();
  load.tokenizer = tokenizer_options(options);
  return load;
}

std::filesystem::path prepare(const CommonOptions& options) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (options.threads < 0) usage_error("--threads must be 0 (all cores) or more");
  if (options.threads > kThreadsPerCore * cores)
    usage_error("--threads must be at most " + std::to_string(kThreadsPerCore * cores) + " (" +
                std::to_string(kThreadsPerCore) + " per core of the " + std::to_string(cores) + " here), got " +
                std::to_string(options.threads));
  parse_weight_format(options.dtype);  // a bad --dtype is reported before any download or load
  set_num_threads(options.threads);
  return resolve_model(options.model, HubFiles::model);
}

void add_list_option(CLI::App& sub, int64_t& count, const std::string& description) {
  sub.add_option("-k,--list", count, description)->capture_default_str();
  sub.add_option("--top-k", count, "Old spelling of --list")->group("");
}

CLI::Option* add_texts_option(CLI::App& sub, std::vector<std::string>& texts, const std::string& description) {
  // CLI11 reads an argument in square brackets as a list ("[Hello, world]" becomes "Hello" and
  // " world") for an option that takes extra arguments, which is how it gathers a vector
  // positional. Without extra arguments, a positional takes as many values as it expects at least:
  // so the texts expect more values than any command line holds, one at a time, unsplit. Help
  // shows that count as "..."; `required` checks that one text at least is there.
  constexpr int many = CLI::detail::expected_max_vector_size;
  return sub.add_option("text", texts, description)
      ->required()
      ->expected(many, many)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

CLI::Option* add_repeatable_option(CLI::App& sub, const std::string& name, std::vector<std::string>& values,
                                   const std::string& description) {
  return sub.add_option(name, values, description)
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

std::vector<std::string> targets_from(const std::vector<std::string>& values) {
  if (values.size() != 1) return values;
  std::vector<std::string> out;
  const std::string& v = values[0];
  size_t start = 0;
  while (true) {
    const size_t comma = v.find(',', start);
    out.push_back(v.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Runner with_flag_names(FlagNames flags, Runner body) {
  return [flags = std::move(flags), body = std::move(body)]() -> int {
    try {
      return body();
    } catch (const OptionError& e) {
      const auto flag = flags.find(e.field());
      usage_error(flag == flags.end() ? e.what() : e.message_for(flag->second));
    }
  };
}

namespace {
std::vector<char*>& arguments() {
  static std::vector<char*> args;
  return args;
}
}  // namespace

void set_command_line(int argc, char** argv) { arguments().assign(argv, argv + argc); }

const std::vector<char*>& command_line() { return arguments(); }

TableStyle stdout_style() {
  TableStyle s;
  s.bars = ::isatty(STDOUT_FILENO) != 0;
  const char* no_color = std::getenv("NO_COLOR");
  s.color = s.bars && !(no_color && *no_color);
  return s;
}

}  // namespace tokprob::cli
