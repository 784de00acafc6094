#include "passes/quant_ops.h"

#include "passes/rewrite_utils.h"

namespace q2i::passes {

float KernelScale(const ir::QuantScale& q) {
  return static_cast<float>(q.scales.at(0) * (q.is_unsigned && !q.signed_grid ? 255.0 : 127.0));
}

ir::DataType Int8TypeOf(const ir::QuantScale& q) { return q.is_unsigned ? ir::DataType::kUInt8 : ir::DataType::kInt8; }

const ir::QuantScale* VarScale(const ir::Program& program, const std::string& name) {
  const ir::Var* v = program.FindVar(name);
  return (v != nullptr && v->quant && !v->quant->scales.empty()) ? &*v->quant : nullptr;
}

namespace {
std::string Int8Var(ir::Program& program, const std::string& stem, const std::string& like, const ir::QuantScale& q) {
  std::string name = NewTempVar(program, stem, like);
  ir::Var* v = program.FindVar(name);
  v->dtype = Int8TypeOf(q);
  v->quant = q;
  return name;
}
}  // namespace

float QuantizeInput(ir::Program& program, ir::Op& op, const std::string& slot, size_t index, const ir::QuantScale& q) {
  std::vector<std::string> args = op.Inputs(slot);
  const std::string source = args.at(index);
  const std::string out = Int8Var(program, source + kInt8Suffix, source, q);
  const float scale = KernelScale(q);
  ir::Op quant("quantize");
  quant.SetInput("Input", {source});
  quant.SetOutput("Output", {out});
  quant.SetAttr("Scale", ir::Attribute::Float(scale));
  quant.SetAttr("Shift", ir::Attribute::Float(0.0f));
  quant.SetAttr("is_negative_input", ir::Attribute::Bool(!q.is_unsigned));
  quant.SetAttr("output_format", ir::Attribute::String("NCHW"));
  quant.SetAttr("bfloat16", ir::Attribute::Bool(false));
  quant.SetAttr("use_mkldnn", ir::Attribute::Bool(true));
  program.InsertOp(static_cast<size_t>(program.IndexOf(&op)), std::move(quant));
  args[index] = out;
  op.SetInput(slot, args);
  return scale;
}

float DequantizeOutput(ir::Program& program, ir::Op& op, const std::string& slot, const ir::QuantScale& q) {
  const std::string target = op.Output(slot);
  const std::string in = Int8Var(program, target + kInt8Suffix, target, q);
  const float scale = KernelScale(q);
  op.SetOutput(slot, {in});
  ir::Op deq("dequantize");
  deq.SetInput("Input", {in});
  deq.SetOutput("Output", {target});
  deq.SetAttr("Scale", ir::Attribute::Float(scale));
  deq.SetAttr("Shift", ir::Attribute::Float(0.0f));
  deq.SetAttr("is_negative_input", ir::Attribute::Bool(!q.is_unsigned));
  deq.SetAttr("use_mkldnn", ir::Attribute::Bool(true));
  program.InsertOp(static_cast<size_t>(program.IndexOf(&op)) + 1, std::move(deq));
  return scale;
}

}  // namespace q2i::passes
