// How an activation op maps onto the fused-activation attributes of conv2d (fuse_activation,
// fuse_alpha, fuse_beta) and fc (activation_type): one home for both fusions.
#pragma once

#include <functional>
#include <string>

#include "ir/program.h"
#include "passes/pass_context.h"
#include "support/status.h"

namespace q2i::passes {

struct FusedActivation {
  std::string type;  // "relu", "relu6", "leaky_relu", "swish", "hard_swish", "hard_sigmoid", "sigmoid", "tanh"
  float alpha = 0;   // relu6: upper bound; leaky_relu: slope; swish: beta; hard_sigmoid: slope
  float beta = 0;    // hard_sigmoid: offset
};

// The fused form of `act`, or an empty `type` with `why` set when it cannot be fused.
StatusOr<FusedActivation> DescribeActivation(const ir::Op& act, std::string* why);

// The loop both activation fusions share: for every activation op reading the single-use output
// `out_slot` of a `producer_type` op whose string attribute `activation_attr` is empty, `fuse` records
// the activation on the producer (returning false when that producer cannot take it); the producer then
// writes the activation's output and the activation op goes. Returns whether anything was fused.
StatusOr<bool> FuseActivationsInto(ir::Program& program, PassContext& ctx, const std::string& producer_type,
                                   const std::string& out_slot, const std::string& activation_attr,
                                   const std::function<bool(ir::Op&, const FusedActivation&)>& fuse);

}  // namespace q2i::passes
