// Synthetic labelled images for the demo: each of the 10 classes is a fixed pattern of oriented
// sinusoidal gratings per channel; a sample is its class pattern, randomly shifted, with brightness
// jitter and pixel noise. Deterministic in (class, sample seed).
#pragma once

#include <cstdint>
#include <vector>

namespace q2i::demo {

// A 3 x size x size CHW float image of class `label`, roughly zero-mean, unit scale.
std::vector<float> SyntheticImage(int label, uint32_t sample_seed, int size);

}  // namespace q2i::demo
