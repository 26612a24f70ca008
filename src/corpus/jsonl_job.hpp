// Files in, files out: a task run over a JSONL file of any size, one result line per input line, in
// order. Lines are read a window at a time, grouped by their options, sorted by length and handed to
// the task in batches (similar lengths pad and cost alike), then written back in input order, so
// memory stays bounded whatever the file's size. An interrupted run resumes from what its output
// (and errors file) already hold.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tokprob::corpus {

// One line of the input: a JSON string (the text), or an object with "text", the id field and the
// task's fields (the same names and values as the server's native endpoints).
struct InputLine {
  int64_t number = 0;      // 1-based, in the input file
  std::string text;
  nlohmann::json id;       // null where the line has no id
  nlohmann::json fields;   // the object's other fields (an object, possibly empty)
};

// A task's answer for one line: its JSON object (one line of text, no newline) and the tokens the
// model read for it (for the progress figures).
struct LineResult {
  std::string json;
  int64_t tokens = 0;
};

// Runs the task on lines that share their `fields`; returns one result per line, in their order.
// Throws tokprob::Error when a line cannot be done (the job then finds which, line by line).
using RunLines = std::function<std::vector<LineResult>(std::span<const InputLine>)>;

struct JobOptions {
  std::string input;             // a path, or "-" for standard input
  std::string output = "-";      // a path, or "-" for standard output
  std::string errors;            // where bad lines go; empty: the first bad line stops the run
  bool resume = false;           // continue after what `output` (and `errors`) already hold
  std::string id_field = "id";   // copied from each input object to its result, first
  int64_t read_ahead = 512;      // lines read, grouped and sorted before their results are written
  int64_t batch = 16;            // lines per call of the task
  bool progress = false;         // a status line on standard error (lines, tokens/s, ETA)
};

struct JobSummary {
  int64_t lines_read = 0;        // this run's, after any resumed prefix
  int64_t results = 0;
  int64_t bad_lines = 0;
  int64_t resumed_after = 0;     // input lines found done in the output and errors file
  int64_t tokens = 0;
};

// Throws tokprob::Error for an unreadable input or unwritable output, and, without an errors file,
// for the first bad line ("input line 7: ..."), after writing the results of the lines before it.
JobSummary run_jsonl_job(const JobOptions& options, const RunLines& run);

// The input line `raw` (without its newline) as a task's input; throws tokprob::Error saying what
// is wrong with it (not JSON, no text, an empty text, a text that is not a string).
InputLine parse_input_line(const std::string& raw, int64_t number, const std::string& id_field);

}  // namespace tokprob::corpus
