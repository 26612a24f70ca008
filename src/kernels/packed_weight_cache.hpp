// Weights converted at load (--dtype bf16|f16|int8) kept on disk, so that the next load of the same
// checkpoint in the same format maps them instead of converting again. Converting reads every
// fp32 weight and writes the converted copy into fresh pages: on distilgpt2 that was as long as
// the rest of a cold start together. Mapped, the converted weights cost one read of their bytes.
//
// fp32 matrices widened from F16/BF16 (--dtype fp32 of a half-precision checkpoint) are kept too,
// in their stored layout ([in, out] stays [in, out]: the products sum as without the cache), so
// that the next load maps them instead of widening every matrix again.
//
// One file per checkpoint and format (io/cache_file.hpp), whose identity is the checkpoint's weight
// files, its configuration (which decides which tensor a name is) and the format.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/cache_file.hpp"
#include "kernels/linear.hpp"
#include "kernels/weight_format.hpp"

namespace tokprob {

class PackedWeightCache {
 public:
  // The cache for the checkpoint made of `sources` (its files) in `format`, under `dir`; an existing
  // valid file is mapped. Throws only when a source cannot be examined.
  // `settings` is whatever else decides the weights' meaning (the model's configuration).
  PackedWeightCache(const std::filesystem::path& dir, const std::vector<std::filesystem::path>& sources,
                    WeightFormat format, const std::string& settings = "");
  ~PackedWeightCache();
  PackedWeightCache(const PackedWeightCache&) = delete;
  PackedWeightCache& operator=(const PackedWeightCache&) = delete;

  // The weights held under `name` if they are `out` x `in` (fp32: stored [in, out] when `in_out`):
  // `packed` (and int8's `scales`; fp32's `w`) point into the mapped file, valid for this object's
  // lifetime; `b` is unset.
  std::optional<LinearWeights> find(const std::string& name, int64_t out, int64_t in, bool in_out = false);

  // Weights converted now, to be written by save(); their memory must stay valid until then.
  void add(const std::string& name, const LinearWeights& packed);

  // Writes the file when add() was called since it was read (weights found are kept in it, others
  // dropped), then removes the least recently used files beyond kMaxCacheBytes. The cache only
  // saves time, so a failure (read-only or full disk) is no error: it returns false.
  bool save();

  // The file this cache reads and writes.
  const std::filesystem::path& file() const { return file_; }

 private:
  struct Entry {
    int64_t out = 0, in = 0;
    bool in_out = false;  // fp32 only
    const void* packed = nullptr;
    const float* scales = nullptr;
  };
  void read();

  std::filesystem::path dir_, file_;
  std::string identity_;
  WeightFormat format_;
  std::unique_ptr<MappedCacheFile> file_map_;  // the file read
  std::map<std::string, Entry> stored_;  // in the mapped file, by weight name
  std::map<std::string, Entry> kept_;    // to write: found in the file or added
  bool changed_ = false;
};

}  // namespace tokprob
