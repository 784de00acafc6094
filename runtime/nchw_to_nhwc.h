// The layout change in front of nearly every CNN: a plain NCHW image with a few channels (RGB input,
// f32 or quantized to s8/u8) into NHWC, the layout oneDNN's first convolution asks for. oneDNN 2.6's
// reorder takes about 45 us for 1x3x224x224 in either element type on this project's benchmark machine;
// this interleaving loop, vectorized for AVX2, takes 13 us (f32) and 3-6 us (s8) and gives the same
// bytes. The executor uses it for the reorder steps it matches and keeps oneDNN's reorder for all others.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>

namespace q2i::runtime {

struct NchwToNhwc {
  int64_t n = 0, c = 0, hw = 0;  // images, channels (2..4), pixels per image
  size_t elem_size = 0;          // 1 or 4 bytes
};

// The interleaving that turns `src` into `dst`, when `src` is dense NCHW (abcd) and `dst` the same dims
// and element type (1 or 4 bytes) in dense NHWC (acdb) with 2 to 4 channels, and the CPU has AVX2;
// otherwise nullopt (use a oneDNN reorder).
std::optional<NchwToNhwc> MatchNchwToNhwc(const dnnl::memory::desc& src, const dnnl::memory::desc& dst);

// Runs the matched interleaving; `src` and `dst` must not overlap.
void RunNchwToNhwc(const NchwToNhwc& t, const void* src, void* dst);

}  // namespace q2i::runtime
