#include "runtime/memory_planner.h"

#include <algorithm>
#include <numeric>

namespace q2i::runtime {
namespace {

size_t AlignUp(size_t v, size_t a) { return (v + a - 1) / a * a; }

bool LifetimesOverlap(const BufferRequest& a, const BufferRequest& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

}  // namespace

MemoryPlan PlanMemory(const std::vector<BufferRequest>& requests, size_t alignment) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return requests[a].size > requests[b].size; });
  std::vector<size_t> placed;
  placed.reserve(requests.size());
  struct Interval {
    size_t begin, end;
  };
  std::vector<Interval> busy;
  for (size_t idx : order) {
    const BufferRequest& r = requests[idx];
    const size_t size = AlignUp(std::max<size_t>(r.size, 1), alignment);
    busy.clear();
    for (size_t p : placed) {
      if (LifetimesOverlap(r, requests[p])) {
        busy.push_back({plan.offsets[p], plan.offsets[p] + AlignUp(std::max<size_t>(requests[p].size, 1), alignment)});
      }
    }
    std::sort(busy.begin(), busy.end(), [](const Interval& a, const Interval& b) { return a.begin < b.begin; });
    size_t offset = 0;
    for (const Interval& iv : busy) {
      if (offset + size <= iv.begin) break;
      offset = std::max(offset, iv.end);
    }
    plan.offsets[idx] = offset;
    plan.total_size = std::max(plan.total_size, offset + size);
    placed.push_back(idx);
  }
  return plan;
}

bool PlanIsValid(const std::vector<BufferRequest>& requests, const MemoryPlan& plan) {
  if (plan.offsets.size() != requests.size()) return false;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (plan.offsets[i] + requests[i].size > plan.total_size) return false;
    for (size_t j = i + 1; j < requests.size(); ++j) {
      if (!LifetimesOverlap(requests[i], requests[j])) continue;
      if (requests[i].size == 0 || requests[j].size == 0) continue;
      const size_t a0 = plan.offsets[i], a1 = a0 + requests[i].size;
      const size_t b0 = plan.offsets[j], b1 = b0 + requests[j].size;
      if (a0 < b1 && b0 < a1) return false;
    }
  }
  return true;
}

}  // namespace q2i::runtime
