// README.md's table of supported architectures is the registry's: every model_type it names is
// served as that kind of model, and every one served is named.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "models/registry.hpp"

namespace tokprob {
namespace {

// The `model_type`s of the README table row whose first cell starts with `kind`.
std::set<std::string> readme_row(const std::string& kind) {
  std::ifstream in(std::filesystem::path(TOKPROB_SOURCE_DIR) / "README.md");
  EXPECT_TRUE(in) << "cannot open README.md";
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("| " + kind)) continue;
    const std::string cell = line.substr(line.rfind('|', line.size() - 2));
    std::set<std::string> types;
    for (size_t at = cell.find('`'); at != std::string::npos; at = cell.find('`', at)) {
      const size_t end = cell.find('`', at + 1);
      if (end == std::string::npos) break;
      types.insert(cell.substr(at + 1, end - at - 1));
      at = end + 1;
    }
    return types;
  }
  ADD_FAILURE() << "README.md has no table row starting with \"| " << kind << "\"";
  return {};
}

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

TEST(RegistryReadme, SupportedArchitecturesTableIsTheRegistrys) {
  const SupportedModelTypes served = supported_model_types();
  EXPECT_EQ(readme_row("Causal LM"), as_set(served.causal));
  EXPECT_EQ(readme_row("Masked LM"), as_set(served.encoder));
  EXPECT_EQ(readme_row("Seq2seq"), as_set(served.seq2seq));
}

}  // namespace
}  // namespace tokprob
