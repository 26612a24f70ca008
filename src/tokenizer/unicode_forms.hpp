// Unicode normalization forms applied to a NormalizedString, with each output code point tied to
// the input the way `tokenizers` ties it (so that offsets after NFC/NFD/NFKC/NFKD are the same).
#pragma once

#include "tokenizer/normalized_string.hpp"

namespace tokprob::tok {

enum class UnicodeForm { nfc, nfd, nfkc, nfkd };

void unicode_normalize(NormalizedString& s, UnicodeForm form);

}  // namespace tokprob::tok
