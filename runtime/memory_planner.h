// Liveness-based placement of runtime buffers in one arena: buffers whose lifetimes [first_step,
// last_step] overlap never share bytes; others may. Greedy: largest buffers first, each at the lowest
// aligned offset free of every already placed overlapping buffer.
#pragma once

#include <cstddef>
#include <vector>

namespace q2i::runtime {

struct BufferRequest {
  size_t size = 0;
  int first_step = 0;  // first step writing the buffer (-1: before the first step, e.g. feeds)
  int last_step = 0;   // last step reading it (inclusive)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per request
  size_t total_size = 0;        // arena bytes needed
};

MemoryPlan PlanMemory(const std::vector<BufferRequest>& requests, size_t alignment = 64);

// True when no two overlapping-lifetime requests share bytes (used by tests and debug checks).
bool PlanIsValid(const std::vector<BufferRequest>& requests, const MemoryPlan& plan);

}  // namespace q2i::runtime
