#include "tokenizer/tokenizer_cache.hpp"

#include <cstring>
#include <type_traits>

#include "io/cache_file.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

namespace fs = std::filesystem;

namespace {

// Version 1: the tables blob as TableWriter lays it out below.
constexpr CacheFileFormat kFormat = {{'T', 'P', 'T', 'O', 'K', 'E', 'N', 'S'}, 1, ".tpt", true};

constexpr uint32_t kHasVocab = 1, kHasMergeTable = 2, kHasScores = 4;

class TableWriter {
 public:
  template <typename T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  template <typename T>
  void put_array(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    put<uint64_t>(v.size());
    if (!v.empty()) out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  void put_bytes(const std::string& s) { out_ += s; }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

// Every read is bounds-checked; after the first failure all reads fail.
class TableReader {
 public:
  TableReader(const uint8_t* p, uint64_t n) : p_(p), end_(p + n) {}
  template <typename T>
  bool get(T& v) {
    if (!ok_ || static_cast<uint64_t>(end_ - p_) < sizeof v) return ok_ = false;
    std::memcpy(&v, p_, sizeof v);
    p_ += sizeof v;
    return true;
  }
  template <typename T>
  bool get_array(std::vector<T>& v) {
    uint64_t n = 0;
    if (!get(n) || n > static_cast<uint64_t>(end_ - p_) / sizeof(T)) return ok_ = false;
    v.resize(n);
    if (n > 0) std::memcpy(v.data(), p_, n * sizeof(T));
    p_ += n * sizeof(T);
    return true;
  }
  const char* take(uint64_t n) {
    if (!ok_ || n > static_cast<uint64_t>(end_ - p_)) return ok_ = false, nullptr;
    const char* at = reinterpret_cast<const char*>(p_);
    p_ += n;
    return at;
  }
  bool at_end() const { return ok_ && p_ == end_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

void put_vocab(TableWriter& w, const Vocab& v) {
  std::vector<uint32_t> lengths;
  std::string chars;
  lengths.reserve(v.raw_tokens().size());
  for (size_t id = 0; id < v.raw_tokens().size(); ++id) {
    // Ids not present keep no spelling: nothing reads it.
    const std::string& t = v.raw_present()[id] ? v.raw_tokens()[id] : std::string();
    lengths.push_back(static_cast<uint32_t>(t.size()));
    chars += t;
  }
  w.put_array(lengths);
  w.put_array(v.raw_present());
  w.put_array(v.raw_slots());
  w.put_array(std::vector<char>(chars.begin(), chars.end()));
}

std::optional<Vocab> get_vocab(TableReader& r) {
  std::vector<uint32_t> lengths;
  std::vector<uint8_t> present;
  std::vector<uint64_t> slots;
  uint64_t char_count = 0;
  if (!r.get_array(lengths) || !r.get_array(present) || !r.get_array(slots) || !r.get(char_count)) return std::nullopt;
  const char* chars = r.take(char_count);
  if (!chars) return std::nullopt;
  std::vector<std::string> tokens(lengths.size());
  uint64_t at = 0;
  for (size_t i = 0; i < lengths.size(); ++i) {
    if (lengths[i] > char_count - at) return std::nullopt;
    tokens[i].assign(chars + at, lengths[i]);
    at += lengths[i];
  }
  Vocab v;
  if (at != char_count || !v.assign_raw(std::move(tokens), std::move(present), std::move(slots))) return std::nullopt;
  return v;
}

std::string tables_bytes(const ModelTables& t) {
  TableWriter w;
  w.put<uint32_t>((t.vocab ? kHasVocab : 0) | (t.merge_table ? kHasMergeTable : 0) | (t.scores ? kHasScores : 0));
  if (t.vocab) put_vocab(w, *t.vocab);
  if (t.merge_table) {
    w.put_array(t.merge_table->raw_keys());
    w.put_array(t.merge_table->raw_values());
  }
  if (t.scores) w.put_array(*t.scores);
  return w.bytes();
}

std::optional<ModelTables> read_tables(const uint8_t* p, uint64_t n) {
  TableReader r(p, n);
  uint32_t flags = 0;
  if (!r.get(flags) || (flags & ~uint32_t{kHasVocab | kHasMergeTable | kHasScores}) != 0) return std::nullopt;
  ModelTables t;
  if (flags & kHasVocab) {
    t.vocab = get_vocab(r);
    if (!t.vocab) return std::nullopt;
  }
  if (flags & kHasMergeTable) {
    std::vector<uint64_t> keys;
    std::vector<BpeMerge> values;
    if (!r.get_array(keys) || !r.get_array(values)) return std::nullopt;
    t.merge_table.emplace();
    if (!t.merge_table->assign_raw(std::move(keys), std::move(values))) return std::nullopt;
  }
  if (flags & kHasScores) {
    t.scores.emplace();
    if (!r.get_array(*t.scores)) return std::nullopt;
  }
  if (!r.at_end()) return std::nullopt;
  return t;
}

std::string identity_of(const fs::path& file) {
  return cache_identity("tokprob tokenizer v" + std::to_string(kFormat.version), {file});
}

}  // namespace

fs::path cached_tokenizer_path(const fs::path& dir, const fs::path& file) {
  return cache_file_path(dir, identity_of(file), "tokenizer", kFormat);
}

std::optional<TokenizerJsonDocument> read_cached_tokenizer(const fs::path& dir, const fs::path& file) {
  std::string identity;
  try {
    identity = identity_of(file);
  } catch (const Error&) {
    return std::nullopt;  // the file cannot be examined: reading it says why
  }
  const auto mapped = MappedCacheFile::open(cache_file_path(dir, identity, "tokenizer", kFormat), kFormat, identity);
  if (!mapped) return std::nullopt;
  const nlohmann::json& index = mapped->index();
  auto blob = [&](const char* key) -> std::optional<std::pair<const uint8_t*, uint64_t>> {
    const auto e = index.find(key);
    if (e == index.end() || !e->is_array() || e->size() != 2 || !(*e)[0].is_number_unsigned() ||
        !(*e)[1].is_number_unsigned())
      return std::nullopt;
    const auto bytes = (*e)[1].get<uint64_t>();
    const uint8_t* p = mapped->blob((*e)[0].get<uint64_t>(), bytes);
    if (!p) return std::nullopt;
    return std::make_pair(p, bytes);
  };
  const auto document = blob("document"), tables = blob("tables");
  if (!document || !tables) return std::nullopt;
  TokenizerJsonDocument doc;
  doc.rest = nlohmann::json::parse(document->first, document->first + document->second, nullptr, false);
  if (doc.rest.is_discarded()) return std::nullopt;
  auto t = read_tables(tables->first, tables->second);
  if (!t) return std::nullopt;
  doc.tables = std::move(*t);
  return doc;
}

bool write_cached_tokenizer(const fs::path& dir, const fs::path& file, const nlohmann::json& rest, const Model& model) {
  const auto tables = model.tables();
  if (!tables) return false;
  std::string identity;
  try {
    identity = identity_of(file);
  } catch (const Error&) {
    return false;
  }
  const std::string document = rest.dump();
  const std::string bytes = tables_bytes(*tables);
  return write_cache_file(cache_file_path(dir, identity, "tokenizer", kFormat), kFormat, identity,
                          {{document.data(), document.size()}, {bytes.data(), bytes.size()}},
                          [&](const std::vector<uint64_t>& offsets) {
                            return nlohmann::json{{"document", {offsets[0], document.size()}},
                                                  {"tables", {offsets[1], bytes.size()}}};
                          });
}

}  // namespace tokprob::tok
