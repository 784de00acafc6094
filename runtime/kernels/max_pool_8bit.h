// Max pooling of u8 or s8 NHWC activations, for AVX-512 (BW).
//
// oneDNN 2.6's INT8 pooling (jit_int) runs ResNet50's 3x3 stride-2 max pool over 112x112x64 u8 in
// 0.10 ms on one thread and 0.15 ms on two, slower than the same pool in FP32 on four times the bytes.
// This kernel takes the maximum of whole 64-byte channel vectors, one output row per work item. A window
// is clipped to the image (padding never wins a maximum), so every result is one of the inputs: the
// kernel is exact, like any max pool.
#pragma once

#include <cstdint>

namespace q2i::runtime::kernels {

struct MaxPool8Shape {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input (NHWC)
  int64_t oh = 0, ow = 0;              // output
  int64_t kh = 1, kw = 1, stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0;   // bottom/right padding follows from oh/ow
  bool is_signed = false;              // s8 (else u8)
};

// Whether the kernel handles the shape: a CPU with AVX-512 BW, positive sizes and strides, and every
// window overlapping the image (padding smaller than the window, no output starting past the input).
bool MaxPool8Supports(const MaxPool8Shape& s);

// src: [n, h, w, c], dst: [n, oh, ow, c], both dense NHWC of the shape's type. Requires
// MaxPool8Supports(s). Runs on the OpenMP threads when the output is large enough to pay for them.
void MaxPool8Nhwc(const MaxPool8Shape& s, const void* src, void* dst);

}  // namespace q2i::runtime::kernels
