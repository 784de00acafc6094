#include "calibration/histogram.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace q2i::calibration {

double BinnedHistogram::total() const { return std::accumulate(counts.begin(), counts.end(), 0.0); }

TensorStats::TensorStats(std::string name, int fine_bins)
    : name_(std::move(name)), fine_(static_cast<size_t>(std::max(fine_bins, 1)), 0.0) {}

void TensorStats::Grow(double new_max) {
  if (range_ == 0) {  // everything so far was 0 and sits in bin 0, which stays bin 0
    range_ = new_max;
    return;
  }
  const double bins = static_cast<double>(fine_.size());
  double k = std::max(std::ceil(new_max / range_), 2.0);
  if (k * range_ < new_max) k += 1;
  if (k >= bins) {  // every old value fits in the first new bin
    const double total = std::accumulate(fine_.begin(), fine_.end(), 0.0);
    std::fill(fine_.begin(), fine_.end(), 0.0);
    fine_[0] = total;
    range_ = std::max(new_max, range_ * bins);
    return;
  }
  const size_t step = static_cast<size_t>(k);
  std::vector<double> merged(fine_.size(), 0.0);
  for (size_t i = 0; i < fine_.size(); ++i) merged[i / step] += fine_[i];
  fine_ = std::move(merged);
  range_ *= k;
}

Status TensorStats::Observe(std::span<const float> values, int64_t num_samples, int64_t batch_index) {
  if (values.empty()) return OkStatus();
  const size_t n = values.size();
  const size_t samples =
      num_samples > 0 && n % static_cast<size_t>(num_samples) == 0 ? static_cast<size_t>(num_samples) : 1;
  const size_t per_sample = n / samples;
  float lo = values[0], hi = values[0];
  double sample_max_sum = 0;
  for (size_t s = 0; s < samples; ++s) {
    float sample_abs = 0;
    const float* v = values.data() + s * per_sample;
    for (size_t i = 0; i < per_sample; ++i) {
      const float x = v[i];
      if (!std::isfinite(x)) {
        return InvalidArgument("calibration batch ", batch_index, ": tensor '", name_, "' holds ",
                               std::isnan(x) ? "NaN" : "an infinite value", " (element ", s * per_sample + i, ")");
      }
      lo = std::min(lo, x);
      hi = std::max(hi, x);
      sample_abs = std::max(sample_abs, std::fabs(x));
    }
    sample_max_sum += sample_abs;
  }
  const double batch_abs = std::max(std::fabs(static_cast<double>(lo)), std::fabs(static_cast<double>(hi)));
  if (num_values_ == 0) {
    min_ = lo;
    max_ = hi;
  } else {
    min_ = std::min<double>(min_, lo);
    max_ = std::max<double>(max_, hi);
  }
  abs_max_ = std::max(abs_max_, batch_abs);
  num_values_ += static_cast<int64_t>(n);
  batch_abs_max_.push_back(batch_abs);
  batch_mean_sample_abs_max_.push_back(sample_max_sum / static_cast<double>(samples));

  if (batch_abs > range_) Grow(batch_abs);
  if (range_ == 0) {  // an all-zero batch before any non-zero value
    fine_[0] += static_cast<double>(n);
    return OkStatus();
  }
  const double bins = static_cast<double>(fine_.size());
  const double inv_width = bins / range_;
  const int64_t last = static_cast<int64_t>(fine_.size()) - 1;
  for (float x : values) {
    const int64_t b = std::min<int64_t>(static_cast<int64_t>(std::fabs(x) * inv_width), last);
    fine_[static_cast<size_t>(b)] += 1.0;
  }
  return OkStatus();
}

namespace {

// Spreads `count` uniformly over [lo, hi] onto bins of `width` starting at 0 (the last bin absorbs the
// rest); a zero-length interval goes to the bin containing lo.
void Spread(double count, double lo, double hi, double width, std::vector<double>& out) {
  const int64_t last = static_cast<int64_t>(out.size()) - 1;
  auto bin_of = [&](double x) { return std::clamp<int64_t>(static_cast<int64_t>(x / width), 0, last); };
  const int64_t j0 = bin_of(lo), j1 = bin_of(hi);
  if (hi <= lo || j0 == j1) {
    out[static_cast<size_t>(j0)] += count;
    return;
  }
  const double len = hi - lo;
  for (int64_t j = j0; j <= j1; ++j) {
    const double a = j == j0 ? lo : static_cast<double>(j) * width;
    const double b = j == j1 ? hi : static_cast<double>(j + 1) * width;
    if (b > a) out[static_cast<size_t>(j)] += count * (b - a) / len;
  }
}

}  // namespace

BinnedHistogram TensorStats::Binned(int bins) const {
  BinnedHistogram h;
  h.counts.assign(static_cast<size_t>(std::max(bins, 1)), 0.0);
  h.max = abs_max_;
  if (abs_max_ == 0 || range_ == 0) {
    h.counts[0] = std::accumulate(fine_.begin(), fine_.end(), 0.0);
    return h;
  }
  const double fine_width = range_ / static_cast<double>(fine_.size());
  const double width = abs_max_ / static_cast<double>(h.counts.size());
  for (size_t i = 0; i < fine_.size(); ++i) {
    if (fine_[i] == 0) continue;
    const double lo = std::min(static_cast<double>(i) * fine_width, abs_max_);
    const double hi = std::min(static_cast<double>(i + 1) * fine_width, abs_max_);
    Spread(fine_[i], lo, hi, width, h.counts);
  }
  return h;
}

double TensorStats::FractionAbove(double threshold) const {
  if (num_values_ == 0 || threshold >= abs_max_ || range_ == 0) return 0.0;
  const double fine_width = range_ / static_cast<double>(fine_.size());
  double above = 0, total = 0;
  for (size_t i = 0; i < fine_.size(); ++i) {
    if (fine_[i] == 0) continue;
    total += fine_[i];
    const double lo = static_cast<double>(i) * fine_width;
    const double hi = std::min(static_cast<double>(i + 1) * fine_width, abs_max_);
    if (lo >= threshold) {
      above += fine_[i];
    } else if (hi > threshold && hi > lo) {
      above += fine_[i] * (hi - threshold) / (hi - lo);
    }
  }
  return total > 0 ? above / total : 0.0;
}

}  // namespace q2i::calibration
