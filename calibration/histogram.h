// Streaming statistics of one activation tensor over the calibration batches. Nothing of the
// activations themselves is kept: every batch is folded into a fixed-size |x| histogram and a few
// running values, then dropped.
//
// Histogram (one pass, no second run of the model): `fine_bins` equal bins over [0, range]. The first
// batch with a non-zero |x| sets range = its abs max. When a later batch has a larger abs max M, the
// range grows by the integer factor k = ceil(M / range) and every k adjacent bins merge into one, so
// re-binning never splits a bin and stays exact. Because the range can end up to k times the true
// abs max, the algorithms never read the fine histogram directly: Binned() resamples it onto `bins`
// equal bins over exactly [0, abs_max] (a fine bin straddling an output edge is split in proportion,
// i.e. assuming values are uniform inside a fine bin; with 16384 fine bins and growth at most 2x per
// unit of range the error is below one fine bin at each output edge). This matches PaddleSlim's
// two-pass result (abs max first, then a 2048-bin histogram over [0, abs max]) up to that resampling.
//
// Errors: a NaN or infinite value (the message names the tensor and batch); an empty batch is fine.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "support/status.h"

namespace q2i::calibration {

// A histogram of |x| with equal bins over [0, max].
struct BinnedHistogram {
  std::vector<double> counts;
  double max = 0;  // upper edge of the last bin
  double bin_width() const { return counts.empty() ? 0 : max / static_cast<double>(counts.size()); }
  double total() const;
};

class TensorStats {
 public:
  static constexpr int kDefaultFineBins = 16384;
  explicit TensorStats(std::string name = "", int fine_bins = kDefaultFineBins);

  // Folds one batch of this tensor. `num_samples` is the batch dimension (values are split into that
  // many equal samples for `avg`); `batch_index` only names the batch in errors.
  Status Observe(std::span<const float> values, int64_t num_samples, int64_t batch_index);

  const std::string& name() const { return name_; }
  int64_t num_values() const { return num_values_; }
  int64_t num_batches() const { return static_cast<int64_t>(batch_abs_max_.size()); }
  double min() const { return min_; }
  double max() const { return max_; }
  double abs_max() const { return abs_max_; }
  // Abs max of each observed batch, in order.
  const std::vector<double>& batch_abs_max() const { return batch_abs_max_; }
  // Per batch: the mean over the batch's samples of each sample's abs max (PaddleSlim's `avg`).
  const std::vector<double>& batch_mean_sample_abs_max() const { return batch_mean_sample_abs_max_; }

  // The |x| histogram resampled onto `bins` equal bins over [0, abs_max()] (all counts in bin 0 when
  // abs_max() is 0).
  BinnedHistogram Binned(int bins = 2048) const;
  // Fraction of the observed values with |x| > threshold (from the fine histogram).
  double FractionAbove(double threshold) const;

  // The raw fine histogram (tests).
  const std::vector<double>& fine_counts() const { return fine_; }
  double fine_range() const { return range_; }

 private:
  void Grow(double new_max);

  std::string name_;
  std::vector<double> fine_;
  double range_ = 0;  // upper edge of the fine histogram; 0 until a non-zero value arrives
  int64_t num_values_ = 0;
  double min_ = 0, max_ = 0, abs_max_ = 0;
  std::vector<double> batch_abs_max_;
  std::vector<double> batch_mean_sample_abs_max_;
};

}  // namespace q2i::calibration
