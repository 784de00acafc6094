#include "calibration/calibrator.h"

#include <set>

namespace q2i::calibration {

StatusOr<ir::Program> MakeCalibrationProgram(const ir::Program& program, const std::vector<std::string>& tensors) {
  ir::Program p = program.Clone();
  std::string fetch_var = "fetch";
  for (const auto& op : p.ops())
    if (op->type() == "fetch" && !op->Output("Out").empty()) fetch_var = op->Output("Out");
  p.RemoveOpsIf([](const ir::Op& op) { return op.type() == "fetch"; });
  if (p.FindVar(fetch_var) == nullptr) {
    ir::Var v;
    v.name = fetch_var;
    v.kind = ir::VarKind::kFetchList;
    v.dtype.reset();
    v.persistable = true;
    Q2I_RETURN_IF_ERROR(p.AddVar(std::move(v)));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const ir::Var* v = p.FindVar(tensors[i]);
    if (v == nullptr || !v->IsTensor())
      return NotFound("calibration tensor '", tensors[i], "' is not a tensor variable of the program");
    if (!seen.insert(tensors[i]).second) return InvalidArgument("calibration tensor '", tensors[i], "' listed twice");
    ir::Op fetch("fetch");
    fetch.SetInput("X", {tensors[i]});
    fetch.SetOutput("Out", {fetch_var});
    fetch.SetAttr("col", ir::Attribute::Int(static_cast<int32_t>(i)));
    p.AddOp(std::move(fetch));
  }
  return p;
}

StatusOr<Calibrator> Calibrator::Create(const ir::Program& program, std::vector<std::string> tensors,
                                        const RunnerFactory& factory, int fine_bins) {
  Q2I_ASSIGN_OR_RETURN(ir::Program p, MakeCalibrationProgram(program, tensors));
  Calibrator c;
  auto runner = factory(p);
  if (!runner.ok()) return runner.status().WithContext("preparing the calibration program");
  c.runner_ = std::move(runner).value();
  for (const auto& t : tensors) c.stats_.emplace(t, TensorStats(t, fine_bins));
  c.tensors_ = std::move(tensors);
  return c;
}

Status Calibrator::AddBatch(const std::vector<ir::Tensor>& feeds) {
  const int64_t batch = num_batches_;
  auto out = runner_->Run(feeds);
  if (!out.ok()) return out.status().WithContext("calibration batch " + std::to_string(batch));
  if (out->size() != tensors_.size())
    return InternalError("calibration batch ", batch, ": the executor returned ", out->size(), " tensors for ",
                         tensors_.size(), " fetch targets");
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const ir::Tensor& t = (*out)[i];
    if (t.dtype() != ir::DataType::kFP32)
      return InvalidModel("calibration batch ", batch, ": tensor '", tensors_[i], "' is ",
                          ir::DataTypeName(t.dtype()), ", not float32");
  }
  std::vector<Status> errors(tensors_.size());
  const int64_t n = static_cast<int64_t>(tensors_.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t i = 0; i < n; ++i) {
    const ir::Tensor& t = (*out)[static_cast<size_t>(i)];
    const int64_t samples = t.dims().empty() ? 1 : t.dims()[0];
    errors[static_cast<size_t>(i)] = stats_.at(tensors_[static_cast<size_t>(i)]).Observe(t.values<float>(), samples, batch);
  }
  for (const Status& st : errors) Q2I_RETURN_IF_ERROR(st);
  ++num_batches_;
  return OkStatus();
}

}  // namespace q2i::calibration
