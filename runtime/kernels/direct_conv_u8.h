// Dense INT8 convolution (groups 1) of u8 NHWC activations for small maps, on AVX-512 VNNI, that reads
// its weights once per pass and streams them in while it computes.
//
// In ResNet50 at batch 1, the last two stages' convolutions carry 0.6-2.4 MB of weights each and see a
// 14x14 or 7x7 map. Each finds its weights in memory (the network's 24 MB do not stay cached), and
// oneDNN 2.6 takes them in as it computes, without overlap: a stage-5 3x3 convolution ran in 0.38 ms in
// the network and in 0.27 ms right after a read of its weights (bench/README.md, "Where batch 1 loses").
// This kernel packs the weights by blocks of 64 output channels, in the order it reads them, and while it
// computes one block it prefetches the next one (into L1 and L2), spread evenly over the block's work.
//
// Work: per image and block of 64 output channels, in segments of output pixels. For each filter tap and
// 4 input channels a segment loads its weight vectors, broadcasts each pixel's 4 input bytes and issues
// one vpdpbusd (64 multiply-adds) per pixel and weight vector. Two segment shapes:
// - a row of up to 7 pixels x 4 x 16 channels. Filter rows that fall entirely in the padding are
//   skipped, and so is a tap for the segment's first or last pixel when its column is padding; the other
//   padding reads zeros from a padded copy of the input that Run() refreshes when the convolution pads;
// - on a flat map (1x1 filter, stride 1, no padding: output pixel p reads input pixel p, across rows),
//   up to 14 pixels x 2 x 16 channels, twice per block. A 1x1 filter at a larger stride becomes one:
//   Run() first gathers the pixels it reads into a dense copy. Its 28 accumulators, 2 weight vectors and the
//   broadcast fit the 32 vector registers, where the row shape keeps one accumulator in memory.
// Inputs whose channels are not a multiple of 4 (a network's stem: 3 channels) run in window mode: one
// filter row's kw x c input bytes lie next to each other in NHWC, so the kernel reads each filter row of
// a pixel's window as one tap of ceil(kw * c / 4) quads (the bytes past kw * c meet zero weights), over
// a padded copy of the input, in rows of 6-pixel segments (no accumulator kept in memory). ResNet50's
// 7x7 stem then takes 7 x 6 quads per pixel, against 7 x 7 x 4 channels padded to 4 (oneDNN) or 37
// quads plus a gather per pixel (runtime/kernels/patch_conv.h).
// An s8 input (an image quantized with negative values) is read shifted to u8 (x + 128, padding 128)
// from the copy, and the bias takes back 128 x each filter's sum: the result is exact. (No tap is then
// skipped for padding: the padding's 128s are part of what the bias takes back.)
//
// Result, per output channel c (oneDNN's post-op chain for an INT8 convolution with output scales, the
// training roundings, a residual sum and a clip; runtime/kernels/training_rounding.h):
//   v = (acc + bias[c]) * scale[c]
//   if pre_residual_rescale: v = clamp(round(v), -127, 127) * pre_residual_rescale
//   if residual:             v += sum_scale * dst (what the destination held, of type residual_type)
//   if pre_activation_round: v = clamp(round(v), -127, 127)
//   v = clamp(v * post_rescale, lo, hi), then round half to even and saturate (u8, s8) or store (f32).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace q2i::runtime::kernels {

struct DirectConvU8Shape {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input (NHWC)
  int64_t oc = 0, oh = 0, ow = 0;      // output (NHWC)
  int64_t kh = 0, kw = 0;
  int64_t stride_h = 1, stride_w = 1;  // dilation 1 only
  int64_t pad_top = 0, pad_left = 0;   // bottom/right padding follows from oh/ow
  bool s8_input = false;               // the input is s8 (else u8)
};

struct DirectConvU8Epilogue {
  std::vector<float> bias;   // per output channel, in accumulator units; empty = none
  std::vector<float> scale;  // per output channel output scale
  std::optional<float> pre_residual_rescale;  // set: round and clip before the sum, then this factor
  bool residual = false;     // add sum_scale * (the destination's previous contents)
  float sum_scale = 1.f;
  dnnl::memory::data_type residual_type = dnnl::memory::data_type::u8;  // what the destination holds
  bool pre_activation_round = false;
  float post_rescale = 1.f;
  float lo = -INFINITY, hi = INFINITY;  // activation bounds, after post_rescale
  dnnl::memory::data_type dst = dnnl::memory::data_type::u8;  // u8, s8 or f32
};

// Whether the kernel handles the shape: output channels a multiple of 64, padding within the filter,
// and a CPU with AVX-512 VNNI. (Input channels that are not a multiple of 4 run in window mode.)
bool DirectConvU8Supports(const DirectConvU8Shape& s);

// Whether it beats oneDNN (or, for stems, PatchConv) on this shape inside a network at `num_threads`
// (the tuned policy's rule; bench/README.md, "Streaming weights", "Splitting by rows" and "The stem in
// window mode"): a stem (fewer than 4 input channels, at least 64 filter taps; u8 or s8, any batch) on 2
// threads or more, or one u8 image and an output of at most 14x14 pixels, measured at one and two
// threads. (At two threads, 14x14 maps split by blocks won
// 2.2-2.5% on ResNet50 in one measurement, 0.99-1.01 in another, and lost 1.1-2.3% on MobileNetV1; split
// by rows they win 1.9-2.3% on ResNet50 and 0.99-1.01 on MobileNetV1.) ResNet50's stem in window mode:
// at one thread as fast as PatchConv alone but the network 0.7% slower (20 pinned pairs); at two threads
// 0.29 against 0.38 ms at batch 1 and 3.8-4.1 against 4.6-5.9 ms at batch 16, the network level to
// slightly faster.
bool DirectConvU8Preferred(const DirectConvU8Shape& s, int num_threads);

class DirectConvU8 {
 public:
  // `weights`: s8, [oc][c][kh][kw] (Paddle's filter). `num_threads`: the most OpenMP threads Run() uses.
  // Requires DirectConvU8Supports(shape) and a consistent epilogue.
  DirectConvU8(const DirectConvU8Shape& shape, const int8_t* weights, DirectConvU8Epilogue epilogue,
               int num_threads);

  // src: NHWC [n, h, w, c] of u8 (s8 with shape.s8_input); dst: NHWC [n, oh, ow, oc] of the epilogue's
  // type, holding the residual when the epilogue has one. No allocation.
  void Run(const uint8_t* src, void* dst) const;

  const DirectConvU8Shape& shape() const { return s_; }

  // The first block's packed weights: what Run() reads first (on its first thread).
  std::span<const std::byte> leading_weights() const;
  // Makes Run()'s first thread prefetch `weights` (the next step's leading weights) while it
  // computes its last block, as it does its own next block before. Empty: none (the default).
  void PrefetchAtEnd(std::span<const std::byte> weights) { after_ = weights; }

 private:
  // Writes part `part` of `parts` of image `img`'s rows (input rows when padded, output rows when
  // gathered) into the copy Run() reads; nothing without a copy.
  void CopyInput(const uint8_t* src, int64_t img, int64_t part, int64_t parts) const;

  // How Run() hands the input to the kernel: as it is, in a padded copy (always in window mode and for
  // s8 inputs, shifted to u8), or (a 1x1 filter at a stride) gathered at the stride into a dense copy,
  // which makes the map flat.
  enum class InputCopy { kNone, kPadded, kGathered };

  DirectConvU8Shape s_;
  // The shape the kernel runs: s_; after the gather a 1x1 at stride 1; in window mode kw 1 over
  // ceil(kw * c / 4) quads of "channels" and unpadded columns, the input still s_.c bytes per pixel.
  DirectConvU8Shape run_;
  DirectConvU8Epilogue e_;  // its bias moved into bias_
  int num_threads_ = 1;
  int64_t hp_ = 0, wp_ = 0;  // the input's size as the kernel reads it
  InputCopy copy_ = InputCopy::kNone;
  std::vector<int8_t> packed_;  // [oc / 64][kh][kw][c / 4][64][4] of run_, 64-byte aligned at packed_data_
  const int8_t* packed_data_ = nullptr;
  std::vector<float> bias_;     // [oc] (zeros when none)
  std::span<const std::byte> after_;  // prefetched at the end of Run (PrefetchAtEnd)
  std::vector<uint8_t> copy_buffer_;  // [n][hp][wp][c]: borders zero (s8: 128), the rest written by Run
  uint8_t* copy_data_ = nullptr;
};

}  // namespace q2i::runtime::kernels
