// Order statistics of timing samples (the benchmark tools' medians and percentiles).
#pragma once

#include <utility>
#include <vector>

namespace q2i {

// The sample at rank round(q * (n - 1)) of the sorted samples, q in [0, 1] (0: min, 0.5: median, 1: max).
// `samples` must not be empty.
double Percentile(std::vector<double> samples, double q);

inline double Median(std::vector<double> samples) { return Percentile(std::move(samples), 0.5); }

}  // namespace q2i
