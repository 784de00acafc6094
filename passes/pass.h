// Pass: one named, self-contained rewrite of a Program. Run() returns whether it changed the program;
// "pattern did not apply" is never an error (it is a remark), errors are for invalid input.
#pragma once

#include <string_view>

#include "ir/program.h"
#include "passes/pass_context.h"
#include "support/status.h"

namespace q2i::passes {

class Pass {
 public:
  virtual ~Pass() = default;
  virtual std::string_view name() const = 0;         // kebab-case: "fuse-conv-bn"
  virtual std::string_view description() const = 0;  // one line
  virtual StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const = 0;
};

}  // namespace q2i::passes
