#include "support/text.h"

#include <cstdlib>

namespace q2i {

std::vector<std::string> SplitList(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    std::string item(text.substr(start, end - start));
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(std::move(item));
    start = end + 1;
  }
  return out;
}

StatusOr<std::vector<int64_t>> ParsePositiveDims(std::string_view text, std::string_view what) {
  std::vector<int64_t> dims;
  for (const std::string& item : SplitList(text)) {
    char* end = nullptr;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (end == item.c_str() || *end != '\0' || v <= 0)
      return InvalidArgument(what, ": '", item, "' is not a positive integer (expected e.g. 3,224,224)");
    dims.push_back(v);
  }
  if (dims.empty()) return InvalidArgument(what, " is empty");
  return dims;
}

}  // namespace q2i
