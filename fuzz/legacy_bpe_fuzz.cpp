// vocab.json + merges.txt (GPT-2's slow-tokenizer files). The input is vocab.json, a NUL byte,
// then merges.txt.
#include "fuzz_target.hpp"
#include "tokprob/tokenizer.hpp"

using namespace tokprob;

TOKPROB_FUZZ_TARGET(legacy_bpe) {
  static const auto dir = fuzz::fresh_folder("legacy_bpe");
  const std::string_view input = fuzz::as_text(data, size);
  const size_t nul = input.find('\0');
  fuzz::write_file(dir / "vocab.json", input.substr(0, nul));
  fuzz::write_file(dir / "merges.txt", nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1));
  const Tokenizer tokenizer = Tokenizer::from_legacy_files(dir);
  for (const char* text : {"Hello world! It's 2024", " caf\xC3\xA9 \xFF x  y"}) fuzz::exercise_tokenizer(tokenizer, text);
}
