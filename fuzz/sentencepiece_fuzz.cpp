// spiece.model / tokenizer.model (a SentencePiece ModelProto).
#include "fuzz_target.hpp"
#include "tokprob/tokenizer.hpp"

using namespace tokprob;

TOKPROB_FUZZ_TARGET(sentencepiece) {
  static const auto dir = fuzz::fresh_folder("sentencepiece");
  fuzz::write_file(dir / "spiece.model", fuzz::as_text(data, size));
  const Tokenizer tokenizer = Tokenizer::from_legacy_files(dir);
  for (const char* text : {"Hello world! <extra_id_0> x", " caf\xC3\xA9 \xE4\xB8\xAD \xFF  x"})
    fuzz::exercise_tokenizer(tokenizer, text);
}
