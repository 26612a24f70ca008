// Just enough of the protobuf wire format to find what libsentencepiece trusts without checking
// in a ModelProto (spiece.model / tokenizer.model): the normalizers' precompiled character maps.
// The library walks their darts-clone trie and reads their strings with no bounds checks, so a
// malformed map in a downloaded model would make it read outside the file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tokprob::tok {

// Every precompiled_charsmap of the model's normalizer_spec and denormalizer_spec, in file order
// (a repeated message field is merged by protobuf, so each one written may be the one used).
// Throws tokprob::Error naming `where` when the bytes are not well-formed protobuf.
std::vector<std::string_view> sentencepiece_charsmaps(std::string_view model, const std::string& where);

}  // namespace tokprob::tok
