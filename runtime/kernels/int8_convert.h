// Quantize, dequantize and requantize of dense tensors whose source and destination share a layout, for
// AVX-512: the element-wise loop behind the INT8 boundary ops when no reorder of layout is needed.
//
// oneDNN 2.6's reorder with output scales runs ResNet50's dequantize of 1x2048x7x7 u8 (NHWC -> NHWC f32)
// in 0.023 ms on one thread and 0.03-0.11 ms on two; this loop takes a few microseconds. Small tensors
// stay on the calling thread, where waking a second one would cost more than it saves.
//
// Result, oneDNN's order of operations for a reorder with output scales and zero points:
//   dst = (float(src) - src_zp) * scale + dst_zp, then for an 8-bit destination rounded half to even
//   after saturating to its range.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>

namespace q2i::runtime::kernels {

struct Int8Convert {
  dnnl::memory::data_type from = dnnl::memory::data_type::f32, to = dnnl::memory::data_type::u8;
  float scale = 1.f;
  int32_t src_zp = 0, dst_zp = 0;
};

// Whether the loop handles the conversion: f32, u8 or s8 on each side with at least one 8-bit side, and
// a CPU with AVX-512 (F/BW/VL/DQ, checked with VNNI like the other own kernels).
bool Int8ConvertSupports(const Int8Convert& c);

// Converts `count` elements. Requires Int8ConvertSupports(c).
void RunInt8Convert(const Int8Convert& c, const void* src, void* dst, int64_t count);

// Quantizing a network's input changes its layout too: f32 NCHW [n][channels][pixels] in, 8-bit NHWC
// [n][pixels][channels] out, the same formula. INT8 convolutions take NHWC, and the executor's s8 reorder
// of ResNet50's 3x224x224 input from NCHW took 0.021-0.027 ms after the quantize. Handles f32 -> u8/s8
// without a source zero point, 1 to 4 channels, on a CPU with AVX-512 VNNI and VBMI (its byte permute
// interleaves the channels).
bool Int8ConvertToNhwcSupports(const Int8Convert& c, int64_t channels);
void RunInt8ConvertToNhwc(const Int8Convert& c, const float* src, void* dst, int64_t n, int64_t channels,
                          int64_t pixels);

}  // namespace q2i::runtime::kernels
