#include "calibration/quant_post.h"

#include <cstdio>
#include <sstream>

#include "ir/op_kinds.h"
#include "support/file_io.h"

namespace q2i::calibration {

StatusOr<QuantPostResult> QuantizePostTraining(ir::Program& program, const CalibrationData& data,
                                               const RunnerFactory& runner_factory, const QuantPostOptions& options,
                                               const std::function<void(int64_t, int64_t)>& progress) {
  if (data.num_batches <= 0 || !data.read) return InvalidArgument("no calibration batches");
  for (const auto& op : program.ops())
    if (ir::IsFakeQuantOp(op->type()))
      return Unsupported("the model is already quantized (", op->DebugName(),
                         "): post-training quantization needs an FP32 model");
  ir::Program work = program.Clone();
  Q2I_ASSIGN_OR_RETURN(QuantPlan plan, PlanQuantization(work, options.plan));
  QuantPostResult result;
  if (plan.targets.empty()) result.warnings.push_back("no op to quantize (see the skipped ops)");

  Q2I_ASSIGN_OR_RETURN(Calibrator calibrator, Calibrator::Create(work, plan.tensors, runner_factory));
  for (int64_t b = 0; b < data.num_batches; ++b) {
    auto feeds = data.read(b);
    if (!feeds.ok()) return feeds.status().WithContext("reading calibration batch " + std::to_string(b));
    Q2I_RETURN_IF_ERROR(calibrator.AddBatch(*feeds));
    if (progress) progress(b + 1, data.num_batches);
  }
  result.batches = calibrator.num_batches();
  if (result.batches < options.min_batches)
    result.warnings.push_back("only " + std::to_string(result.batches) +
                              " calibration batch(es): thresholds may not represent the data (use more batches)");

  std::map<std::string, double> thresholds;
  for (const auto& name : plan.tensors) {
    const TensorStats& s = calibrator.stats().at(name);
    Q2I_ASSIGN_OR_RETURN(ThresholdResult r, ComputeThreshold(s, options.algo, options.algo_options));
    if (r.threshold > 0) thresholds[name] = r.threshold;
    result.tensors.push_back({name, r.threshold, r.fraction_clipped, s.abs_max(), s.num_values(), r.note});
  }

  WriterOptions wo;
  wo.algo = options.algo;
  wo.weight_quantize_type = options.weight_quantize_type;
  wo.activation_quantize_type = options.activation_quantize_type;
  Q2I_ASSIGN_OR_RETURN(result.summary, WriteFakeQuantProgram(work, plan, thresholds, wo));
  for (const auto& v : result.summary.unscaled)
    result.warnings.push_back("no threshold for '" + v + "' (all calibration values are 0): no out_threshold written");
  program = std::move(work);
  return result;
}

namespace {

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

}  // namespace

Status WriteReportCsv(const std::filesystem::path& path, Algo algo, const std::vector<TensorReport>& rows) {
  std::ostringstream os;
  os << "tensor,algo,threshold,fraction_clipped,abs_max,num_values,note\n";
  for (const auto& r : rows) {
    os << CsvField(r.tensor) << ',' << AlgoName(algo) << ',' << Number(r.threshold) << ','
       << Number(r.fraction_clipped) << ',' << Number(r.abs_max) << ',' << r.num_values << ',' << CsvField(r.note)
       << '\n';
  }
  return WriteFileAtomically(path, os.str());
}

}  // namespace q2i::calibration
