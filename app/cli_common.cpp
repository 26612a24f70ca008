#include "cli_common.hpp"

#include <unistd.h>

#include <cstdlib>

#include "kernels/linear.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

void add_common_options(CLI::App& sub, CommonOptions& options) {
  sub.add_option("-m,--model", options.model, "Hugging Face model folder")->required();
  sub.add_option("--format", options.format, "Output: table, json (one object per line) or csv")
      ->capture_default_str();
  sub.add_option("--threads", options.threads, "Threads (0 = all cores)")->capture_default_str();
}

std::filesystem::path prepare(const CommonOptions& options) {
  if (options.threads < 0) usage_error("--threads must be 0 (all cores) or more");
  set_num_threads(options.threads);
  return options.model;
}

TableStyle stdout_style() {
  TableStyle s;
  s.bars = ::isatty(STDOUT_FILENO) != 0;
  const char* no_color = std::getenv("NO_COLOR");
  s.color = s.bars && !(no_color && *no_color);
  return s;
}

}  // namespace tokprob::cli
