#include "ir/graph_index.h"

#include <algorithm>

namespace q2i::ir {

GraphIndex::GraphIndex(const Program& program) {
  for (const auto& op : program.ops()) {
    for (const auto& name : op->InputNames()) {
      auto& list = consumers_[name];
      if (list.empty() || list.back() != op.get()) list.push_back(op.get());
    }
    for (const auto& name : op->OutputNames()) producer_[name] = op.get();
  }
}

Op* GraphIndex::Producer(std::string_view name) const {
  auto it = producer_.find(name);
  return it == producer_.end() ? nullptr : it->second;
}

const std::vector<Op*>& GraphIndex::Consumers(std::string_view name) const {
  static const std::vector<Op*> kNone;
  auto it = consumers_.find(name);
  return it == consumers_.end() ? kNone : it->second;
}

bool GraphIndex::IsFetched(std::string_view name) const {
  const auto& c = Consumers(name);
  return std::any_of(c.begin(), c.end(), [](const Op* op) { return op->type() == "fetch"; });
}

}  // namespace q2i::ir
