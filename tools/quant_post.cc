// quant_post: post-training quantization of an FP32 Paddle model, like PaddleSlim's quant_post_static:
// runs the model on calibration batches, computes activation thresholds and writes a frozen fake-quant
// model (QAT v1 layout) that save_quant_model converts into an INT8 program. See docs/quant_post.md.
#include <gflags/gflags.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "calibration/quant_post.h"
#include "support/text.h"
#include "converter/model_io.h"
#include "data_prep/dataset.h"
#include "data_prep/progress_bar.h"
#ifdef Q2I_HAVE_RUNTIME
#include "calibration/runtime_runner.h"
#endif

DEFINE_string(model_dir, "", "FP32 model (directory, <prefix> or .pdmodel file)");
DEFINE_string(model_filename, "", "Program file name inside --model_dir (default: detect)");
DEFINE_string(params_filename, "", "Combined params file inside --model_dir (empty: separate files)");
DEFINE_string(calib_data, "", "Calibration data: binary dataset file (data_prep output)");
DEFINE_int32(batch_size, 10, "Calibration batch size");
DEFINE_int32(batch_num, 10, "Number of calibration batches (0: every full batch of the file)");
DEFINE_string(algo, "KL", "Activation threshold algorithm: abs_max, avg, hist, KL or mse");
DEFINE_double(hist_percent, 0.99999, "Percentile of |x| used by --algo=hist");
DEFINE_string(weight_quantize_type, "channel_wise_abs_max", "channel_wise_abs_max or abs_max");
DEFINE_string(activation_quantize_type, "moving_average_abs_max",
              "Fake quantize op on activations: moving_average_abs_max or range_abs_max");
DEFINE_string(quantizable_op_type, "conv2d,depthwise_conv2d,mul,matmul,matmul_v2,fc",
              "Comma-separated op types to quantize (conv2d, depthwise_conv2d, mul, matmul, matmul_v2, fc)");
DEFINE_string(skip_tensor_list, "", "Comma-separated variable names: ops reading or writing them stay FP32");
DEFINE_string(save_model_path, "", "Output directory of the fake-quant model");
DEFINE_string(save_model_filename, "__model__", "Program file name of the output");
DEFINE_string(save_params_filename, "", "Combined params file name of the output (empty: one file per variable)");
DEFINE_string(report, "", "Also write a CSV report: tensor, algo, threshold, fraction clipped, ...");
DEFINE_string(input_shape, "", "C,H,W of one sample (default: from the model's feed variable)");
DEFINE_int32(num_threads, 0, "Executor threads (0: OpenMP default)");
DEFINE_bool(progress, true, "Show a progress bar on stderr");

namespace {

using q2i::Status;
using q2i::StatusOr;
namespace cal = q2i::calibration;

int Fail(const Status& st) {
  std::fprintf(stderr, "quant_post: error: %s\n", st.ToString().c_str());
  return 1;
}

StatusOr<cal::QuantPostOptions> ParseOptions() {
  cal::QuantPostOptions o;
  Q2I_ASSIGN_OR_RETURN(o.algo, cal::ParseAlgo(FLAGS_algo));
  o.algo_options.hist_percent = FLAGS_hist_percent;
  if (!(FLAGS_hist_percent > 0 && FLAGS_hist_percent <= 1))
    return q2i::InvalidArgument("--hist_percent ", FLAGS_hist_percent, " is not in (0, 1]");
  Q2I_ASSIGN_OR_RETURN(o.weight_quantize_type, cal::ParseWeightQuantizeType(FLAGS_weight_quantize_type));
  Q2I_ASSIGN_OR_RETURN(o.activation_quantize_type, cal::ParseActivationQuantizeType(FLAGS_activation_quantize_type));
  o.plan.quantizable_op_types.clear();
  for (const auto& t : q2i::SplitList(FLAGS_quantizable_op_type)) {
    if (!cal::SupportedQuantizableOpTypes().count(t)) {
      std::string supported;
      for (const auto& s : cal::SupportedQuantizableOpTypes()) supported += (supported.empty() ? "" : ", ") + s;
      return q2i::InvalidArgument("--quantizable_op_type: cannot quantize '", t, "'; supported: ", supported);
    }
    o.plan.quantizable_op_types.insert(t);
  }
  if (o.plan.quantizable_op_types.empty()) return q2i::InvalidArgument("--quantizable_op_type is empty");
  for (const auto& t : q2i::SplitList(FLAGS_skip_tensor_list)) o.plan.skip_tensors.insert(t);
  if (FLAGS_batch_size <= 0) return q2i::InvalidArgument("--batch_size must be positive");
  if (FLAGS_batch_num < 0) return q2i::InvalidArgument("--batch_num must be >= 0");
  return o;
}

// The shape of one sample: --input_shape, else the feed variable's dims without the batch dim.
StatusOr<std::optional<std::vector<int64_t>>> SampleDims(const q2i::ir::Program& program, const std::string& feed) {
  if (!FLAGS_input_shape.empty()) return std::optional<std::vector<int64_t>>(*q2i::ParsePositiveDims(FLAGS_input_shape, "--input_shape"));
  const q2i::ir::Var* v = program.FindVar(feed);
  if (v == nullptr || v->dims.size() < 2) return std::optional<std::vector<int64_t>>();
  std::vector<int64_t> dims(v->dims.begin() + 1, v->dims.end());
  for (int64_t d : dims)
    if (d <= 0) return std::optional<std::vector<int64_t>>();  // unknown: take the file's, as one flat sample
  return std::optional<std::vector<int64_t>>(dims);
}

Status Run() {
  if (FLAGS_model_dir.empty()) return q2i::InvalidArgument("--model_dir is required");
  if (FLAGS_calib_data.empty()) return q2i::InvalidArgument("--calib_data is required");
  if (FLAGS_save_model_path.empty()) return q2i::InvalidArgument("--save_model_path is required");
  if (!FLAGS_input_shape.empty()) Q2I_RETURN_IF_ERROR(q2i::ParsePositiveDims(FLAGS_input_shape, "--input_shape").status());
  Q2I_ASSIGN_OR_RETURN(cal::QuantPostOptions options, ParseOptions());
#ifndef Q2I_HAVE_RUNTIME
  return q2i::Unsupported("quant_post was built without the runtime executor (runtime/)");
#else
  Q2I_ASSIGN_OR_RETURN(q2i::ir::Program program,
                       q2i::converter::LoadModel({.path = FLAGS_model_dir,
                                                  .model_filename = FLAGS_model_filename,
                                                  .params_filename = FLAGS_params_filename}));
  const auto feeds = program.FeedNames();
  if (feeds.size() != 1)
    return q2i::Unsupported("the model has ", feeds.size(), " feed targets; quant_post feeds exactly one (the image)");
  Q2I_ASSIGN_OR_RETURN(auto sample_dims, SampleDims(program, feeds[0]));
  Q2I_ASSIGN_OR_RETURN(q2i::DatasetReader reader, q2i::DatasetReader::Open(FLAGS_calib_data, sample_dims));
  if (!sample_dims) sample_dims = std::vector<int64_t>{reader.sample_numel()};

  std::vector<std::string> warnings;
  const int64_t n = reader.num_samples();
  int64_t batch_size = FLAGS_batch_size;
  int64_t batches = n / batch_size;
  if (batches == 0) {
    warnings.push_back("the calibration file has " + std::to_string(n) + " samples, fewer than --batch_size: one batch of " +
                       std::to_string(n));
    batch_size = n;
    batches = 1;
  } else if (FLAGS_batch_num > 0 && batches < FLAGS_batch_num) {
    warnings.push_back("the calibration file has " + std::to_string(n) + " samples: " + std::to_string(batches) +
                       " batches of " + std::to_string(batch_size) + " instead of " + std::to_string(FLAGS_batch_num));
  }
  if (FLAGS_batch_num > 0) batches = std::min<int64_t>(batches, FLAGS_batch_num);

  cal::CalibrationData data;
  data.num_batches = batches;
  data.read = [&](int64_t b) -> StatusOr<std::vector<q2i::ir::Tensor>> {
    std::vector<int64_t> dims = {batch_size};
    dims.insert(dims.end(), sample_dims->begin(), sample_dims->end());
    q2i::ir::Tensor t(q2i::ir::DataType::kFP32, dims);
    Q2I_RETURN_IF_ERROR(reader.ReadBatch(b * batch_size, batch_size, t.data<float>(), nullptr));
    return std::vector<q2i::ir::Tensor>{t};
  };
  std::unique_ptr<q2i::ProgressBar> bar;
  if (FLAGS_progress) bar = std::make_unique<q2i::ProgressBar>(std::cerr, batches);
  auto progress = [&](int64_t done, int64_t) {
    if (bar) bar->Update(done);
  };
  auto result = cal::QuantizePostTraining(program, data, cal::RuntimeRunnerFactory(FLAGS_num_threads), options, progress);
  if (bar) bar->Finish();
  if (!result.ok()) return result.status();

  q2i::converter::SaveOptions save;
  save.model_filename = FLAGS_save_model_filename;
  save.params_filename = FLAGS_save_params_filename;
  Q2I_RETURN_IF_ERROR(q2i::converter::SaveModel(program, FLAGS_save_model_path, save));
  if (!FLAGS_report.empty()) Q2I_RETURN_IF_ERROR(cal::WriteReportCsv(FLAGS_report, options.algo, result->tensors));

  std::map<std::string, int> by_type;
  for (const auto& t : result->summary.quantized) ++by_type[t.type];
  std::cout << "calibrated " << result->batches << " batches of " << batch_size << " with " << FLAGS_algo << ": "
            << result->tensors.size() << " tensors\n";
  std::cout << "quantized " << result->summary.quantized.size() << " ops:";
  for (const auto& [type, count] : by_type) std::cout << " " << type << " " << count;
  std::cout << "\n";
  for (const auto& s : result->summary.skipped)
    std::cout << "not quantized: " << s.type << "(id=" << s.op_id << "): " << s.reason << "\n";
  std::cout << "out_threshold on " << result->summary.out_thresholds << " outputs\n";
  for (const auto& w : warnings) std::cout << "warning: " << w << "\n";
  for (const auto& w : result->warnings) std::cout << "warning: " << w << "\n";
  std::cout << "saved: " << FLAGS_save_model_path << "\n";
  return q2i::OkStatus();
#endif
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "quant_post --model_dir=DIR --calib_data=FILE --save_model_path=DIR [--algo=KL|abs_max|avg|hist|mse] "
      "[--batch_size=10 --batch_num=10] [--report=FILE] ...");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (argc > 1) return Fail(q2i::InvalidArgument("unexpected argument '", argv[1], "'"));
  Status st = Run();
  return st.ok() ? 0 : Fail(st);
}
