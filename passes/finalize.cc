// finalize (Paddle: _cleanup, spec 3.12): every op gets op_role = 0 (Forward), and every INT8 op and
// quantize/dequantize/requantize op use_mkldnn = true, as Paddle Inference expects of a saved INT8
// program.
#include "ir/op_kinds.h"
#include "passes/passes.h"

namespace q2i::passes {
namespace {

class FinalizePass final : public Pass {
 public:
  std::string_view name() const override { return "finalize"; }
  std::string_view description() const override { return "op_role = Forward; use_mkldnn on INT8 ops"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    bool changed = false;
    for (const auto& op : program.ops()) {
      const ir::Attribute* role = op->FindAttr("op_role");
      if (role != nullptr && !(*role == ir::Attribute::Int(0))) {
        op->SetAttr("op_role", ir::Attribute::Int(0));
        changed = true;
      }
      if (ir::IsInt8Op(*op) && !op->GetBool("use_mkldnn", false).value_or(false)) {
        op->SetAttr("use_mkldnn", ir::Attribute::Bool(true));
        changed = true;
      }
    }
    if (changed) ctx.Count("updated");
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFinalizePass() { return std::make_unique<FinalizePass>(); }

}  // namespace q2i::passes
