// GraphIndex: producers and consumers of every variable of a Program, computed once. Rebuild it after
// mutating the program (it holds pointers into the program's ops).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ir/program.h"

namespace q2i::ir {

class GraphIndex {
 public:
  explicit GraphIndex(const Program& program);

  // The last op writing `name`, or nullptr (feed targets are produced by their feed op).
  Op* Producer(std::string_view name) const;
  // Ops reading `name`, in program order, each once (fetch ops included).
  const std::vector<Op*>& Consumers(std::string_view name) const;
  size_t NumConsumers(std::string_view name) const { return Consumers(name).size(); }
  // True when `name` is read by a fetch op (a model output).
  bool IsFetched(std::string_view name) const;

 private:
  std::map<std::string, Op*, std::less<>> producer_;
  std::map<std::string, std::vector<Op*>, std::less<>> consumers_;
};

}  // namespace q2i::ir
