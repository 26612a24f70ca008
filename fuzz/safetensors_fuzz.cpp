// A safetensors file: header length, JSON header (dtypes, shapes, data_offsets), data region.
// The header is parsed from memory; a file that passes is then opened as Weights and every
// floating tensor read as fp32.
#include "fuzz_target.hpp"
#include "io/safetensors.hpp"

using namespace tokprob;

TOKPROB_FUZZ_TARGET(safetensors) {
  const auto views = read_safetensors_header(std::span<const uint8_t>(data, size), "input.safetensors");
  for (const auto& v : views)
    if (v.data < data || v.data + v.nbytes > data + size) __builtin_trap();
  const auto file = fuzz::scratch_dir() / "input.safetensors";
  fuzz::write_file(file, fuzz::as_text(data, size));
  const Weights w = Weights::open_files({file});
  volatile float sink = 0;
  for (const auto& name : w.names()) {
    const TensorView& t = w.get(name);
    if (t.dtype != DType::f32 && t.dtype != DType::f16 && t.dtype != DType::bf16 && t.dtype != DType::f64) continue;
    const float* v = w.f32(name, t.shape);
    for (int64_t i = 0; i < t.numel(); ++i) sink = sink + v[i];
  }
}
