// How an activation op maps onto the fused-activation attributes of conv2d (fuse_activation,
// fuse_alpha, fuse_beta) and fc (activation_type): one home for both fusions.
#pragma once

#include <string>

#include "ir/program.h"
#include "support/status.h"

namespace q2i::passes {

struct FusedActivation {
  std::string type;  // "relu", "relu6", "leaky_relu", "swish", "hard_swish", "hard_sigmoid", "sigmoid", "tanh"
  float alpha = 0;   // relu6: upper bound; leaky_relu: slope; swish: beta; hard_sigmoid: slope
  float beta = 0;    // hard_sigmoid: offset
};

// The fused form of `act`, or an empty `type` with `why` set when it cannot be fused.
StatusOr<FusedActivation> DescribeActivation(const ir::Op& act, std::string* why);

}  // namespace q2i::passes
