// In `tokprob`, `serve` runs the program `tokprob-serve` installed beside it with the same command
// line (checked here first, so a bad flag is reported without starting it).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "serve_settings.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

int run_serve(const ServeSettings&) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) fail("serve: cannot find this program's own path: " + ec.message());
  const std::string server = (self.parent_path() / "tokprob-serve").string();
  std::vector<char*> args(command_line().begin(), command_line().end());
  args[0] = const_cast<char*>(server.c_str());
  args.push_back(nullptr);
  ::execv(server.c_str(), args.data());
  fail("serve: cannot run " + server + " (the server program installed beside tokprob): " + std::strerror(errno));
}

}  // namespace tokprob::cli
