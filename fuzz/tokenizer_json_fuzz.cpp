// tokenizer.json: every model type, normalizer, pre-tokenizer, post-processor and decoder the
// file can name, then a few texts encoded and decoded through the result.
#include "fuzz_target.hpp"
#include "tokprob/tokenizer.hpp"

using namespace tokprob;

TOKPROB_FUZZ_TARGET(tokenizer_json) {
  static const auto dir = fuzz::fresh_folder("tokenizer_json");
  const auto file = dir / "tokenizer.json";
  fuzz::write_file(file, fuzz::as_text(data, size));
  const Tokenizer tokenizer = Tokenizer::from_tokenizer_json(file);
  for (const char* text : {"Hello world! It's 2024, isn't it?", "  caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87\t\n x",
                           "\xFF\xFE<s>[CLS]</s><unk> ab\xE2\x96\x81" "cd", ""})
    fuzz::exercise_tokenizer(tokenizer, text);
  for (int32_t id = 0; id < 4; ++id)
    if (id < static_cast<int32_t>(tokenizer.vocab_size())) (void)tokenizer.token_text(id);
}
