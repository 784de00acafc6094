// Shared helpers of the calibration tests: a small conv+relu+pool+fc network, a BatchRunner on the
// reference executor (tests/test_util/reference_executor.h), and random calibration data.
#pragma once

#include <cstdint>
#include <vector>

#include "calibration/calibrator.h"
#include "calibration/quant_post.h"
#include "ir/program.h"

namespace q2i::calibration::testing {

// x[-1,3,8,8] -> conv2d(w1 [4,3,3,3], pad 1) -> elementwise_add(b1, axis 1) -> relu -> pool2d(max 2x2/2)
//   -> fc(W [64,10], Bias [10], in_num_col_dims 1) -> y[-1,10]
ir::Program SmallNet(uint32_t seed = 1);

RunnerFactory ReferenceRunnerFactory();

// `batches` batches of `batch_size` samples of `sample_dims`, uniform in [lo, hi), from `seed`.
CalibrationData RandomData(int64_t batches, int64_t batch_size, std::vector<int64_t> sample_dims, uint32_t seed,
                           float lo = -1.f, float hi = 1.f);

// Thresholds = abs max of every tensor of `plan` over `data`, computed with the reference executor.
std::map<std::string, double> AbsMaxThresholds(const ir::Program& program, const std::vector<std::string>& tensors,
                                               const CalibrationData& data);

}  // namespace q2i::calibration::testing
