// Patch gathering (im2col) of 8-bit NHWC activations with few channels, for AVX-512 (BW), and the
// matching filter layout: a convolution over the gathered patches is a 1x1 convolution.
//
// A network's first convolution sees 3 input channels. oneDNN 2.6's INT8 kernels reduce over input
// channels in steps of 4, so ResNet50's 7x7 stride-2 stem (3 -> 64 channels, 112x112 output) runs at
// about 65% of the machine's VNNI peak: 0.76 ms on one thread. Gathered into rows of 7 * 7 * 3 = 147
// bytes (148 with the zero tail), the same work is a 1x1 convolution over 148 channels, which oneDNN's
// brgconv runs in 0.58 ms, and the gathering is a few masked copies per output pixel.
//
// Layout: patch row p = oy * ow + ox holds, for ky, kx, ci in that order, the input byte at
// (oy * stride_h - pad_top + ky, ox * stride_w - pad_left + kx, ci), or the padding value where that
// falls outside the image, then up to PatchLength() bytes that the patch filter multiplies by zero.
// s8 inputs are shifted to u8 on the way (x + 128, padding 128), because oneDNN's u8 kernels are the
// faster ones (0.70 ms against 0.75-0.79 ms for ResNet50's stem); ShiftCompensation() undoes the shift.
#pragma once

#include <cstdint>
#include <vector>

namespace q2i::runtime::kernels {

struct PatchShape {
  int64_t c = 0, h = 0, w = 0;       // one input image (NHWC)
  int64_t oh = 0, ow = 0;            // output map
  int64_t kh = 1, kw = 1, stride_h = 1, stride_w = 1;  // dilation 1 only
  int64_t pad_top = 0, pad_left = 0;  // bottom/right padding follows from oh/ow
  bool shift_s8 = false;             // the input is s8: write x + 128 (padding 128), else bytes as they are
};

// Bytes per patch row: kh * kw * c rounded up to a multiple of 4 (a VNNI step).
int64_t PatchLength(const PatchShape& s);

// Whether GatherPatches handles the shape: a CPU with AVX-512 (F/BW/VL/DQ + VNNI, like the other own
// kernels), positive sizes and strides, and filter rows of at most 64 bytes (kw * c <= 64).
bool PatchGatherSupports(const PatchShape& s);

// Whether a convolution of this shape runs faster as a 1x1 convolution over its patches (the tuned
// policy's rule): fewer than 4 input channels, a filter larger than 1x1, and PatchGatherSupports(s).
bool PatchConvPreferred(const PatchShape& s);

// Writes the patch rows of output rows [row_begin, row_end) of one image `src` ([h, w, c] bytes) into
// `patches` ([(row_end - row_begin) * ow, PatchLength(s)] bytes). Requires PatchGatherSupports(s). Runs on
// the OpenMP threads when the patches are large enough to pay for them.
void GatherPatches(const PatchShape& s, const uint8_t* src, int64_t row_begin, int64_t row_end, uint8_t* patches);

// The filter of the 1x1 convolution over the patches: `filter` is [oc][c][kh][kw] (Paddle's OIHW), the
// result [oc][PatchLength(s)] in patch order with a zero tail.
std::vector<int8_t> PatchFilter(const PatchShape& s, int64_t oc, const int8_t* filter);

// Per output channel, what the shift of s8 inputs adds to its accumulator: 128 times the sum of its
// `filter` ([oc][inner]) values. Subtracting it from the bias undoes the shift.
std::vector<int32_t> ShiftCompensation(int64_t oc, int64_t inner, const int8_t* filter);

}  // namespace q2i::runtime::kernels
