#include "demo/synthetic_images.h"

#include <cmath>
#include <random>

namespace q2i::demo {

std::vector<float> SyntheticImage(int label, uint32_t sample_seed, int size) {
  std::mt19937 cls(1000u + static_cast<uint32_t>(label));
  std::uniform_real_distribution<double> angle(0, M_PI), freq(0.15, 0.6), phase(0, 2 * M_PI), amp(0.4, 1.0);
  struct Grating {
    double kx, ky, phase, amp;
  };
  Grating g[3][2];
  for (auto& channel : g)
    for (auto& w : channel) {
      const double a = angle(cls), f = freq(cls);
      w = {f * std::cos(a), f * std::sin(a), phase(cls), amp(cls)};
    }
  std::mt19937 gen(sample_seed);
  std::uniform_int_distribution<int> shift(-3, 3);
  std::normal_distribution<double> noise(0, 0.35);
  std::uniform_real_distribution<double> gain(0.7, 1.3);
  const int dx = shift(gen), dy = shift(gen);
  const double k = gain(gen);
  std::vector<float> img(static_cast<size_t>(3 * size * size));
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) {
        double v = 0;
        for (const auto& w : g[c]) v += w.amp * std::sin(w.kx * (x + dx) + w.ky * (y + dy) + w.phase);
        img[static_cast<size_t>((c * size + y) * size + x)] = static_cast<float>(k * v + noise(gen));
      }
  return img;
}

}  // namespace q2i::demo
