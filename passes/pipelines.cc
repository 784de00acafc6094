#include "passes/pipelines.h"

#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include "passes/passes.h"
#include "ir/verifier.h"
#include "passes/quant_tables.h"

namespace q2i::passes {

namespace {

std::vector<std::unique_ptr<Pass>> Fp32OptimizationPasses() {
  std::vector<std::unique_ptr<Pass>> v;
  v.push_back(CreateCanonicalizeConvPass());
  v.push_back(CreateRemoveDropoutPass());
  v.push_back(CreateFuseConvBnPass());
  v.push_back(CreateFuseConvBiasPass());
  v.push_back(CreateFuseConvResidualPass());
  v.push_back(CreateFuseConvActivationPass());
  v.push_back(CreateFuseFcPass());
  v.push_back(CreateFuseFcActivationPass());
  return v;
}

}  // namespace

void AddFp32OptimizationPasses(PassManager& pm) {
  for (auto& pass : Fp32OptimizationPasses()) pm.Add(std::move(pass));
}

void BuildInt8Pipeline(PassManager& pm, const PipelineOptions& options) {
  std::vector<std::unique_ptr<Pass>> passes;
  passes.push_back(CreateMakeSsaPass());
  passes.push_back(CreateMarkSkipQuantPass());
  passes.push_back(CreateCollectScalesPass());
  passes.push_back(CreateRemoveFakeQuantPass());
  passes.push_back(CreateDequantizeWeightsPass());
  for (auto& pass : Fp32OptimizationPasses()) passes.push_back(std::move(pass));
  passes.push_back(CreateComputeWeightScalesPass());
  passes.push_back(CreateMarkUnsignedPass());
  passes.push_back(CreatePropagateScalesPass());
  passes.push_back(CreatePlaceInt8Pass());
  passes.push_back(CreateInsertQuantDequantPass());
  passes.push_back(CreateSquashQuantPass());
  if (options.save_int8_weights) passes.push_back(CreateQuantizeWeightsPass());
  passes.push_back(CreateDeadCodeEliminationPass());
  passes.push_back(CreateFinalizePass());
  for (auto& pass : passes) {
    const bool last = pass->name() == options.stop_after;
    pm.Add(std::move(pass));
    if (last) break;
  }
}

void BuildFp32Pipeline(PassManager& pm) {
  pm.Add(CreateMakeSsaPass());
  pm.Add(CreateCollectScalesPass());
  pm.Add(CreateRemoveFakeQuantPass());
  pm.Add(CreateDequantizeWeightsPass());
  AddFp32OptimizationPasses(pm);
  pm.Add(CreateDeadCodeEliminationPass());
  pm.Add(CreateFinalizePass());
}

Status VerifyAfterPass(const ir::Program& program) {
  return ir::VerifyProgram(program, {.require_ssa = true});
}

std::string Int8Summary(const ir::Program& program, const PassContext& ctx) {
  struct Row {
    int total = 0, int8 = 0;
    std::map<std::string, int> reasons;
  };
  std::map<std::string, Row> rows;
  std::map<int64_t, std::string> last_reason;  // op id -> latest remark
  // Group reasons without the variable names they quote ("no scale for X 'tmp_3'" -> "no scale for X").
  for (const Remark& r : ctx.remarks()) {
    std::string why = r.message.substr(0, r.message.find(" '"));
    last_reason[r.op_id] = why;
  }
  for (const auto& op : program.ops()) {
    const std::string& t = op->type();
    if (!Int8SupportedOpTypes().count(t)) continue;
    Row& row = rows[t];
    ++row.total;
    if (op->GetString("mkldnn_data_type", "").value_or("") == "int8") {
      ++row.int8;
    } else {
      auto it = last_reason.find(op->id());
      ++row.reasons[it == last_reason.end() ? "not selected for quantization" : it->second];
    }
  }
  std::ostringstream os;
  os << "INT8 summary (op type: INT8 / total)\n";
  for (const auto& [type, row] : rows) {
    os << "  " << type << ": " << row.int8 << " / " << row.total << "\n";
    for (const auto& [why, n] : row.reasons) os << "      " << n << " x " << why << "\n";
  }
  return os.str();
}

}  // namespace q2i::passes
