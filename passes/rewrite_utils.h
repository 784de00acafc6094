// Small helpers shared by the rewrites: rewiring uses, new variables and weights, attribute reading.
#pragma once

#include <string>
#include <vector>

#include "ir/program.h"
#include "support/status.h"

namespace q2i::passes {

// Every op input reading `from` reads `to` instead; returns the number of uses rewired.
int ReplaceAllUses(ir::Program& program, const std::string& from, const std::string& to);

// Declares a new float32 tensor variable named after `stem` (made unique) with the dims of `like`
// (when it exists); returns its name.
std::string NewTempVar(ir::Program& program, const std::string& stem, const std::string& like = "");

// Stores `value` as a new persistable variable named after `stem` (made unique); returns its name.
std::string NewParam(ir::Program& program, const std::string& stem, ir::Tensor value);

// The FP32 data of a persistable variable, or an error naming op and variable.
StatusOr<const ir::Tensor*> Fp32Param(const ir::Program& program, const ir::Op& op, const std::string& name);

// Threshold T -> scale-to-one s = 1/T; an error naming `what` when T is zero, negative or not finite.
StatusOr<double> ScaleFromThreshold(double threshold, const std::string& what);

}  // namespace q2i::passes

namespace q2i::passes {

// Stores `value` for the weight `name` read by `user`: under the same name when `user` is its only
// reader, else as a new persistable variable (name derived from `name`). Returns the name to use.
std::string ReplaceWeight(ir::Program& program, const ir::Op& user, const std::string& name, ir::Tensor value);

// True when `name` is read by exactly one op and is not a model output.
bool HasSingleUse(const ir::Program& program, const std::string& name);

}  // namespace q2i::passes
