// Calibrator: runs the FP32 program over calibration batches and folds every tensor of interest into
// its TensorStats (calibration/histogram.h).
//
// How intermediate tensors are read: the calibrator runs a *calibration program*, a clone of the FP32
// program whose fetch ops are replaced by one Paddle `fetch` op per wanted tensor (X = [var], Out =
// ["fetch"], col = i), so any executor that returns its fetch targets can calibrate. The executor is
// abstracted as a BatchRunner built from that program by a RunnerFactory (runtime_runner.h binds the
// runtime executor; tests may bind the reference executor).
//
// Batches: feeds in FeedNames() order; the first dimension of every fetched tensor is taken as the
// number of samples (for `avg`). Statistics of different tensors are folded in parallel (OpenMP).
// Errors: a runner error or a NaN/Inf value (naming the batch and the tensor); a wanted tensor that is
// not a variable of the program; a runner returning the wrong number of tensors. After an error the
// calibrator must not be used further.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "calibration/histogram.h"
#include "ir/program.h"
#include "support/status.h"

namespace q2i::calibration {

class BatchRunner {
 public:
  virtual ~BatchRunner() = default;
  // Runs the program on `feeds` (FeedNames() order); returns the fetch targets (FetchNames() order).
  virtual StatusOr<std::vector<ir::Tensor>> Run(const std::vector<ir::Tensor>& feeds) = 0;
};
using RunnerFactory = std::function<StatusOr<std::unique_ptr<BatchRunner>>(const ir::Program& program)>;

// A clone of `program` whose fetch targets are exactly `tensors`, in that order.
StatusOr<ir::Program> MakeCalibrationProgram(const ir::Program& program, const std::vector<std::string>& tensors);

class Calibrator {
 public:
  static StatusOr<Calibrator> Create(const ir::Program& program, std::vector<std::string> tensors,
                                     const RunnerFactory& factory, int fine_bins = TensorStats::kDefaultFineBins);

  // Runs one batch and folds every tensor into its statistics.
  Status AddBatch(const std::vector<ir::Tensor>& feeds);

  int64_t num_batches() const { return num_batches_; }
  const std::vector<std::string>& tensors() const { return tensors_; }
  const std::map<std::string, TensorStats>& stats() const { return stats_; }

 private:
  Calibrator() = default;
  std::vector<std::string> tensors_;
  std::map<std::string, TensorStats> stats_;
  std::unique_ptr<BatchRunner> runner_;
  int64_t num_batches_ = 0;
};

}  // namespace q2i::calibration
