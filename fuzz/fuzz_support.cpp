#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "fuzz_target.hpp"
#include "tokenizer/unicode_text.hpp"
#include "tokprob/error.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob::fuzz {

namespace fs = std::filesystem;

void run_one(TargetFunction target, const uint8_t* data, size_t size) {
  try {
    target(data, size);
  } catch (const Error&) {
    // Bad input rejected with a message: the expected outcome.
  }
}

std::map<std::string, TargetFunction>& registered_targets() {
  static std::map<std::string, TargetFunction> targets;
  return targets;
}

bool register_target(const char* name, TargetFunction target) {
  registered_targets().emplace(name, target);
  return true;
}

namespace {

void remove_scratch() {
  std::error_code ec;
  fs::remove_all(scratch_dir(), ec);
}

}  // namespace

const fs::path& scratch_dir() {
  static const fs::path dir = [] {
    std::error_code ec;
    const fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
    fs::path d = base / ("tokprob_fuzz_" + std::to_string(::getpid()));
    fs::remove_all(d, ec);
    fs::create_directories(d);
    std::atexit(remove_scratch);
    return d;
  }();
  return dir;
}

fs::path fresh_folder(const std::string& name) {
  const fs::path d = scratch_dir() / name;
  std::error_code ec;
  fs::remove_all(d, ec);
  fs::create_directories(d);
  return d;
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) std::abort();  // the harness itself failing is not a finding
}

fs::path fixtures_dir() {
  if (const char* env = std::getenv("TOKPROB_FIXTURES"); env && *env) return env;
  return fs::path(TOKPROB_SOURCE_DIR) / ".." / "shared" / "fixtures";
}

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_encoding(const Encoding& enc, size_t text_chars) {
  const size_t n = enc.ids.size();
  check(enc.tokens.size() == n && enc.offsets.size() == n && enc.special_mask.size() == n && enc.type_ids.size() == n);
  for (auto [b, e] : enc.offsets) check(b <= e && e <= text_chars);
}

}  // namespace

void exercise_tokenizer(const Tokenizer& tokenizer, std::string_view text) {
  const size_t chars = tok::decode_utf8(text).size();
  for (bool special : {true, false}) {
    const Encoding enc = tokenizer.encode(text, special);
    check_encoding(enc, chars);
    (void)tokenizer.decode(enc.ids, false);
    (void)tokenizer.decode(enc.ids, true);
    for (size_t i = 0; i < enc.ids.size() && i < 8; ++i) {
      (void)tokenizer.token_text(enc.ids[i]);
      check(tokenizer.id_to_token(enc.ids[i]).size() < (size_t{1} << 30));
    }
  }
  // A pair: the text's halves (split at a byte, so possibly inside a code point).
  const std::string_view first = text.substr(0, text.size() / 2), second = text.substr(text.size() / 2);
  const Encoding pair = tokenizer.encode_pair(first, second, true);
  check_encoding(pair, std::max(tok::decode_utf8(first).size(), tok::decode_utf8(second).size()));
  // Ids spelled by the text's bytes, most of them outside the vocabulary.
  std::vector<int32_t> ids;
  for (size_t i = 0; i + 2 <= text.size() && ids.size() < 64; i += 2)
    ids.push_back(static_cast<int32_t>(static_cast<uint8_t>(text[i]) | (static_cast<uint8_t>(text[i + 1]) << 8)) - 256);
  (void)tokenizer.decode(ids, false);
  (void)tokenizer.decode(ids, true);
}

}  // namespace tokprob::fuzz
