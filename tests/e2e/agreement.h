// Comparing two models' outputs over a set of inputs: top-1 agreement and mean cosine similarity.
#pragma once

#include <vector>

#include "ir/tensor.h"

namespace q2i::testing {

struct Agreement {
  int samples = 0;
  int top1_agree = 0;
  double cosine_sum = 0;
  double min_cosine = 1;
  double top1() const { return samples ? static_cast<double>(top1_agree) / samples : 0; }
  double mean_cosine() const { return samples ? cosine_sum / samples : 0; }
  // Adds the rows of two [N, ...] outputs: each sample's flattened row is one comparison.
  void Add(const ir::Tensor& a, const ir::Tensor& b);
};

}  // namespace q2i::testing
