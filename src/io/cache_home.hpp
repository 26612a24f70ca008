// Where tokprob and the Hugging Face libraries keep files between runs: one XDG cache home.
#pragma once

#include <filesystem>
#include <string>

namespace tokprob {

// "~" and "~/..." under $HOME; any other path as it is.
std::filesystem::path expand_home(const std::string& path);

// $XDG_CACHE_HOME, else ~/.cache.
std::filesystem::path user_cache_home();

// Where converted weights are kept (PackedWeightCache): $TOKPROB_WEIGHT_CACHE, else
// $XDG_CACHE_HOME/tokprob/weights, else ~/.cache/tokprob/weights; empty (no cache) when
// TOKPROB_WEIGHT_CACHE is "off" or "0", or no home directory is known.
std::filesystem::path weight_cache_dir_from_environment();

}  // namespace tokprob
