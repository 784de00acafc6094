// Activation thresholds from calibration statistics: each algorithm is a pure function of a
// TensorStats (or of its binned |x| histogram). A threshold T is a real abs value; the fake-quant model
// stores T and Paddle quantizes x as round(clip(x, -T, T) / T * 127).
//   abs_max  max |x| over all batches.
//   avg      PaddleSlim's `avg`: the mean over batches of (the mean over the batch's samples of each
//            sample's abs max). With batch_size 1 this is the mean of the per-batch abs max.
//   hist     the `hist_percent` quantile of |x|: with a 2048-bin histogram over [0, abs max], the first
//            bin i (0-based) where the cumulative fraction reaches hist_percent gives T = (i + 0.5) *
//            bin width (PaddleSlim's _get_hist_scaling_factor).
//   KL       PaddleSlim's cal_kl_threshold (TensorRT-style entropy calibration): for every candidate
//            end bin i in [(bins-1)/2, bins), P = hist[0:i] with the outliers added to its last bin,
//            Q = hist[0:i] merged into 127 levels and expanded back over the non-empty bins of P;
//            T = (argmin_i KL(P||Q) + 0.5) * bin width.
//   mse      the T on the grid {abs_max * k / 256, k = 1..256} minimizing the expected squared error of
//            symmetric 8-bit quantize-dequantize, computed from the histogram assuming values are
//            uniform inside each bin (exact rounding-error integral, plus the clipping error above T).
//            (PaddleSlim searches 0.3..1.0 x abs max per batch and clips negatives; we do not.)
// A tensor whose abs max is 0 has no threshold (ComputeThreshold returns 0 and says so); callers must
// not write it. Any positive result is kept within [half a histogram bin, abs max].
#pragma once

#include <string>
#include <string_view>

#include "calibration/histogram.h"
#include "support/status.h"

namespace q2i::calibration {

enum class Algo { kAbsMax, kAvg, kHist, kKL, kMse };

// "abs_max", "avg", "hist", "KL" (also "kl"), "mse".
StatusOr<Algo> ParseAlgo(std::string_view name);
// The spelling PaddleSlim uses in `quantization_type` = "post_" + this: "abs_max", "avg", "hist", "kl", "mse".
std::string_view AlgoName(Algo algo);

struct AlgoOptions {
  double hist_percent = 0.99999;
  int histogram_bins = 2048;
  int bits = 8;
};

double AbsMaxThreshold(const TensorStats& stats);
double AvgThreshold(const TensorStats& stats);
double HistPercentThreshold(const BinnedHistogram& hist, double percent);
double KlThreshold(const BinnedHistogram& hist, int bits = 8);
double MseThreshold(const BinnedHistogram& hist, int bits = 8);
// Expected squared error per value of quantize-dequantize with threshold `t` (used by mse; tests).
double QuantizationMse(const BinnedHistogram& hist, double t, int bits = 8);

struct ThresholdResult {
  double threshold = 0;         // 0: none (see `note`)
  double fraction_clipped = 0;  // fraction of observed values with |x| > threshold
  std::string note;             // why there is no threshold
};

// Runs `algo` on `stats`. Errors: hist_percent outside (0, 1], a tensor never observed.
StatusOr<ThresholdResult> ComputeThreshold(const TensorStats& stats, Algo algo, const AlgoOptions& options = {});

}  // namespace q2i::calibration
