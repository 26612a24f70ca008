// --input/--output: a command run over a JSONL file (corpus/jsonl_job.hpp) instead of TEXT
// arguments: one result line per input line, in order, with the line's id carried through.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "corpus/jsonl_job.hpp"
#include "format/token_json.hpp"
#include "server/server_options.hpp"

namespace tokprob::cli {

// Adds --input, --output, --errors, --resume, --id-field and --batch-lines; TEXT is then optional.
void add_file_options(CLI::App& sub, corpus::JobOptions& job, CLI::Option* texts);

// Whether the command reads a file: with --input, no TEXT and no --format other than json; without
// it, at least one TEXT and none of the file options (usage errors otherwise).
bool reads_input_file(const CLI::App& sub, const corpus::JobOptions& job, const std::vector<std::string>& texts);

// Bounds on the fields of a line: those of the command line's own flags.
ServerLimits file_limits();

// The texts of lines.
std::vector<std::string> line_texts(std::span<const corpus::InputLine> lines);

// Runs the job (a progress line on a terminal), and reports bad lines set aside on standard error.
int run_file_job(corpus::JobOptions job, const corpus::RunLines& run);

// One output line per input line from a task's results, which come text by text: `per_text(r)` is
// how many results the text of result r has (1, or its positions for `next --position all`); a text
// with several gets {"results": [...]}, as the server answers.
template <class Result, class PerText, class Tokens>
std::vector<corpus::LineResult> lines_of(const std::vector<Result>& results, size_t lines, PerText per_text,
                                         Tokens tokens) {
  std::vector<corpus::LineResult> out;
  for (size_t at = 0; at < results.size() && out.size() < lines;) {
    const size_t n = std::max<size_t>(1, per_text(results[at]));
    corpus::LineResult line;
    line.tokens = tokens(results[at]);
    if (n == 1) {
      line.json = dump_json_line(to_json(results[at]));
    } else {
      nlohmann::json all = nlohmann::json::array();
      for (size_t k = at; k < at + n && k < results.size(); ++k) all.push_back(to_json(results[k]));
      line.json = dump_json_line({{"results", std::move(all)}});
    }
    out.push_back(std::move(line));
    at += n;
  }
  return out;
}

}  // namespace tokprob::cli
