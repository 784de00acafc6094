#include "tests/e2e/agreement.h"

#include <algorithm>
#include <cmath>

namespace q2i::testing {

void Agreement::Add(const ir::Tensor& a, const ir::Tensor& b) {
  const int64_t n = a.dims().empty() ? 1 : a.dims()[0];
  const int64_t row = n ? a.numel() / n : 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* x = a.data<float>() + i * row;
    const float* y = b.data<float>() + i * row;
    double dot = 0, nx = 0, ny = 0;
    for (int64_t j = 0; j < row; ++j) {
      dot += double(x[j]) * y[j];
      nx += double(x[j]) * x[j];
      ny += double(y[j]) * y[j];
    }
    const double cos = (nx > 0 && ny > 0) ? dot / std::sqrt(nx * ny) : (nx == ny ? 1.0 : 0.0);
    cosine_sum += cos;
    min_cosine = std::min(min_cosine, cos);
    top1_agree += (std::max_element(x, x + row) - x) == (std::max_element(y, y + row) - y);
    ++samples;
  }
}

}  // namespace q2i::testing
