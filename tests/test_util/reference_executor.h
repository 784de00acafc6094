// ReferenceExecutor: a deliberately naive interpreter of Programs (nested loops, float math) used as a
// test oracle: pass tests check that a rewrite does not change what a program computes, and runtime
// tests compare the oneDNN kernels with it. Every tensor is held as float32; int8/uint8 variables hold
// their integer values as floats. Only the ops our tests use are implemented; others are an error.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/program.h"
#include "support/status.h"

namespace q2i::testing {

// Runs `program` on `feeds` (in FeedNames() order); returns the fetch targets in FetchNames() order.
StatusOr<std::vector<ir::Tensor>> RunReference(const ir::Program& program, const std::vector<ir::Tensor>& feeds);

// Largest |a - b| over two same-shaped float tensors (infinity when the shapes differ).
double MaxAbsDiff(const ir::Tensor& a, const ir::Tensor& b);
// Runs both programs on seeded random feeds shaped like `feed_dims` and returns the largest difference
// over all outputs (infinity on error or shape mismatch; the error goes to `error`).
double MaxOutputDiff(const ir::Program& a, const ir::Program& b, const std::vector<std::vector<int64_t>>& feed_dims,
                     uint32_t seed, std::string* error = nullptr, float lo = -1.f, float hi = 1.f);

}  // namespace q2i::testing
