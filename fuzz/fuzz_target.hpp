// What a fuzz target file declares, and the helpers they share.
//
// Each fuzz/<name>_fuzz.cpp holds one target written as
//     TOKPROB_FUZZ_TARGET(name) { ... data, size ... }
// Built with TOKPROB_FUZZ_MAIN (the libFuzzer executables) the body becomes
// LLVMFuzzerTestOneInput; built into tokprob_tests it is registered under its name so that
// tests/fuzz/regressions_test.cpp replays fuzz/regressions/<name>/* through the same code.
// tokprob::Error is an expected outcome of bad input; any other exception escapes, and libFuzzer
// reports it as a crash (std::terminate).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tokprob::fuzz {

using TargetFunction = void (*)(const uint8_t* data, size_t size);

// Runs one input, swallowing tokprob::Error.
void run_one(TargetFunction target, const uint8_t* data, size_t size);

std::map<std::string, TargetFunction>& registered_targets();
bool register_target(const char* name, TargetFunction target);

// A folder of this process for the files a target writes its input to (under /dev/shm when
// there is one), emptied on first use and removed at exit.
const std::filesystem::path& scratch_dir();
// Creates (or empties) scratch_dir()/name and returns it.
std::filesystem::path fresh_folder(const std::string& name);
void write_file(const std::filesystem::path& path, std::string_view bytes);

// ../shared/fixtures, or $TOKPROB_FIXTURES.
std::filesystem::path fixtures_dir();

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace tokprob::fuzz

#define TOKPROB_FUZZ_CONCAT_(a, b) a##b
#ifdef TOKPROB_FUZZ_MAIN
#define TOKPROB_FUZZ_TARGET(name)                                                            \
  static void TOKPROB_FUZZ_CONCAT_(fuzz_target_, name)(const uint8_t* data, size_t size);    \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {                  \
    ::tokprob::fuzz::run_one(TOKPROB_FUZZ_CONCAT_(fuzz_target_, name), data, size);          \
    return 0;                                                                                \
  }                                                                                          \
  static void TOKPROB_FUZZ_CONCAT_(fuzz_target_, name)(const uint8_t* data, size_t size)
#else
#define TOKPROB_FUZZ_TARGET(name)                                                            \
  static void TOKPROB_FUZZ_CONCAT_(fuzz_target_, name)(const uint8_t* data, size_t size);    \
  [[maybe_unused]] static const bool TOKPROB_FUZZ_CONCAT_(fuzz_registered_, name) =          \
      ::tokprob::fuzz::register_target(#name, TOKPROB_FUZZ_CONCAT_(fuzz_target_, name));     \
  static void TOKPROB_FUZZ_CONCAT_(fuzz_target_, name)(const uint8_t* data, size_t size)
#endif

namespace tokprob {
class Tokenizer;
namespace fuzz {

// Encodes `text` (alone, as a pair, with and without special tokens), checks what an Encoding
// promises (parallel arrays, offsets inside the text), decodes the ids back and asks for each
// token's text. A broken promise aborts.
void exercise_tokenizer(const Tokenizer& tokenizer, std::string_view text);

}  // namespace fuzz
}  // namespace tokprob
