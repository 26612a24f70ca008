// What every subcommand of the `tokprob` command shares: the model option, output format,
// threads, and turning a model argument into loaded objects.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "format/output_format.hpp"
#include "io/config.hpp"
#include "models/load_options.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob::cli {

struct CommonOptions {
  std::string model;
  std::string format = "table";
  int threads = 0;
  std::string dtype = "fp32";
  TokenizerOptions tokenizer;
};

// Adds -m/--model, --format, --threads, --dtype and the tokenizer options to a subcommand.
void add_common_options(CLI::App& sub, CommonOptions& options);

// Adds --add-prefix-space / --no-add-prefix-space and --no-special-tokens (the from_pretrained
// options that change ids) to a subcommand.
void add_tokenizer_options(CLI::App& sub, TokenizerOptions& options);
// The options' tokenizer options, with the cache directory of the environment (TOKPROB_WEIGHT_CACHE).
TokenizerOptions tokenizer_options(const CommonOptions& options);

// Adds --dtype (the weight format of the matrix products) to a subcommand.
void add_dtype_option(CLI::App& sub, std::string& dtype);

// How to load the model: --dtype checked and converted (a usage error names a bad value).
LoadOptions load_options(const CommonOptions& options);

// Applies --threads and resolves --model to a folder: an existing folder as it is, else a
// Hugging Face model id found in, or downloaded into, the Hugging Face cache (io/hub.hpp).
std::filesystem::path prepare(const CommonOptions& options);

// Adds -k/--list, how many tokens to list. `--top-k` names the sampling filter (generate); here,
// where nothing is sampled, it stays accepted as a hidden old spelling of --list.
void add_list_option(CLI::App& sub, int64_t& count, const std::string& description);

// Adds the positional TEXT... of a command: every argument that is not an option (and every one
// after `--`, for a text starting with '-') is one text, byte for byte.
CLI::Option* add_texts_option(CLI::App& sub, std::vector<std::string>& texts, const std::string& description);

// Adds an option that takes one value per occurrence and may repeat (--targets, --stop); a value
// reaches `values` byte for byte, and the arguments after it stay texts.
CLI::Option* add_repeatable_option(CLI::App& sub, const std::string& name, std::vector<std::string>& values,
                                   const std::string& description);

// The targets of a repeatable --targets: given once, its value is a comma-separated list ("a,b");
// given more than once, each value is one target as it is, commas included.
std::vector<std::string> targets_from(const std::vector<std::string>& values);

// Most compute threads: more than a few per core only adds the cost of starting them (a huge
// count fails to start at all), so --threads above this many per core is refused.
inline constexpr int kThreadsPerCore = 4;

// A command's spelling of the neutral field names of its task options ("top_k" -> "-k").
using FlagNames = std::map<std::string, std::string>;

// A subcommand's work, run after parsing succeeded; returns the exit status.
using Runner = std::function<int()>;

// `body`, with an OptionError from it (a task's validate()) turned into a usage error that names
// the field by the command's flag, or by its neutral name where the command has no flag for it.
Runner with_flag_names(FlagNames flags, Runner body);

// Table style for stdout: bars and colours only on a terminal (NO_COLOR respected).
TableStyle stdout_style();

// The program's arguments as main() received them (argv[0] first), for a command that hands them on.
void set_command_line(int argc, char** argv);
const std::vector<char*>& command_line();

// Each command file defines one of these; main() calls them all.
Runner add_next_command(CLI::App& app);
Runner add_seq2seq_command(CLI::App& app);
Runner add_tokenize_command(CLI::App& app);
Runner add_fill_mask_command(CLI::App& app);
Runner add_classify_command(CLI::App& app);
Runner add_generate_command(CLI::App& app);
Runner add_score_command(CLI::App& app);
Runner add_compare_command(CLI::App& app);
Runner add_serve_command(CLI::App& app);

}  // namespace tokprob::cli
