// Weight arithmetic for conv fusions, kept apart from graph matching so it can be tested alone.
#pragma once

#include <vector>

#include "ir/tensor.h"
#include "support/status.h"

namespace q2i::passes {

// Multiplies every output channel c of `filter` (channel axis `axis`: 0 for conv2d [O, I/g, kh, kw],
// 1 for conv2d_transpose [I, O/g, kh, kw] with groups 1) by factor[c].
StatusOr<ir::Tensor> ScaleOutputChannels(const ir::Tensor& filter, const std::vector<double>& factor, int axis);

// The per-channel values of a 1-element or C-element float32 tensor as doubles (C = `channels`).
StatusOr<std::vector<double>> PerChannel(const ir::Tensor& t, int64_t channels, const char* what);

}  // namespace q2i::passes
