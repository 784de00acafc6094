// Depthwise INT8 convolution (one filter per channel) of u8 NHWC activations, for AVX-512 VNNI.
//
// A depthwise convolution has no sum over channels, so VNNI's 4-byte dot product (vpdpbusd) finds no
// four products to add in a channel-last layout: oneDNN 2.6 multiplies one tap per 32-bit lane, and runs
// MobileNetV1's INT8 depthwise layers no faster than FP32 ones. This kernel first rewrites each input row
// it needs into "tap quads": for output column x and channel c, the 4 bytes in(x*s - p + k*d, c) for
// k = 0..3 (0 outside the image or past the filter width). One vpdpbusd then multiplies 16 channels by
// up to 4 taps of a filter row against weights packed the same way, and a 3x3 filter takes 3 instructions
// per 16 channels and output pixel instead of 9. A ring of rewritten rows (one per filter row span) is
// reused by the output rows that share them.
//
// Result: dst = clamp(round_half_even(clamp((acc + bias[c]) * scale[c], lo, hi))) in the destination
// type: oneDNN's order of operations for an INT8 convolution with output scales, a bias and a clip or
// relu post-op.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace q2i::runtime::kernels {

struct DwConvU8Shape {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input (NHWC)
  int64_t oh = 0, ow = 0;              // output
  int64_t kh = 0, kw = 0;
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;  // dilation 1 = dense
  int64_t pad_top = 0, pad_left = 0;   // bottom/right padding follows from oh/ow
};

struct DwConvU8Epilogue {
  std::vector<float> bias;   // per channel, in accumulator units; empty = none
  std::vector<float> scale;  // per channel output scale
  float lo = -INFINITY, hi = INFINITY;  // activation bounds after scaling (relu: lo = 0; relu6: [0, 6 s])
  dnnl::memory::data_type dst = dnnl::memory::data_type::u8;  // u8, s8 or f32
};

// Whether the kernel handles the shape: channels a multiple of 16, a filter at most 4 wide and 7 high,
// dilations at most 4, and a CPU with AVX-512 VNNI.
bool DwConvU8Supports(const DwConvU8Shape& s);

// Whether the kernel beats oneDNN's depthwise kernel on this shape (the tuned policy's rule). Timed alone
// on the benchmark machine (bench/README.md, "Depthwise INT8"): blocks of 64 channels 1.2-1.7x faster at
// stride 1 and 0.9-1.2x at stride 2; blocks of 32 channels 1.1-1.5x at stride 1 but 0.75-0.8x at
// stride 2; blocks of 16 channels (channel counts not a multiple of 32) 0.6-0.8x.
bool DwConvU8Preferred(const DwConvU8Shape& s);

class DwConvU8 {
 public:
  // `weights`: s8, [c][kh][kw] (Paddle's [C, 1, kh, kw] filter). `num_threads`: the most OpenMP threads
  // Run() will use (one scratch ring each). Requires DwConvU8Supports(shape).
  DwConvU8(const DwConvU8Shape& shape, const int8_t* weights, DwConvU8Epilogue epilogue, int num_threads);

  // src: u8 NHWC [n, h, w, c]; dst: NHWC [n, oh, ow, c] of the epilogue's type. No allocation.
  void Run(const uint8_t* src, void* dst) const;

  const DwConvU8Shape& shape() const { return s_; }

 private:
  DwConvU8Shape s_;
  dnnl::memory::data_type dst_;  // u8, s8 or f32
  float lo_ = 0.f, hi_ = 0.f;     // activation bounds within the destination type
  int64_t block_ = 16;        // channels per work item: 64, 32 or 16
  int64_t ring_rows_ = 1;     // rewritten rows kept per thread
  int64_t tile_w_ = 1;        // output columns per work item
  int64_t tiles_ = 1;         // column tiles per row
  int64_t row_bytes_ = 0;     // one rewritten row of one tile: tile_w_ * block * 4
  int64_t row_chunks_ = 1;    // bands of output rows per image (threads at small batch)
  int num_threads_ = 1;
  std::vector<int8_t> packed_;            // [kh][c in quad order][4 taps]
  std::vector<float> bias_;               // [c] in quad order (zeros when none)
  std::vector<float> scale_;              // [c] in quad order
  std::vector<uint8_t> buffer_;  // holds the two below, 64-byte aligned
  const uint8_t* zero_row_ = nullptr;  // a rewritten row of padding
  uint8_t* rings_ = nullptr;           // per thread: ring_rows_ * row_bytes_ (written by the const Run)
};

}  // namespace q2i::runtime::kernels
