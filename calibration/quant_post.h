// Post-training quantization end to end, minus file formats and flags (tools/quant_post.cc adds
// those): plan the ops (quant_plan.h), run the FP32 program over the calibration batches collecting
// statistics (calibrator.h), compute a threshold per tensor (threshold_algorithms.h), and rewrite the
// program into the frozen fake-quant form (fake_quant_writer.h). The program is changed only when
// everything succeeded.
//
// Warnings (returned, not errors): fewer than `min_batches` batches, tensors without a threshold.
// Errors: a model that already holds fake-quant ops, no batch, a batch that fails to read or run, NaN/Inf in the activations (naming batch and
// tensor), bad options.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "calibration/calibrator.h"
#include "calibration/fake_quant_writer.h"
#include "calibration/quant_plan.h"
#include "calibration/threshold_algorithms.h"
#include "ir/program.h"
#include "support/status.h"

namespace q2i::calibration {

struct QuantPostOptions {
  PlanOptions plan;
  Algo algo = Algo::kKL;
  AlgoOptions algo_options;
  WeightQuantizeType weight_quantize_type = WeightQuantizeType::kChannelWiseAbsMax;
  ActivationQuantizeType activation_quantize_type = ActivationQuantizeType::kMovingAverageAbsMax;
  int64_t min_batches = 5;  // warn below this
};

struct CalibrationData {
  int64_t num_batches = 0;
  // Feeds of batch `index` (0-based), in FeedNames() order.
  std::function<StatusOr<std::vector<ir::Tensor>>(int64_t index)> read;
};

struct TensorReport {
  std::string tensor;
  double threshold = 0;  // 0: none
  double fraction_clipped = 0;
  double abs_max = 0;
  int64_t num_values = 0;
  std::string note;
};

struct QuantPostResult {
  WriteSummary summary;
  std::vector<TensorReport> tensors;  // calibration order
  std::vector<std::string> warnings;
  int64_t batches = 0;
};

// `progress(done, total)` is called after every batch.
StatusOr<QuantPostResult> QuantizePostTraining(ir::Program& program, const CalibrationData& data,
                                               const RunnerFactory& runner_factory, const QuantPostOptions& options,
                                               const std::function<void(int64_t, int64_t)>& progress = {});

// CSV with a header: tensor,algo,threshold,fraction_clipped,abs_max,num_values,note. Written to a
// temporary file and renamed into place.
Status WriteReportCsv(const std::filesystem::path& path, Algo algo, const std::vector<TensorReport>& rows);

}  // namespace q2i::calibration
