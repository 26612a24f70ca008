// What every subcommand of the `tokprob` command shares: the model option, output format,
// threads, and turning a model argument into loaded objects.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
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

// Adds --dtype (the weight format of the matrix products) to a subcommand.
void add_dtype_option(CLI::App& sub, std::string& dtype);

// How to load the model: --dtype checked and converted (a usage error names a bad value).
LoadOptions load_options(const CommonOptions& options);

// Applies --threads and resolves --model to a folder: an existing folder as it is, else a
// Hugging Face model id found in, or downloaded into, the Hugging Face cache (io/hub.hpp).
std::filesystem::path prepare(const CommonOptions& options);

// Splits "a,b,c" options (--targets); a value containing a comma can be given as its own option.
std::vector<std::string> split_commas(const std::vector<std::string>& values);

// Table style for stdout: bars and colours only on a terminal (NO_COLOR respected).
TableStyle stdout_style();

// A subcommand's work, run after parsing succeeded; returns the exit status.
using Runner = std::function<int()>;

// Each command file defines one of these; main() calls them all.
Runner add_next_command(CLI::App& app);
Runner add_seq2seq_command(CLI::App& app);
Runner add_tokenize_command(CLI::App& app);
Runner add_fill_mask_command(CLI::App& app);
Runner add_classify_command(CLI::App& app);
Runner add_generate_command(CLI::App& app);
Runner add_score_command(CLI::App& app);
Runner add_serve_command(CLI::App& app);

}  // namespace tokprob::cli
