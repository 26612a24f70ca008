// Arbitrary bytes (invalid UTF-8 included) through every fixture tokenizer: tokenizer.json and
// legacy files. The first byte picks the tokenizer, the rest is the text.
#include <memory>

#include "fuzz_target.hpp"
#include "tokprob/error.hpp"
#include "tokprob/tokenizer.hpp"

using namespace tokprob;

namespace {

const std::vector<std::unique_ptr<Tokenizer>>& fixture_tokenizers() {
  static const auto all = [] {
    std::vector<std::unique_ptr<Tokenizer>> out;
    const auto root = fuzz::fixtures_dir();
    for (const char* name : {"gpt2-tiny", "bert-tiny-mlm", "distilbert-tiny-sst2", "t5-tiny", "llama-tiny", "tinystories-656k"}) {
      const auto dir = root / name;
      if (!std::filesystem::exists(dir / "tokenizer.json")) continue;
      out.push_back(std::make_unique<Tokenizer>(Tokenizer::from_folder(dir)));
      if (std::string(name) != "tinystories-656k") out.push_back(std::make_unique<Tokenizer>(Tokenizer::from_legacy_files(dir)));
    }
    if (out.empty()) fail("no fixture tokenizers under " + root.string() + " (set TOKPROB_FIXTURES)");
    return out;
  }();
  return all;
}

}  // namespace

TOKPROB_FUZZ_TARGET(encode) {
  const auto& tokenizers = fixture_tokenizers();
  if (size == 0) return;
  fuzz::exercise_tokenizer(*tokenizers[data[0] % tokenizers.size()], fuzz::as_text(data + 1, size - 1));
}
