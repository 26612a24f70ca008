// vocab.txt (BERT's slow-tokenizer file).
#include "fuzz_target.hpp"
#include "tokprob/tokenizer.hpp"

using namespace tokprob;

TOKPROB_FUZZ_TARGET(legacy_wordpiece) {
  static const auto dir = fuzz::fresh_folder("legacy_wordpiece");
  fuzz::write_file(dir / "vocab.txt", fuzz::as_text(data, size));
  const Tokenizer tokenizer = Tokenizer::from_legacy_files(dir);
  for (const char* text : {"Hello [CLS] world! unaffable", " caf\xC3\xA9 \xE4\xB8\xAD \xFF x"})
    fuzz::exercise_tokenizer(tokenizer, text);
}
