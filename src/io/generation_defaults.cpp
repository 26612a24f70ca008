#include "io/generation_defaults.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "tokprob/error.hpp"

namespace tokprob {

namespace {

// nullopt: the file or key is absent (or null), so the next file decides.
std::optional<std::vector<int32_t>> eos_in(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return std::nullopt;
  std::ifstream in(file);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) fail(file.string() + ": not valid JSON");
  if (!j.is_object() || !j.contains("eos_token_id") || j["eos_token_id"].is_null()) return std::nullopt;
  const auto& v = j["eos_token_id"];
  std::vector<int32_t> ids;
  if (v.is_number_integer()) {
    ids.push_back(v.get<int32_t>());
  } else if (v.is_array()) {
    for (const auto& e : v) {
      if (!e.is_number_integer()) fail(file.string() + ": eos_token_id must hold integers");
      ids.push_back(e.get<int32_t>());
    }
  } else {
    fail(file.string() + ": eos_token_id must be an integer or a list of integers");
  }
  return ids;
}

}  // namespace

std::vector<int32_t> read_eos_token_ids(const std::filesystem::path& model_dir) {
  if (auto ids = eos_in(model_dir / "generation_config.json")) return *ids;
  if (auto ids = eos_in(model_dir / "config.json")) return *ids;
  return {};
}

}  // namespace tokprob
