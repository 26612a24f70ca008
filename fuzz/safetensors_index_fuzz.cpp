// model.safetensors.index.json of a sharded model folder. The folder holds two valid shards, a
// symlink to a shard outside it and a subfolder with a shard, so that names reaching any of them
// are tried; only the two plain shards may ever be opened.
#include <unistd.h>

#include "fuzz_target.hpp"
#include "io/safetensors.hpp"

using namespace tokprob;
namespace fs = std::filesystem;

namespace {

std::string shard(const std::string& tensor) {
  const std::string header = R"({")" + tensor + R"(":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int k = 0; k < 8; ++k) out[static_cast<size_t>(k)] = static_cast<char>((n >> (8 * k)) & 0xFF);
  return out + header + std::string(8, '\0');
}

const fs::path& model_folder() {
  static const fs::path dir = [] {
    const fs::path root = fuzz::fresh_folder("index");
    const fs::path d = root / "model";
    fs::create_directories(d / "sub");
    fuzz::write_file(d / "a.safetensors", shard("a"));
    fuzz::write_file(d / "b.safetensors", shard("b"));
    fuzz::write_file(d / "sub" / "c.safetensors", shard("c"));
    fuzz::write_file(root / "outside.safetensors", shard("outside"));
    fs::create_symlink(root / "outside.safetensors", d / "link.safetensors");
    fs::create_symlink("../outside.safetensors", d / "rel.safetensors");
    return d;
  }();
  return dir;
}

}  // namespace

TOKPROB_FUZZ_TARGET(safetensors_index) {
  const fs::path& dir = model_folder();
  fuzz::write_file(dir / "model.safetensors.index.json", fuzz::as_text(data, size));
  const Weights w = Weights::open_folder(dir);
  for (const auto& name : w.names()) {
    // Only the shards inside the folder can have been opened.
    if (name != "a" && name != "b") __builtin_trap();
    (void)w.f32(name, {2});
  }
}
