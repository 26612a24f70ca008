// A cache file of converted weights (~/.cache/tokprob/weights/*.tpw). A file whose identity line
// does not match is ignored before its index is read, so the target writes what the fuzzer cannot
// guess: input byte 0 even, the whole file is the input; odd, the input is a u16 length N, N data
// bytes and the JSON of the "weights" array, wrapped in a valid header and the right identity.
// Every weight found is then read whole (packed values and int8 scales) under ASan.
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "fuzz_target.hpp"
#include "kernels/packed_weight_cache.hpp"

using namespace tokprob;

TOKPROB_FUZZ_TARGET(weight_cache) {
  if (size == 0) return;
  static const std::filesystem::path source = [] {
    const auto p = fuzz::scratch_dir() / "weight_cache_source.safetensors";
    fuzz::write_file(p, "weights");
    return p;
  }();
  const auto dir = fuzz::fresh_folder("weight_cache");
  const WeightFormat format = (data[0] & 2) ? WeightFormat::int8 : WeightFormat::bf16;
  std::string file;
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> asked = {{"w", {4, 64}}, {"x", {1, 1}}};
  if ((data[0] & 1) == 0) {
    file.assign(reinterpret_cast<const char*>(data), size);
  } else {
    size_t n = size >= 3 ? (data[1] | (data[2] << 8)) : 0;
    n = std::min(n, size - std::min<size_t>(size, 3));
    std::string body(reinterpret_cast<const char*>(data) + 3, n);
    body.resize((body.size() + 63) / 64 * 64, '\0');
    const std::string weights(reinterpret_cast<const char*>(data) + 3 + n, size - std::min(size, 3 + n));
    // The identity the cache computes for `source`, read back from a file it wrote.
    static const std::string identity = [&] {
      PackedWeightCache probe(dir, {source}, WeightFormat::bf16);
      std::vector<uint16_t> one(64);
      LinearWeights w;
      w.in = 64;
      w.out = 1;
      w.format = WeightFormat::bf16;
      w.packed = one.data();
      probe.add("probe", w);
      probe.save();
      std::ifstream in(probe.file(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      return nlohmann::json::parse(bytes.substr(bytes.find("{\"identity\""))).at("identity").get<std::string>();
    }();
    std::string id = identity;
    if (format == WeightFormat::int8) id.replace(id.find(" bf16"), 5, " int8");
    const std::string index = "{\"identity\":" + nlohmann::json(id).dump() + ",\"weights\":" + weights + "}";
    file.assign(64, '\0');
    const uint32_t version = 1, order = 0x01020304u;
    const uint64_t index_offset = 64 + body.size(), index_bytes = index.size(), total = index_offset + index.size();
    std::memcpy(&file[0], "TPWCACHE", 8);
    std::memcpy(&file[8], &version, 4);
    std::memcpy(&file[12], &order, 4);
    std::memcpy(&file[16], &index_offset, 8);
    std::memcpy(&file[24], &index_bytes, 8);
    std::memcpy(&file[32], &total, 8);
    file += body + index;
    // The names and shapes the index gives are asked for too.
    const auto j = nlohmann::json::parse(weights, nullptr, false);
    if (j.is_array())
      for (const auto& e : j)
        if (e.is_object() && e.contains("name") && e["name"].is_string() && e.contains("out") &&
            e["out"].is_number_integer() && e.contains("in") && e["in"].is_number_integer())
          asked.push_back({e["name"].get<std::string>(), {e["out"].get<int64_t>(), e["in"].get<int64_t>()}});
  }
  PackedWeightCache names(dir, {source}, format);  // only for the file name
  fuzz::write_file(names.file(), file);
  PackedWeightCache cache(dir, {source}, format);
  volatile unsigned sink = 0;
  for (const auto& [name, shape] : asked) {
    const auto w = cache.find(name, shape.first, shape.second);
    if (!w) continue;
    const auto* p = static_cast<const unsigned char*>(w->packed);
    const int64_t n = w->out * w->in * (format == WeightFormat::int8 ? 1 : 2);
    for (int64_t i = 0; i < n; ++i) sink = sink + p[i];
    if (format == WeightFormat::int8) {
      const int64_t scales = w->out * ((w->in + kInt8Block - 1) / kInt8Block);
      for (int64_t i = 0; i < scales; ++i) {
        uint32_t bits;
        std::memcpy(&bits, &w->scales[i], 4);
        sink = sink + bits;
      }
    }
  }
}
