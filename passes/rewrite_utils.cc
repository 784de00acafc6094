#include "passes/rewrite_utils.h"

#include <algorithm>
#include <cmath>

namespace q2i::passes {

int ReplaceAllUses(ir::Program& program, const std::string& from, const std::string& to) {
  int n = 0;
  for (const auto& op : program.ops()) n += op->RenameInput(from, to);
  return n;
}

std::string NewTempVar(ir::Program& program, const std::string& stem, const std::string& like) {
  ir::Var v;
  v.name = program.UniqueVarName(stem);
  if (const ir::Var* l = program.FindVar(like)) {
    v.dims = l->dims;
    v.dtype = l->dtype;
  }
  std::string name = v.name;
  program.SetVar(std::move(v));
  return name;
}

std::string NewParam(ir::Program& program, const std::string& stem, ir::Tensor value) {
  ir::Var v;
  v.name = program.UniqueVarName(stem);
  v.dims = value.dims();
  v.dtype = value.dtype();
  v.persistable = true;
  std::string name = v.name;
  program.SetVar(std::move(v));
  program.SetParam(name, std::move(value));
  return name;
}

StatusOr<const ir::Tensor*> Fp32Param(const ir::Program& program, const ir::Op& op, const std::string& name) {
  const ir::Tensor* t = program.FindParam(name);
  if (t == nullptr) return InvalidModel(op.DebugName(), ": input '", name, "' is not a weight with data");
  if (t->dtype() != ir::DataType::kFP32)
    return Unsupported(op.DebugName(), ": weight '", name, "' is ", ir::DataTypeName(t->dtype()), ", expected float32");
  return t;
}

StatusOr<double> ScaleFromThreshold(double threshold, const std::string& what) {
  if (!std::isfinite(threshold) || threshold <= 0)
    return InvalidModel(what, ": quantization threshold ", threshold, " is not a positive finite number");
  return 1.0 / threshold;
}

}  // namespace q2i::passes

namespace q2i::passes {

namespace {
int CountReaders(const ir::Program& program, const std::string& name, bool* fetched) {
  int readers = 0;
  for (const auto& op : program.ops()) {
    const auto names = op->InputNames();
    if (std::find(names.begin(), names.end(), name) == names.end()) continue;
    ++readers;
    if (op->type() == "fetch" && fetched) *fetched = true;
  }
  return readers;
}
}  // namespace

std::string ReplaceWeight(ir::Program& program, const ir::Op& user, const std::string& name, ir::Tensor value) {
  (void)user;
  if (CountReaders(program, name, nullptr) <= 1) {
    if (ir::Var* v = program.FindVar(name)) {
      v->dims = value.dims();
      v->dtype = value.dtype();
    }
    program.SetParam(name, std::move(value));
    return name;
  }
  return NewParam(program, name + ".fused", std::move(value));
}

bool HasSingleUse(const ir::Program& program, const std::string& name) {
  bool fetched = false;
  return CountReaders(program, name, &fetched) == 1 && !fetched;
}

}  // namespace q2i::passes
