#include "calibration/threshold_algorithms.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace q2i::calibration {

StatusOr<Algo> ParseAlgo(std::string_view name) {
  if (name == "abs_max") return Algo::kAbsMax;
  if (name == "avg") return Algo::kAvg;
  if (name == "hist") return Algo::kHist;
  if (name == "KL" || name == "kl") return Algo::kKL;
  if (name == "mse") return Algo::kMse;
  return InvalidArgument("unknown calibration algorithm '", name, "' (expected abs_max, avg, hist, KL or mse)");
}

std::string_view AlgoName(Algo algo) {
  switch (algo) {
    case Algo::kAbsMax: return "abs_max";
    case Algo::kAvg: return "avg";
    case Algo::kHist: return "hist";
    case Algo::kKL: return "kl";
    case Algo::kMse: return "mse";
  }
  return "?";
}

double AbsMaxThreshold(const TensorStats& stats) { return stats.abs_max(); }

double AvgThreshold(const TensorStats& stats) {
  const auto& v = stats.batch_mean_sample_abs_max();
  if (v.empty()) return 0;
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double HistPercentThreshold(const BinnedHistogram& hist, double percent) {
  const double total = hist.total();
  if (total <= 0 || hist.counts.empty()) return 0;
  double cum = 0;
  size_t index = hist.counts.size();  // never reached (rounding): the last bin
  for (size_t i = 0; i < hist.counts.size(); ++i) {
    cum += hist.counts[i] / total;
    if (cum >= percent) {
      index = i + 1;
      break;
    }
  }
  return (static_cast<double>(index) - 0.5) * hist.bin_width();
}

double KlThreshold(const BinnedHistogram& hist, int bits) {
  const auto& h = hist.counts;
  const int64_t n = static_cast<int64_t>(h.size());
  const double p_sum = hist.total();
  if (n < 2 || p_sum <= 0) return 0;
  const int64_t levels = (int64_t{1} << (bits - 1)) - 1;
  const int64_t start = (n - 1) / 2;
  std::vector<double> suffix(static_cast<size_t>(n) + 1, 0.0);  // suffix[i] = sum h[i:]
  for (int64_t i = n - 1; i >= 0; --i) suffix[static_cast<size_t>(i)] = suffix[static_cast<size_t>(i) + 1] + h[static_cast<size_t>(i)];

  std::vector<double> p, q;
  double best = 0;
  int64_t best_index = 0;
  bool have_best = false;
  // PaddleSlim stops at i = n - 1; we also try i = n (no clipping), so that a constant or
  // already-saturated tensor gets its abs max instead of half a bin.
  for (int64_t i = std::max<int64_t>(start, 1); i <= n; ++i) {
    if (h[static_cast<size_t>(i - 1)] == 0) continue;
    const int64_t merged = i / levels;
    if (merged == 0) continue;
    p.assign(h.begin(), h.begin() + i);
    p[static_cast<size_t>(i - 1)] += suffix[static_cast<size_t>(i)];
    q.assign(static_cast<size_t>(i), 0.0);
    for (int64_t level = 0; level < levels; ++level) {
      const int64_t lo = level * merged;
      const int64_t hi = level == levels - 1 ? i : lo + merged;
      double mass = 0;
      int64_t nonzero = 0;
      for (int64_t j = lo; j < hi; ++j) {
        mass += h[static_cast<size_t>(j)];
        nonzero += p[static_cast<size_t>(j)] != 0;
      }
      if (nonzero == 0) continue;
      const double avg = mass / static_cast<double>(nonzero);
      for (int64_t j = lo; j < hi; ++j) q[static_cast<size_t>(j)] = p[static_cast<size_t>(j)] != 0 ? avg : 0.0;
    }
    const double q_sum = std::accumulate(q.begin(), q.end(), 0.0);
    double kl = 0;
    for (int64_t j = 0; j < i; ++j) {
      const double pj = p[static_cast<size_t>(j)], qj = q[static_cast<size_t>(j)];
      if (pj == 0) continue;
      kl += pj * (std::log(q_sum * pj) - std::log(p_sum * qj));
    }
    kl /= p_sum;
    if (!have_best || kl < best) {
      best = kl;
      best_index = i;
      have_best = true;
    }
  }
  if (!have_best) return hist.max;  // cannot happen with a non-empty histogram (i = n qualifies)
  return (static_cast<double>(best_index) + 0.5) * hist.bin_width();
}

namespace {

// Integral over [0, u] of (v - round(v))^2 dv.
double RoundingErrorIntegral(double u) {
  const double k = std::floor(u + 0.5);
  const double w = u - k;
  return k / 12.0 + w * w * w / 3.0;
}

}  // namespace

double QuantizationMse(const BinnedHistogram& hist, double t, int bits) {
  const double total = hist.total();
  if (total <= 0 || t <= 0) return 0;
  const double levels = static_cast<double>((int64_t{1} << (bits - 1)) - 1);
  const double step = t / levels;
  const double width = hist.bin_width();
  double err = 0;
  for (size_t j = 0; j < hist.counts.size(); ++j) {
    const double c = hist.counts[j];
    if (c == 0) continue;
    const double a = static_cast<double>(j) * width, b = a + width;
    double integral = 0;
    if (a < t) {
      const double hi = std::min(b, t);
      integral += step * step * step * (RoundingErrorIntegral(hi / step) - RoundingErrorIntegral(a / step));
    }
    if (b > t) {
      const double lo = std::max(a, t);
      integral += (std::pow(b - t, 3) - std::pow(lo - t, 3)) / 3.0;
    }
    err += c * integral / width;
  }
  return err / total;
}

double MseThreshold(const BinnedHistogram& hist, int bits) {
  if (hist.max <= 0) return 0;
  constexpr int kGrid = 256;
  double best_t = hist.max, best_err = -1;
  for (int k = 1; k <= kGrid; ++k) {
    const double t = hist.max * k / kGrid;
    const double e = QuantizationMse(hist, t, bits);
    if (best_err < 0 || e < best_err) {
      best_err = e;
      best_t = t;
    }
  }
  return best_t;
}

StatusOr<ThresholdResult> ComputeThreshold(const TensorStats& stats, Algo algo, const AlgoOptions& options) {
  if (!(options.hist_percent > 0 && options.hist_percent <= 1))
    return InvalidArgument("hist_percent ", options.hist_percent, " is not in (0, 1]");
  if (options.histogram_bins < 2) return InvalidArgument("histogram_bins must be at least 2");
  if (stats.num_values() == 0)
    return NotFound("tensor '", stats.name(), "' was not observed in any calibration batch");
  ThresholdResult r;
  if (stats.abs_max() == 0) {
    r.note = "all calibration values are 0";
    return r;
  }
  double t = 0;
  switch (algo) {
    case Algo::kAbsMax: t = AbsMaxThreshold(stats); break;
    case Algo::kAvg: t = AvgThreshold(stats); break;
    case Algo::kHist: t = HistPercentThreshold(stats.Binned(options.histogram_bins), options.hist_percent); break;
    case Algo::kKL: t = KlThreshold(stats.Binned(options.histogram_bins), options.bits); break;
    case Algo::kMse: t = MseThreshold(stats.Binned(options.histogram_bins), options.bits); break;
  }
  const double floor = 0.5 * stats.abs_max() / options.histogram_bins;
  if (!std::isfinite(t) || t < floor) t = std::isfinite(t) && t > 0 ? floor : stats.abs_max();
  r.threshold = std::min(t, stats.abs_max());
  r.fraction_clipped = stats.FractionAbove(r.threshold);
  return r;
}

}  // namespace q2i::calibration
