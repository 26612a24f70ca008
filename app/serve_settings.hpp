// What `serve` was given, parsed and checked by cmd_serve.cpp in both programs; run by
// serve_run.cpp in `tokprob-serve`, and in `tokprob` by serve_exec.cpp, which hands the same command
// line to `tokprob-serve` (see CMakeLists.txt for why the server is a program of its own).
#pragma once

#include "cli_common.hpp"
#include "server/server_options.hpp"

namespace tokprob::cli {

struct ServeSettings {
  CommonOptions common;
  ServerOptions server;
};

int run_serve(const ServeSettings& settings);

}  // namespace tokprob::cli
