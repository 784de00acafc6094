// squash-quant (Paddle: cpu_quantize_squash_pass, spec 3.11), applied until nothing changes:
//   1. dequantize -> quantize of one variable: when Scale and signedness agree the quantize's readers
//      read the dequantize's int8 input directly; otherwise a `requantize` (Scale_in, Scale_out)
//      replaces the quantize. The dequantize stays while it has other readers.
//      (Paddle compares only the Scale values; a u8 value read as s8 would be wrong, so we also compare
//      signedness.)
//   2. op -> requantize: an op with Scale_out (conv2d, fc, elementwise_add) whose int8 output feeds only
//      a requantize takes the requantize's Scale_out and writes its output.
//   3. requantize -> op: a requantize feeding only a conv2d / fc input takes Scale_in = the requantize's
//      Scale_in when the op's Scale_in equals its Scale_out; the op reads the requantize's input.
//   4. op -> dequantize: a conv2d (without residual) or fc whose output feeds only a dequantize writes
//      FP32 itself (force_fp32_output) and the dequantize goes.
//   5. several quantize ops of one variable with equal Scale and signedness become one.
// Postcondition: no dequantize feeds a quantize; no quantize is duplicated.
#include <cmath>

#include "ir/graph_index.h"
#include "passes/passes.h"
#include "passes/rewrite_utils.h"

namespace q2i::passes {
namespace {

float ScaleAttr(const ir::Op& op, const char* name) {
  return static_cast<float>(op.GetFloat(name, 0.0).value_or(0.0));
}
bool Signed(const ir::Op& op) { return op.GetBool("is_negative_input", true).value_or(true); }
bool SameScale(float a, float b) { return std::fabs(a - b) <= 1e-6f * std::max(std::fabs(a), std::fabs(b)); }

class SquashQuantPass final : public Pass {
 public:
  std::string_view name() const override { return "squash-quant"; }
  std::string_view description() const override { return "Remove redundant quantize/dequantize pairs"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    // Each rule applies once per round and every application removes or replaces an op, so the rounds
    // end; the bound only guards against a rule that would undo another. (It was a fixed 64 rounds,
    // which left ResNet50's last 13 pairs unsquashed.)
    bool any = false;
    const size_t max_rounds = 8 * program.num_ops() + 64;
    for (size_t round = 0;; ++round) {
      if (round == max_rounds) return InternalError("squash-quant did not converge in ", max_rounds, " rounds");
      bool changed = DequantQuant(program, ctx) || OpRequant(program, ctx) || RequantOp(program, ctx) ||
                     OpDequant(program, ctx) || DuplicateQuantize(program, ctx);
      if (!changed) break;
      any = true;
    }
    return any;
  }

 private:
  static bool DequantQuant(ir::Program& p, PassContext& ctx) {
    ir::GraphIndex index(p);
    for (const auto& q : p.ops()) {
      if (q->type() != "quantize") continue;
      ir::Op* d = index.Producer(q->Input("Input"));
      if (d == nullptr || d->type() != "dequantize") continue;
      const std::string int8_in = d->Input("Input");
      const std::string q_out = q->Output("Output");
      if (SameScale(ScaleAttr(*d, "Scale"), ScaleAttr(*q, "Scale")) && Signed(*d) == Signed(*q)) {
        ReplaceAllUses(p, q_out, int8_in);
        p.RemoveVar(q_out);
        p.RemoveOp(q.get());
        ctx.Count("dequant_quant_removed");
      } else {
        ir::Op rq("requantize");
        rq.SetInput("Input", {int8_in});
        rq.SetOutput("Output", {q_out});
        rq.SetAttr("Scale_in", ir::Attribute::Float(ScaleAttr(*d, "Scale")));
        rq.SetAttr("Scale_out", ir::Attribute::Float(ScaleAttr(*q, "Scale")));
        rq.SetAttr("Shift_in", ir::Attribute::Float(0.0f));
        rq.SetAttr("Shift_out", ir::Attribute::Float(0.0f));
        rq.SetAttr("use_mkldnn", ir::Attribute::Bool(true));
        rq.set_id(q->id());
        *q = std::move(rq);
        ctx.Count("requantize_created");
      }
      RemoveIfUnread(p, d);
      return true;
    }
    return false;
  }

  static void RemoveIfUnread(ir::Program& p, const ir::Op* op) {
    ir::GraphIndex index(p);
    for (const auto& out : op->OutputNames())
      if (index.NumConsumers(out) > 0) return;
    for (const auto& out : op->OutputNames()) p.RemoveVar(out);
    p.RemoveOp(op);
  }

  static bool HasOutScale(const ir::Op& op) {
    return (op.type() == "conv2d" || op.type() == "fc" || op.type() == "elementwise_add") && op.HasAttr("Scale_out") &&
           !op.GetBool("force_fp32_output", false).value_or(true);
  }

  static bool OpRequant(ir::Program& p, PassContext& ctx) {
    ir::GraphIndex index(p);
    for (const auto& rq : p.ops()) {
      if (rq->type() != "requantize") continue;
      const std::string in = rq->Input("Input");
      ir::Op* op = index.Producer(in);
      if (op == nullptr || !HasOutScale(*op) || index.NumConsumers(in) != 1 || index.IsFetched(in)) continue;
      op->SetAttr("Scale_out", ir::Attribute::Float(ScaleAttr(*rq, "Scale_out")));
      op->RenameOutput(in, rq->Output("Output"));
      p.RemoveVar(in);
      p.RemoveOp(rq.get());
      ctx.Count("op_requant_squashed");
      return true;
    }
    return false;
  }

  static bool RequantOp(ir::Program& p, PassContext& ctx) {
    ir::GraphIndex index(p);
    for (const auto& rq : p.ops()) {
      if (rq->type() != "requantize") continue;
      const std::string out = rq->Output("Output");
      if (index.NumConsumers(out) != 1 || index.IsFetched(out)) continue;
      ir::Op* op = index.Consumers(out)[0];
      if ((op->type() != "conv2d" && op->type() != "fc") || op->Input("Input") != out) continue;
      if (!SameScale(ScaleAttr(*op, "Scale_in"), ScaleAttr(*rq, "Scale_out"))) continue;
      op->SetAttr("Scale_in", ir::Attribute::Float(ScaleAttr(*rq, "Scale_in")));
      op->RenameInput(out, rq->Input("Input"));
      p.RemoveVar(out);
      p.RemoveOp(rq.get());
      ctx.Count("requant_op_squashed");
      return true;
    }
    return false;
  }

  static bool OpDequant(ir::Program& p, PassContext& ctx) {
    ir::GraphIndex index(p);
    for (const auto& d : p.ops()) {
      if (d->type() != "dequantize") continue;
      const std::string in = d->Input("Input");
      ir::Op* op = index.Producer(in);
      if (op == nullptr || (op->type() != "conv2d" && op->type() != "fc")) continue;
      if (op->HasInput("ResidualData") || index.NumConsumers(in) != 1 || index.IsFetched(in)) continue;
      op->SetAttr("force_fp32_output", ir::Attribute::Bool(true));
      op->RemoveAttr("Scale_out");
      op->RenameOutput(in, d->Output("Output"));
      p.RemoveVar(in);
      p.RemoveOp(d.get());
      ctx.Count("op_dequant_squashed");
      return true;
    }
    return false;
  }

  static bool DuplicateQuantize(ir::Program& p, PassContext& ctx) {
    for (size_t i = 0; i < p.num_ops(); ++i) {
      const ir::Op& first = p.op(i);
      if (first.type() != "quantize") continue;
      for (size_t j = i + 1; j < p.num_ops(); ++j) {
        ir::Op& other = p.op(j);
        if (other.type() != "quantize" || other.Input("Input") != first.Input("Input")) continue;
        if (!SameScale(ScaleAttr(first, "Scale"), ScaleAttr(other, "Scale")) || Signed(first) != Signed(other)) continue;
        const std::string dup = other.Output("Output");
        ReplaceAllUses(p, dup, first.Output("Output"));
        p.RemoveVar(dup);
        p.RemoveOp(&other);
        ctx.Count("duplicate_quantize_merged");
        return true;
      }
    }
    return false;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateSquashQuantPass() { return std::make_unique<SquashQuantPass>(); }

}  // namespace q2i::passes
