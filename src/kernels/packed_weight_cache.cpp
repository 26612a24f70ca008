#include "kernels/packed_weight_cache.hpp"

#include <nlohmann/json.hpp>

namespace tokprob {

namespace fs = std::filesystem;

namespace {

// The index names each weight's shape (and fp32's layout) and the offsets of its bytes (and int8's
// scales).
constexpr CacheFileFormat kFormat = {{'T', 'P', 'W', 'C', 'A', 'C', 'H', 'E'}, 1, ".tpw", false};

// The weights' bytes and int8's scales, stored apart (weight_format_bytes counts both).
uint64_t scale_bytes(WeightFormat format, int64_t out, int64_t in) {
  return format == WeightFormat::int8 ? static_cast<uint64_t>(out * ((in + kInt8Block - 1) / kInt8Block)) * 4 : 0;
}
uint64_t data_bytes(WeightFormat format, int64_t out, int64_t in) {
  return static_cast<uint64_t>(weight_format_bytes(format, out, in)) - scale_bytes(format, out, in);
}

}  // namespace

PackedWeightCache::PackedWeightCache(const fs::path& dir, const std::vector<fs::path>& sources, WeightFormat format,
                                     const std::string& settings)
    : dir_(dir), format_(format) {
  std::string kind = std::string("tokprob packed weights v") + std::to_string(kFormat.version) + " " +
                     weight_format_name(format);
  if (!settings.empty()) kind.append("\n").append(settings);
  identity_ = cache_identity(std::move(kind), sources);
  file_ = cache_file_path(dir_, identity_, weight_format_name(format), kFormat);
  read();
}

PackedWeightCache::~PackedWeightCache() = default;

void PackedWeightCache::read() {
  file_map_ = MappedCacheFile::open(file_, kFormat, identity_);
  if (!file_map_) return;
  // Anything unexpected: the file is ignored (and replaced by the next save).
  auto reject = [&] {
    stored_.clear();
    file_map_.reset();
  };
  const nlohmann::json& index = file_map_->index();
  const auto weights = index.find("weights");
  if (weights == index.end() || !weights->is_array()) return reject();
  for (const auto& e : *weights) {
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) return reject();
    // Unsigned integers only: nlohmann's get<int64_t>() of a float outside the range is a
    // float-to-int conversion with undefined behaviour (found by the weight_cache fuzz target).
    for (const char* key : {"out", "in", "data", "scales"})
      if (!e.contains(key) || !e[key].is_number_unsigned()) return reject();
    const auto out = e["out"].get<uint64_t>(), in = e["in"].get<uint64_t>();
    const auto data = e["data"].get<uint64_t>(), scales = e["scales"].get<uint64_t>();
    // Absent in files of the other formats written before fp32 was cached: rows [out, in].
    const auto in_out = e.find("in_out");
    if (in_out != e.end() && (!in_out->is_boolean() || (in_out->get<bool>() && format_ != WeightFormat::f32)))
      return reject();
    // Shapes bounded first, so that the byte counts cannot overflow.
    constexpr uint64_t kMaxSide = uint64_t{1} << 31;
    if (out == 0 || in == 0 || out > kMaxSide || in > kMaxSide) return reject();
    Entry entry;
    entry.out = static_cast<int64_t>(out);
    entry.in = static_cast<int64_t>(in);
    entry.in_out = in_out != e.end() && in_out->get<bool>();
    const uint64_t n = data_bytes(format_, entry.out, entry.in), s = scale_bytes(format_, entry.out, entry.in);
    entry.packed = file_map_->blob(data, n);
    entry.scales = s > 0 ? reinterpret_cast<const float*>(file_map_->blob(scales, s)) : nullptr;
    if (!entry.packed || (s > 0 && !entry.scales)) return reject();
    if (!stored_.emplace(e["name"].get<std::string>(), entry).second) return reject();  // a name twice
  }
}

std::optional<LinearWeights> PackedWeightCache::find(const std::string& name, int64_t out, int64_t in, bool in_out) {
  const auto it = stored_.find(name);
  if (it == stored_.end() || it->second.out != out || it->second.in != in || it->second.in_out != in_out)
    return std::nullopt;
  kept_.emplace(name, it->second);
  LinearWeights w;
  w.in = in;
  w.out = out;
  w.format = format_;
  if (format_ == WeightFormat::f32) {
    w.w = static_cast<const float*>(it->second.packed);
    w.stored_in_out = in_out;
    return w;
  }
  w.packed = it->second.packed;
  w.scales = it->second.scales;
  return w;
}

void PackedWeightCache::add(const std::string& name, const LinearWeights& packed) {
  if (packed.format != format_) return;
  const bool f32 = format_ == WeightFormat::f32;
  const void* data = f32 ? static_cast<const void*>(packed.w) : packed.packed;
  if (!data) return;
  if (kept_.emplace(name, Entry{packed.out, packed.in, f32 && packed.stored_in_out, data, packed.scales}).second)
    changed_ = true;
}

bool PackedWeightCache::save() {
  if (!changed_) return false;
  std::vector<CacheBlob> blobs;
  for (const auto& [name, e] : kept_) {
    blobs.push_back({e.packed, data_bytes(format_, e.out, e.in)});
    if (const uint64_t s = scale_bytes(format_, e.out, e.in); s > 0) blobs.push_back({e.scales, s});
  }
  const bool ok = write_cache_file(file_, kFormat, identity_, blobs, [&](const std::vector<uint64_t>& offsets) {
    nlohmann::json weights = nlohmann::json::array();
    size_t next = 0;
    for (const auto& [name, e] : kept_) {
      const uint64_t data = offsets[next++];
      const uint64_t scales = scale_bytes(format_, e.out, e.in) > 0 ? offsets[next++] : 0;
      weights.push_back(
          {{"name", name}, {"out", e.out}, {"in", e.in}, {"in_out", e.in_out}, {"data", data}, {"scales", scales}});
    }
    return nlohmann::json{{"weights", weights}};
  });
  if (ok) changed_ = false;
  return ok;
}

}  // namespace tokprob
