#include "io/cache_home.hpp"

#include <cstdlib>

namespace tokprob {

namespace fs = std::filesystem;

namespace {

std::string getenv_string(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

fs::path expand_home(const std::string& p) {
  if (p == "~" || p.rfind("~/", 0) == 0) return fs::path(getenv_string("HOME")) / p.substr(p.size() > 1 ? 2 : 1);
  return p;
}

fs::path user_cache_home() {
  const std::string xdg = getenv_string("XDG_CACHE_HOME");
  return expand_home(xdg.empty() ? "~/.cache" : xdg);
}

fs::path weight_cache_dir_from_environment() {
  const std::string setting = getenv_string("TOKPROB_WEIGHT_CACHE");
  if (setting == "off" || setting == "0") return {};
  if (!setting.empty()) return expand_home(setting);
  if (getenv_string("XDG_CACHE_HOME").empty() && getenv_string("HOME").empty()) return {};
  return user_cache_home() / "tokprob" / "weights";
}

}  // namespace tokprob
