// The bare-primitive floor of a prepared plan: every convolution the executor runs, re-created as a
// fresh oneDNN convolution with the same shapes, element types, bias, residual sum and activation,
// layouts of oneDNN's choice (format `any`), and timed alone on hot caches. The sum over all
// convolutions is the time no executor built on this oneDNN can beat for them; comparing it with the
// executor's wall time (and, per op, with its profiled kernel time) shows what the executor costs.
// Two more timings show what a network pass costs that the hot floor does not:
//  - `cold`: the same primitive alone, its weights flushed from every cache level before each run. In a
//    network each convolution's weights were last touched a whole pass ago (ResNet50: 25 MB of INT8,
//    100 MB of FP32 weights in between), so at batch 1 they come from memory.
//  - `sequence`: all the bare convolutions back to back in program order (no executor, nothing else
//    in between), each with its own buffers.
// And one that is not a convolution at all:
//  - `weights_read`: a plain read of the same weights after flushing them, one load per cache line: what
//    bringing them in from memory costs on this thread when nothing overlaps it with compute. Inside a
//    network the kernels on small maps were measured to overlap little of it (bench/README.md, "Where
//    batch 1 loses to the floor").
//
// Runs in the calling thread with its OpenMP setting (the executor applies its num_threads there).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/executor.h"
#include "support/status.h"

namespace q2i::runtime {

struct ConvFloor {
  size_t op_index = 0;
  std::string op;     // Op::DebugName()
  std::string shape;  // "1x64x56x56 u8 -> 1x256x56x56 s8, k1x1 s1 g1"
  double floor_ms = 0;     // median of the runs of this primitive alone, one after another
  double cold_ms = 0;      // the same with its weights flushed from the caches before each run
  double sequence_ms = 0;  // median when all of them run back to back in program order
  double weights_read_ms = 0;  // median of a read of its flushed weights (and bias), no convolution
  size_t weight_bytes = 0; // of the primitive's weights (and bias)
  int64_t macs = 0;        // multiply-adds per run: n * oc * oh * ow * (c / groups) * kh * kw
  bool int8 = false;       // u8/s8 input (INT8 arithmetic) rather than f32
};

struct FloorOptions {
  int warmup = 5;
  int repeat = 50;
};

// For every conv2d / depthwise_conv2d / fused conv of the executor's current plan (Prepare or Run it
// first), in program order.
StatusOr<std::vector<ConvFloor>> MeasureConvFloor(const Executor& exec, const FloorOptions& options = {});

}  // namespace q2i::runtime
