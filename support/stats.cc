#include "support/stats.h"

#include <algorithm>
#include <cstddef>

#include "support/check.h"

namespace q2i {

double Percentile(std::vector<double> samples, double q) {
  Q2I_CHECK(!samples.empty());
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(samples.size() - 1) + 0.5;
  const auto at = samples.begin() + static_cast<std::ptrdiff_t>(std::min(static_cast<size_t>(rank), samples.size() - 1));
  std::nth_element(samples.begin(), at, samples.end());
  return *at;
}

}  // namespace q2i
