#include "format/output_format.hpp"

#include "tokprob/error.hpp"

namespace tokprob {

OutputFormat parse_output_format(const std::string& name) {
  if (name == "table") return OutputFormat::table;
  if (name == "json" || name == "jsonl") return OutputFormat::json;
  if (name == "csv") return OutputFormat::csv;
  usage_error("--format must be table, json or csv, got '" + name + "'");
}

}  // namespace tokprob
