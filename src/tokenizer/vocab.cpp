#include "tokenizer/vocab.hpp"

#include <algorithm>
#include <functional>

#include "tokprob/error.hpp"

namespace tokprob::tok {

uint32_t Vocab::hash_of(std::string_view token) {
  return static_cast<uint32_t>(std::hash<std::string_view>{}(token) >> 16);
}

void Vocab::rebuild(size_t capacity) {
  std::vector<uint64_t> old = std::move(slots_);
  slots_.assign(capacity, 0);
  for (uint64_t s : old) {
    if (s == 0) continue;
    const auto id = static_cast<size_t>((s & 0xFFFFFFFFu) - 1);
    if (!present_[id]) continue;
    slots_[slot_of(tokens_[id], static_cast<uint32_t>(s >> 32))] = s;
  }
}

void Vocab::reserve(size_t n) {
  tokens_.reserve(n);
  present_.reserve(n);
  if (slots_.size() < n * 2) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    rebuild(cap);
  }
}

void Vocab::grow() { reserve(slots_.empty() ? 8 : slots_.size()); }

size_t Vocab::slot_of(std::string_view token, uint32_t hash) const {
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i] != 0) {
    if (static_cast<uint32_t>(slots_[i] >> 32) == hash &&
        tokens_[static_cast<size_t>((slots_[i] & 0xFFFFFFFFu) - 1)] == token)
      break;
    i = (i + 1) & mask;
  }
  return i;
}

// Linear-probing deletion by backward shift: later entries of the probe run move up into the hole
// unless their home slot lies cyclically in (hole, entry].
void Vocab::erase_slot(size_t hole) {
  const size_t mask = slots_.size() - 1;
  size_t j = hole;
  while (true) {
    slots_[hole] = 0;
    while (true) {
      j = (j + 1) & mask;
      if (slots_[j] == 0) return;
      const size_t home = static_cast<size_t>(slots_[j] >> 32) & mask;
      const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!stays) break;
    }
    slots_[hole] = slots_[j];
    hole = j;
  }
}

void Vocab::add(std::string token, int32_t id) {
  if (id < 0 || id >= kMaxVocabId)
    fail("vocabulary id " + std::to_string(id) + " of \"" + token + "\" is outside [0, " + std::to_string(kMaxVocabId) + ")");
  if ((count_ + 1) * 2 > slots_.size()) grow();
  const auto index = static_cast<size_t>(id);
  if (tokens_.size() <= index) {
    tokens_.resize(index + 1);
    present_.resize(index + 1, 0);
  }
  if (present_[index]) {
    // The id is reused: drop its old spelling (a rebuild skips ids no longer present).
    // Removing just its slot keeps this O(1): rebuilding the table here made a file that reuses one
    // id throughout take quadratic time (minutes for a 2 MB vocab.json; found by fuzzing).
    erase_slot(slot_of(tokens_[index], hash_of(tokens_[index])));
    present_[index] = 0;
    --count_;
  }
  const uint32_t hash = hash_of(token);
  const size_t slot = slot_of(token, hash);
  if (slots_[slot] != 0) {
    // Same spelling under another id: the new id wins.
    present_[static_cast<size_t>((slots_[slot] & 0xFFFFFFFFu) - 1)] = 0;
    --count_;
  }
  tokens_[index] = std::move(token);
  present_[index] = 1;
  slots_[slot] = (static_cast<uint64_t>(hash) << 32) | (static_cast<uint64_t>(id) + 1);
  ++count_;
}

std::optional<int32_t> Vocab::find(std::string_view token) const {
  if (slots_.empty()) return std::nullopt;
  const uint64_t s = slots_[slot_of(token, hash_of(token))];
  return s != 0 ? std::optional<int32_t>(static_cast<int32_t>((s & 0xFFFFFFFFu) - 1)) : std::nullopt;
}

bool Vocab::assign_raw(std::vector<std::string> tokens, std::vector<uint8_t> present, std::vector<uint64_t> slots) {
  if (tokens.size() != present.size() || tokens.size() > static_cast<size_t>(kMaxVocabId)) return false;
  if (!slots.empty() && (slots.size() < 16 || (slots.size() & (slots.size() - 1)) != 0)) return false;
  size_t count = 0;
  for (uint8_t p : present) {
    if (p > 1) return false;
    count += p;
  }
  // Each present id in exactly one slot, and no slot naming an absent id.
  std::vector<uint8_t> seen(tokens.size(), 0);
  size_t taken = 0;
  for (uint64_t s : slots) {
    if (s == 0) continue;
    const uint64_t id = (s & 0xFFFFFFFFu) - 1;
    if (id >= tokens.size() || !present[id] || seen[id]) return false;
    seen[id] = 1;
    ++taken;
  }
  if (taken != count || (count > 0 && count * 2 > slots.size())) return false;
  tokens_ = std::move(tokens);
  present_ = std::move(present);
  slots_ = std::move(slots);
  count_ = count;
  return true;
}

}  // namespace tokprob::tok
