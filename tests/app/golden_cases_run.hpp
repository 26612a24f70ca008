// A command run once over every case of a golden.json list, as the command tests check them.
#pragma once

#include <string>
#include <vector>

#include "cli_runner.hpp"

namespace tokprob::testing {

// The command `args` with every case's "text" appended in order; its JSON lines, one per case
// where it succeeded (a failure is reported, and the lines are what it printed).
inline std::vector<nlohmann::json> json_lines_over_cases(std::vector<std::string> args, const nlohmann::json& cases) {
  for (const auto& c : cases) args.push_back(c["text"].get<std::string>());
  const auto r = run_tokprob(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json_lines(r.out);
}

}  // namespace tokprob::testing
