#include "corpus/jsonl_job.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "tokprob/error.hpp"

namespace tokprob::corpus {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// A slot of the read-ahead window: the line's result, or why it is bad.
struct Slot {
  InputLine line;
  std::optional<std::string> result;
  std::string error;  // set for a bad line
  std::string raw;    // kept for the errors file, bad lines only
};

std::string with_id(const std::string& result, const json& id, const std::string& id_field) {
  if (id.is_null()) return result;
  const std::string head = "{" + dump(json(id_field)) + ":" + dump(id);
  return result.size() > 2 ? head + "," + result.substr(1) : head + "}";
}

// How much of a previous run's work the output and errors file hold.
struct Done {
  int64_t output_lines = 0;
  std::set<int64_t> bad;  // line numbers in the errors file
};

// Counts the complete lines of a previous output, dropping a last line cut off by the interruption.
int64_t complete_lines(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path + " to resume from it");
  int64_t lines = 0;
  uintmax_t complete = 0, pos = 0;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    const auto n = static_cast<size_t>(in.gcount());
    for (size_t i = 0; i < n; ++i)
      if (buf[i] == '\n') ++lines, complete = pos + i + 1;
    pos += n;
  }
  if (complete != pos) fs::resize_file(path, complete);
  return lines;
}

std::set<int64_t> bad_lines_in(const std::string& path) {
  std::set<int64_t> bad;
  std::error_code ec;
  if (path.empty() || !fs::exists(path, ec)) return bad;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: cut off by the interruption
    const json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("line") && j["line"].is_number_integer()) bad.insert(j["line"].get<int64_t>());
  }
  return bad;
}

// Keeps the errors file's records of lines before `first`; later ones are redone.
void keep_bad_lines_before(const std::string& path, int64_t first) {
  std::error_code ec;
  if (path.empty() || !fs::exists(path, ec)) return;
  std::ifstream in(path);
  std::string kept, line;
  while (std::getline(in, line)) {
    if (in.eof()) break;
    const json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("line") && j["line"].is_number_integer() && j["line"].get<int64_t>() < first)
      kept += line + "\n";
  }
  in.close();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << kept;
  if (!out.flush()) fail("cannot write " + path);
}

int64_t count_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  int64_t lines = 0;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0)
    lines += std::count(buf, buf + in.gcount(), '\n');
  return lines;
}

class Progress {
 public:
  Progress(bool on, int64_t total) : on_(on), total_(total), start_(Clock::now()) {}
  void update(int64_t lines, int64_t tokens, bool last = false) {
    if (!on_) return;
    const auto now = Clock::now();
    if (!last && now - shown_ < std::chrono::milliseconds(250)) return;
    shown_ = now;
    const double s = std::max(1e-9, std::chrono::duration<double>(now - start_).count());
    std::string status = std::to_string(lines) + (total_ > 0 ? "/" + std::to_string(total_) : "") + " lines  " +
                         std::to_string(static_cast<int64_t>(static_cast<double>(tokens) / s)) + " tokens/s";
    if (total_ > 0 && lines > 0 && !last) {
      const auto eta = static_cast<int64_t>(static_cast<double>(total_ - lines) * s / static_cast<double>(lines));
      char buf[32];
      std::snprintf(buf, sizeof buf, "  ETA %lld:%02lld", static_cast<long long>(eta / 60),
                    static_cast<long long>(eta % 60));
      status += buf;
    }
    std::cerr << "\r\033[K" << status << (last ? "\n" : "") << std::flush;
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool on_;
  int64_t total_;
  Clock::time_point start_, shown_{};
};

// Runs the task on the window's good lines: grouped by fields, sorted by length, in batches. A
// batch that fails is run again line by line to find the bad ones.
int64_t run_window(std::vector<Slot>& window, const JobOptions& options, const RunLines& run) {
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t i = 0; i < window.size(); ++i)
    if (window[i].error.empty()) groups[dump(window[i].line.fields)].push_back(i);
  int64_t tokens = 0;
  auto call = [&](const std::vector<size_t>& slots) {
    std::vector<InputLine> lines;
    for (size_t i : slots) lines.push_back(window[i].line);
    auto results = run(lines);
    if (results.size() != lines.size()) fail("internal: the task answered " + std::to_string(results.size()) +
                                             " results for " + std::to_string(lines.size()) + " lines");
    for (size_t k = 0; k < slots.size(); ++k) {
      window[slots[k]].result = std::move(results[k].json);
      tokens += results[k].tokens;
    }
  };
  for (auto& [key, slots] : groups) {
    std::stable_sort(slots.begin(), slots.end(),
                     [&](size_t a, size_t b) { return window[a].line.text.size() < window[b].line.text.size(); });
    const auto batch = static_cast<size_t>(std::max<int64_t>(1, options.batch));
    for (size_t at = 0; at < slots.size(); at += batch) {
      const std::vector<size_t> part(slots.begin() + at, slots.begin() + std::min(slots.size(), at + batch));
      try {
        call(part);
      } catch (const Error&) {
        for (size_t i : part) {
          try {
            call({i});
          } catch (const Error& e) {
            window[i].error = e.what();
          }
        }
      }
    }
  }
  return tokens;
}

}  // namespace

InputLine parse_input_line(const std::string& raw, int64_t number, const std::string& id_field) {
  InputLine line;
  line.number = number;
  line.fields = json::object();
  json j;
  try {
    j = json::parse(raw);
  } catch (const json::exception& e) {
    const std::string what = e.what();
    fail("not JSON (" + what.substr(what.find(']') == std::string::npos ? 0 : what.find(']') + 2) + ")");
  }
  if (j.is_string()) {
    line.text = j.get<std::string>();
  } else if (j.is_object()) {
    if (!j.contains("text")) fail("no \"text\" field");
    if (!j["text"].is_string()) fail("field \"text\" must be a string");
    line.text = j["text"].get<std::string>();
    for (auto& [key, value] : j.items()) {
      if (key == "text") continue;
      if (key == id_field) line.id = value;
      else line.fields[key] = value;
    }
  } else {
    fail("a line must be a JSON string (the text) or an object with a \"text\" field");
  }
  if (line.text.empty()) fail("empty text");
  return line;
}

JobSummary run_jsonl_job(const JobOptions& options, const RunLines& run) {
  JobSummary summary;
  const bool to_stdout = options.output == "-";
  if (options.resume && to_stdout) usage_error("--resume needs --output FILE (it continues that file)");
  if (options.input.empty()) usage_error("--input FILE is empty");

  std::ifstream file;
  std::istream* in = &std::cin;
  if (options.input != "-") {
    std::error_code ec;
    if (fs::is_directory(options.input, ec)) fail("--input " + options.input + " is a directory");
    file.open(options.input, std::ios::binary);
    if (!file) fail("cannot open --input " + options.input);
    in = &file;
  }
  // A total for the ETA, where the input can be read twice.
  int64_t total = 0;
  if (options.progress && options.input != "-") total = count_lines(options.input);

  Done done;
  if (options.resume) {
    done.output_lines = complete_lines(options.output);
    done.bad = bad_lines_in(options.errors);
  }
  bool resuming = options.resume;

  std::ofstream out_file, err_file;
  std::ostream* out = &std::cout;
  auto open_outputs = [&](int64_t first_new_line) {
    if (options.resume) keep_bad_lines_before(options.errors, first_new_line);
    const auto mode = std::ios::binary | (options.resume ? std::ios::app : std::ios::trunc);
    if (!to_stdout) {
      out_file.open(options.output, mode);
      if (!out_file) fail("cannot write --output " + options.output);
      out = &out_file;
    }
    if (!options.errors.empty()) {
      err_file.open(options.errors, mode);
      if (!err_file) fail("cannot write --errors " + options.errors);
    }
  };
  if (!options.resume) open_outputs(1);

  Progress progress(options.progress, total);
  std::vector<Slot> window;
  std::string raw;
  int64_t number = 0;
  bool more = true;
  while (more) {
    window.clear();
    while (static_cast<int64_t>(window.size()) < std::max<int64_t>(1, options.read_ahead)) {
      if (!std::getline(*in, raw)) {
        more = false;
        break;
      }
      ++number;
      if (resuming) {
        if (done.bad.count(number)) {
          ++summary.resumed_after;
          continue;
        }
        if (done.output_lines > 0) {
          --done.output_lines;
          ++summary.resumed_after;
          continue;
        }
        resuming = false;
        open_outputs(number);
      }
      if (!raw.empty() && raw.back() == '\r') raw.pop_back();
      Slot slot;
      try {
        slot.line = parse_input_line(raw, number, options.id_field);
      } catch (const Error& e) {
        slot.line.number = number;
        slot.error = e.what();
        slot.raw = raw.substr(0, 200);
      }
      window.push_back(std::move(slot));
    }
    if (in->bad()) fail("cannot read --input " + options.input);
    if (resuming && !more) {
      if (done.output_lines > 0)
        fail("--output " + options.output + " holds more results than --input " + options.input +
             " has lines: it is not this input's output");
      resuming = false;
      open_outputs(number + 1);
    }
    summary.lines_read += static_cast<int64_t>(window.size());
    summary.tokens += run_window(window, options, run);

    // In input order: results to the output, bad lines to the errors file (flushed first, so that
    // an output line on disk means the bad lines before it are on disk too).
    std::string results, bad;
    std::optional<std::string> stop;
    for (Slot& s : window) {
      if (!s.error.empty()) {
        ++summary.bad_lines;
        if (options.errors.empty()) {
          stop = "input line " + std::to_string(s.line.number) + ": " + s.error;
          break;
        }
        json record = {{"line", s.line.number}, {"error", s.error}};
        if (!s.line.id.is_null()) record[options.id_field] = s.line.id;
        if (!s.raw.empty()) record["input"] = s.raw;
        bad += dump(record) + "\n";
      } else {
        results += with_id(*s.result, s.line.id, options.id_field) + "\n";
        ++summary.results;
      }
    }
    if (!bad.empty() && !err_file.write(bad.data(), static_cast<std::streamsize>(bad.size())).flush())
      fail("cannot write --errors " + options.errors);
    if (!out->write(results.data(), static_cast<std::streamsize>(results.size())).flush())
      fail("cannot write --output " + options.output);
    progress.update(summary.resumed_after + summary.lines_read, summary.tokens);
    if (stop) {
      progress.update(summary.resumed_after + summary.lines_read, summary.tokens, true);
      fail(*stop + " (--errors FILE sets bad lines aside and goes on)");
    }
  }
  progress.update(summary.resumed_after + summary.lines_read, summary.tokens, true);
  return summary;
}

}  // namespace tokprob::corpus
