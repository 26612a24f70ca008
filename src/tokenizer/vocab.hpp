// Token string <-> id tables. Open addressing over ids into the token list: one allocation per
// token string and no per-entry nodes, which is most of what loading a 50k vocabulary costs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tokprob::tok {

// Ids of a vocabulary must lie in [0, kMaxVocabId): the table by id is as long as the largest id,
// and the largest real vocabularies have about 2^18 tokens.
inline constexpr int64_t kMaxVocabId = int64_t{1} << 22;

class Vocab {
 public:
  void reserve(size_t n);
  // A token seen again takes the new id (the last entry wins, as in a JSON object). Throws
  // tokprob::Error for an id outside [0, kMaxVocabId); loaders check first to name their file.
  void add(std::string token, int32_t id);
  std::optional<int32_t> find(std::string_view token) const;
  const std::string* token(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) < tokens_.size() && present_[static_cast<size_t>(id)]
               ? &tokens_[static_cast<size_t>(id)]
               : nullptr;
  }
  size_t size() const { return count_; }

  // The tables as they are, for a tokenizer cache file (tokenizer_cache.cpp): the tokens by id
  // (ids not present hold stale or empty strings), which ids are present, and the slots.
  const std::vector<std::string>& raw_tokens() const { return tokens_; }
  const std::vector<uint8_t>& raw_present() const { return present_; }
  const std::vector<uint64_t>& raw_slots() const { return slots_; }
  // The tables back; false (and the vocabulary unchanged) when they are not tables that add()
  // could have built: sizes, ids, a free slot for every probe to end at. Each slot's hash is not
  // checked (the cache file's checksum covers damage; only a wrong answer could follow, never a
  // read out of bounds or an endless probe).
  bool assign_raw(std::vector<std::string> tokens, std::vector<uint8_t> present, std::vector<uint64_t> slots);

 private:
  void grow();
  size_t slot_of(std::string_view token, uint32_t hash) const;  // where `token` is, or the empty slot it would take
  static uint32_t hash_of(std::string_view token);
  void rebuild(size_t capacity);
  void erase_slot(size_t slot);

  std::vector<std::string> tokens_;  // by id
  std::vector<uint8_t> present_;
  // Per slot: the token's hash in the high 32 bits, its id + 1 in the low ones (0: empty);
  // comparing hashes first keeps most probes off the token strings.
  std::vector<uint64_t> slots_;
  size_t count_ = 0;
};

// uint64 -> value map with open addressing (BPE merges keyed by a pair of ids).
template <typename V>
class U64Map {
 public:
  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    keys_.assign(cap, kEmpty);
    values_.assign(cap, V{});
  }
  // Keeps the first value stored for a key.
  void emplace(uint64_t key, V value) {
    if ((size_ + 1) * 2 > keys_.size()) rehash();
    size_t i = index(key);
    if (keys_[i] == key) return;
    keys_[i] = key;
    values_[i] = value;
    ++size_;
  }
  const V* find(uint64_t key) const {
    if (keys_.empty()) return nullptr;
    const size_t i = index(key);
    return keys_[i] == key ? &values_[i] : nullptr;
  }

  // The table as it is, for a tokenizer cache file, and back: false (the map unchanged) unless the
  // capacity is a power of two and at most half the slots are taken, as emplace() keeps it (every
  // probe then ends).
  const std::vector<uint64_t>& raw_keys() const { return keys_; }
  const std::vector<V>& raw_values() const { return values_; }
  bool assign_raw(std::vector<uint64_t> keys, std::vector<V> values) {
    if (keys.size() != values.size() || (!keys.empty() && (keys.size() < 16 || (keys.size() & (keys.size() - 1)) != 0)))
      return false;
    size_t taken = 0;
    for (uint64_t k : keys) taken += k != kEmpty;
    if (taken * 2 > keys.size()) return false;
    keys_ = std::move(keys);
    values_ = std::move(values);
    size_ = taken;
    return true;
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  size_t index(uint64_t key) const {
    const size_t mask = keys_.size() - 1;
    size_t i = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
    while (keys_[i] != kEmpty && keys_[i] != key) i = (i + 1) & mask;
    return i;
  }
  void rehash() {
    std::vector<uint64_t> keys = std::move(keys_);
    std::vector<V> values = std::move(values_);
    reserve(keys.empty() ? 8 : keys.size());
    size_ = 0;
    for (size_t k = 0; k < keys.size(); ++k)
      if (keys[k] != kEmpty) emplace(keys[k], values[k]);
  }
  std::vector<uint64_t> keys_;
  std::vector<V> values_;
  size_t size_ = 0;
};

}  // namespace tokprob::tok
