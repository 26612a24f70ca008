// How results are written: for people (aligned tables) or for programs (JSON lines, CSV).
#pragma once

#include <string>

namespace tokprob {

enum class OutputFormat { table, json, csv };

// "table", "json" (one object per line; "jsonl" is the same), "csv"; throws a usage error otherwise.
OutputFormat parse_output_format(const std::string& name);

// What a table may use: a bar column and colours only on a terminal.
struct TableStyle {
  bool bars = false;
  bool color = false;
};

}  // namespace tokprob
