// A count with its noun in the right number: "1 token", "3 tokens".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tokprob {

inline std::string counted(int64_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

}  // namespace tokprob
