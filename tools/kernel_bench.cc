// kernel_bench: one of this project's own INT8 convolution kernels against the oneDNN primitive it
// replaces, on one shape, timed alternately in one process with hot weights and with weights streamed
// from memory (runtime/own_kernel_bench.h). ratio > 1: ours is faster.
#include <gflags/gflags.h>

#include <cstdio>

#include "runtime/own_kernel_bench.h"

DEFINE_string(kernel, "direct", "'direct' (DirectConvU8, dense) or 'depthwise' (DwConvU8)");
DEFINE_int64(batch, 1, "Images");
DEFINE_int64(channels, 512, "Input channels");
DEFINE_int64(out_channels, 512, "Output channels (depthwise: the input channels)");
DEFINE_int64(size, 7, "Input height and width");
DEFINE_int64(filter, 3, "Filter height and width (padding filter / 2 on every side)");
DEFINE_int64(stride, 1, "Stride");
DEFINE_int32(threads, 1, "Threads for both");
DEFINE_int32(runs, 300, "Timed runs of each timing");
DEFINE_int32(copies, 16, "Weight sets cycled through for the streamed timings");

int main(int argc, char** argv) {
  gflags::SetUsageMessage("kernel_bench [--kernel=direct|depthwise] [--channels=C --out_channels=O --size=HW "
                          "--filter=K --stride=S --batch=N --threads=T --runs=R --copies=W]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  const q2i::runtime::OwnKernelBenchOptions o{.kernel = FLAGS_kernel, .batch = FLAGS_batch,
                                              .channels = FLAGS_channels, .out_channels = FLAGS_out_channels,
                                              .size = FLAGS_size, .filter = FLAGS_filter, .stride = FLAGS_stride,
                                              .threads = FLAGS_threads, .runs = FLAGS_runs, .copies = FLAGS_copies};
  auto r = q2i::runtime::BenchOwnKernel(o);
  if (!r.ok()) {
    std::fprintf(stderr, "kernel_bench: error: %s\n", r.status().ToString().c_str());
    return 1;
  }
  std::printf("kernel=%s input=%lldx%lldx%lldx%lld out_channels=%lld filter=%lld stride=%lld threads=%d runs=%d "
              "copies=%d onednn_impl=%s\n",
              o.kernel.c_str(), static_cast<long long>(o.batch), static_cast<long long>(o.channels),
              static_cast<long long>(o.size), static_cast<long long>(o.size),
              static_cast<long long>(o.kernel == "depthwise" ? o.channels : o.out_channels),
              static_cast<long long>(o.filter), static_cast<long long>(o.stride), o.threads, o.runs, o.copies,
              r->onednn_impl.c_str());
  std::printf("onednn_hot_ms=%.4f ours_hot_ms=%.4f hot_ratio=%.2f onednn_streamed_ms=%.4f ours_streamed_ms=%.4f "
              "streamed_ratio=%.2f\n",
              r->onednn_hot_ms, r->ours_hot_ms, r->onednn_hot_ms / r->ours_hot_ms, r->onednn_streamed_ms,
              r->ours_streamed_ms, r->onednn_streamed_ms / r->ours_streamed_ms);
  return 0;
}
