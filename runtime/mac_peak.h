// The multiply-add peak of one core, measured: how fast this CPU issues its widest vector multiply-add
// when nothing else limits it (24 independent chains, no memory operands). The figure that tells how
// close a network's convolutions run to the machine: `benchmark --floor` divides each model's
// multiply-adds by it (bench/README.md, "How close to the machine").
//  - INT8: vpdpbusd on 512-bit registers, 64 u8 x s8 multiply-adds each (AVX-512 VNNI);
//  - FP32: vfmadd231ps on 512-bit registers, 16 multiply-adds each (AVX-512 F).
// Runs on the calling thread only; a machine's peak is this times the cores used.
#pragma once

#include "support/status.h"

namespace q2i::runtime {

enum class MacKind { kInt8, kFp32 };

// Billions of multiply-adds per second on one core: the best rate of 1 ms slices over about `seconds`
// (at least 1 ms).
// Errors: InvalidArgument for a non-positive time, Unsupported when the CPU lacks the instructions.
StatusOr<double> MeasureMacPeakPerCore(MacKind kind, double seconds = 0.1);

}  // namespace q2i::runtime
