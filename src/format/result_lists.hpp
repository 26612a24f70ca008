// What every command's output does with its list of results, whatever the result: one JSON line
// each, CSV numbers at 9 significant digits, tables one after another with a blank line between.
#pragma once

#include <cstddef>
#include <ios>
#include <ostream>
#include <span>

#include "format/token_json.hpp"

namespace tokprob {

// Each result's to_json() on a line of its own.
template <class Result>
void write_json_lines(std::ostream& out, std::span<const Result> results) {
  for (const auto& r : results) out << dump_json_line(to_json(r)) << '\n';
}

// write_one(result) for each result, a blank line between two.
template <class Result, class WriteOne>
void write_tables(std::ostream& out, std::span<const Result> results, WriteOne write_one) {
  for (size_t i = 0; i < results.size(); ++i) {
    if (i) out << '\n';
    write_one(results[i]);
  }
}

// While it lives, numbers go out with 9 significant digits (a float32 reads back exactly); the
// stream's own precision comes back after.
class CsvPrecision {
 public:
  explicit CsvPrecision(std::ostream& out) : out_(out), saved_(out.precision(9)) {}
  ~CsvPrecision() { out_.precision(saved_); }
  CsvPrecision(const CsvPrecision&) = delete;
  CsvPrecision& operator=(const CsvPrecision&) = delete;

 private:
  std::ostream& out_;
  std::streamsize saved_;
};

}  // namespace tokprob
