#include "tokenizer/sentencepiece_proto.hpp"

#include <cstdint>

#include "tokprob/error.hpp"

namespace tokprob::tok {

namespace {

// Field numbers of sentencepiece_model.proto.
constexpr uint64_t kNormalizerSpec = 3;
constexpr uint64_t kDenormalizerSpec = 5;
constexpr uint64_t kPrecompiledCharsmap = 2;

enum WireType : uint64_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

class WireReader {
 public:
  WireReader(std::string_view bytes, const std::string& where) : rest_(bytes), where_(where) {}
  bool done() const { return rest_.empty(); }

  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (rest_.empty()) malformed();
      const auto byte = static_cast<unsigned char>(rest_.front());
      rest_.remove_prefix(1);
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    malformed();
  }

  // The next field: its number and, for a length-delimited one, its bytes; other kinds are skipped.
  struct Field {
    uint64_t number;
    uint64_t type;
    std::string_view bytes;
  };
  Field field() {
    const uint64_t key = varint();
    Field f{key >> 3, key & 7, {}};
    switch (f.type) {
      case kVarint: varint(); break;
      case kFixed64: skip(8); break;
      case kFixed32: skip(4); break;
      case kLengthDelimited: {
        const uint64_t n = varint();
        if (n > rest_.size()) malformed();
        f.bytes = rest_.substr(0, n);
        rest_.remove_prefix(n);
        break;
      }
      default: malformed();  // groups (3, 4) are not used by SentencePiece; 6 and 7 do not exist
    }
    if (f.number == 0) malformed();
    return f;
  }

 private:
  void skip(size_t n) {
    if (n > rest_.size()) malformed();
    rest_.remove_prefix(n);
  }
  [[noreturn]] void malformed() const { fail(where_ + ": not a SentencePiece model (malformed protobuf)"); }

  std::string_view rest_;
  const std::string& where_;
};

}  // namespace

std::vector<std::string_view> sentencepiece_charsmaps(std::string_view model, const std::string& where) {
  std::vector<std::string_view> out;
  WireReader top(model, where);
  while (!top.done()) {
    const auto spec = top.field();
    if ((spec.number != kNormalizerSpec && spec.number != kDenormalizerSpec) || spec.type != kLengthDelimited)
      continue;
    WireReader inner(spec.bytes, where);
    while (!inner.done()) {
      const auto f = inner.field();
      if (f.number == kPrecompiledCharsmap && f.type == kLengthDelimited) out.push_back(f.bytes);
    }
  }
  return out;
}

}  // namespace tokprob::tok
