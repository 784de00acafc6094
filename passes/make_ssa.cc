// make-ssa: gives every variable a single producer (ir::MakeSsa): in-place outputs such as batch_norm's
// MeanOut aliasing Mean, or `x = relu(x)`, are renamed and their later readers rewired, so the passes
// after it can reason about producers and consumers by name.
// Postcondition: ir::VerifyProgram(program, {.require_ssa = true}) holds for the dataflow.
#include "ir/verifier.h"
#include "passes/passes.h"

namespace q2i::passes {
namespace {

class MakeSsaPass final : public Pass {
 public:
  std::string_view name() const override { return "make-ssa"; }
  std::string_view description() const override { return "Rename in-place outputs (single producer per name)"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    const size_t vars_before = program.vars().size();
    Q2I_RETURN_IF_ERROR(ir::MakeSsa(program));
    const size_t renamed = program.vars().size() - vars_before;
    if (renamed > 0) ctx.Count("renamed", static_cast<int64_t>(renamed));
    return renamed > 0;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateMakeSsaPass() { return std::make_unique<MakeSsaPass>(); }

}  // namespace q2i::passes
