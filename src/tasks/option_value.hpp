// How a task's error message quotes the value of one of its options: a number as a person writes
// it ("-1", "0.5", "1e+30"), never std::to_string's "-1.000000".
#pragma once

#include <charconv>
#include <cstdint>
#include <string>

namespace tokprob {

inline std::string option_value(double v) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;  // the shortest text that reads back as v
  return std::string(buf, end);
}

inline std::string option_value(int64_t v) { return std::to_string(v); }

}  // namespace tokprob
