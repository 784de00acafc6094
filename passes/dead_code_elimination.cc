// dce: removes ops none of whose outputs is read or fetched (feed/fetch ops stay), then variables and
// weights no op mentions. Repeats until nothing changes.
// Postcondition: every op contributes to a fetch target; every variable is used.
#include <set>

#include "ir/graph_index.h"
#include "passes/passes.h"

namespace q2i::passes {
namespace {

class DeadCodeEliminationPass final : public Pass {
 public:
  std::string_view name() const override { return "dce"; }
  std::string_view description() const override { return "Remove unused ops, variables and weights"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    bool changed = false;
    for (;;) {
      ir::GraphIndex index(program);
      size_t removed = program.RemoveOpsIf([&](const ir::Op& op) {
        if (op.type() == "feed" || op.type() == "fetch") return false;
        for (const auto& out : op.OutputNames())
          if (index.NumConsumers(out) > 0) return false;
        return true;
      });
      if (removed == 0) break;
      ctx.Count("ops", static_cast<int64_t>(removed));
      changed = true;
    }
    std::set<std::string> used;
    for (const auto& op : program.ops()) {
      for (const auto& n : op->InputNames()) used.insert(n);
      for (const auto& n : op->OutputNames()) used.insert(n);
    }
    std::vector<std::string> unused;
    for (const auto& [name, var] : program.vars())
      if (!used.count(name) && name != "feed" && name != "fetch") unused.push_back(name);
    for (const auto& name : unused) {
      program.RemoveVar(name);
      program.RemoveParam(name);
      ctx.Count("vars");
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateDeadCodeEliminationPass() { return std::make_unique<DeadCodeEliminationPass>(); }

}  // namespace q2i::passes
