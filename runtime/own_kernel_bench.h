// This project's own INT8 convolution kernels against the oneDNN primitive they replace, alone: the
// same shape (u8 NHWC in and out, s8 weights, a bias, per-channel output scales, a relu), timed
// alternately in one process. Two conditions:
//  - hot: the same weights every run, so they stay cached (oneDNN's best case, the `--floor` figure);
//  - streamed: the runs cycle through `copies` separate weight sets, so each run finds its weights in
//    memory, as every convolution of a network pass at batch 1 does (ResNet50 streams 24 MB of INT8
//    weights through a 1 MiB L2 per pass).
// The kernels' rules (DwConvU8Preferred, DirectConvU8Preferred) come from these figures; tools/kernel_bench
// prints them (bench/README.md).
#pragma once

#include <cstdint>
#include <string>

#include "support/status.h"

namespace q2i::runtime {

struct OwnKernelBenchOptions {
  std::string kernel = "direct";  // "direct" (DirectConvU8) or "depthwise" (DwConvU8)
  int64_t batch = 1, channels = 512, out_channels = 512;  // depthwise: out_channels = channels
  int64_t size = 7;                // input height = width
  int64_t filter = 3, stride = 1;  // square filter, padding filter / 2 on every side
  int threads = 1;
  int runs = 300;    // timed runs of each of the four timings
  int copies = 16;   // weight sets cycled through for `streamed`
};

struct OwnKernelBenchResult {
  std::string onednn_impl;  // oneDNN's implementation name
  double onednn_hot_ms = 0, onednn_streamed_ms = 0;  // medians
  double ours_hot_ms = 0, ours_streamed_ms = 0;
};

// Errors: InvalidArgument for a bad option or a shape the kernel does not handle (it names which),
// Unsupported when this CPU lacks the kernel's instructions.
StatusOr<OwnKernelBenchResult> BenchOwnKernel(const OwnKernelBenchOptions& options);

}  // namespace q2i::runtime
