#include "file_options.hpp"

#include <unistd.h>

#include <iostream>
#include <limits>

#include "tokprob/error.hpp"

namespace tokprob::cli {

void add_file_options(CLI::App& sub, corpus::JobOptions& job, CLI::Option* texts) {
  texts->required(false);
  const std::string group = "Files in, files out";
  sub.add_option("--input", job.input,
                 "Read the texts from a JSONL file ('-': standard input), one per line: a JSON string, or an object "
                 "with \"text\", an id and the task's fields as the server's endpoint takes them; writes one JSON "
                 "result per line, in order")
      ->group(group);
  sub.add_option("--output", job.output, "Where --input's results go ('-': standard output)")
      ->capture_default_str()
      ->group(group);
  sub.add_option("--errors", job.errors,
                 "Write bad lines (not JSON, empty or too long a text, ...) here with their line numbers and go on; "
                 "without it, the first bad line stops the run")
      ->group(group);
  sub.add_flag("--resume", job.resume,
               "Continue an interrupted run: skip the input lines --output (and --errors) already answer, append")
      ->group(group);
  sub.add_option("--id-field", job.id_field, "The field of an input object copied to its result")
      ->capture_default_str()
      ->group(group);
  sub.add_option("--batch-lines", job.batch, "Lines of similar length run as one batch")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1024}))
      ->group(group);
}

bool reads_input_file(const CLI::App& sub, const corpus::JobOptions& job, const std::vector<std::string>& texts) {
  if (job.input.empty() && !sub.get_option("--input")->empty()) usage_error("--input needs a file name ('-': stdin)");
  if (sub.get_option("--input")->empty()) {
    if (texts.empty()) usage_error("give TEXT (one or more) or --input FILE");
    for (const char* flag : {"--output", "--errors", "--resume", "--id-field", "--batch-lines"})
      if (!sub.get_option(flag)->empty()) usage_error(std::string(flag) + " goes with --input FILE");
    return false;
  }
  if (!texts.empty()) usage_error("give TEXT or --input FILE, not both");
  const CLI::Option* format = sub.get_option("--format");
  if (!format->empty() && format->as<std::string>() != "json")
    usage_error("--input writes one JSON result per line: --format must be json");
  return true;
}

ServerLimits file_limits() {
  ServerLimits limits;
  limits.max_tokens = 1024;  // seq2seq's --max-new-tokens bound; generate's own checks apply too
  limits.max_texts = 1;
  limits.max_choices = 64;
  limits.max_top_k = std::numeric_limits<int32_t>::max();
  limits.max_score_positions = std::numeric_limits<int64_t>::max();
  return limits;
}

std::vector<std::string> line_texts(std::span<const corpus::InputLine> lines) {
  std::vector<std::string> texts;
  for (const auto& l : lines) texts.push_back(l.text);
  return texts;
}

int run_file_job(corpus::JobOptions job, const corpus::RunLines& run) {
  job.progress = ::isatty(STDERR_FILENO) != 0;
  const corpus::JobSummary s = corpus::run_jsonl_job(job, run);
  if (s.bad_lines > 0)
    std::cerr << "tokprob: " << s.bad_lines << " bad line" << (s.bad_lines == 1 ? "" : "s") << " written to "
              << job.errors << '\n';
  return 0;
}

}  // namespace tokprob::cli
