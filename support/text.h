// Parsing the list-valued flags of the tools: "conv2d, fc" and "3,224,224".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "support/status.h"

namespace q2i {

// Items separated by `sep`, trimmed of spaces and tabs; empty items are dropped.
std::vector<std::string> SplitList(std::string_view text, char sep = ',');

// Positive integers separated by commas ("3,224,224"); an error naming `what` otherwise.
StatusOr<std::vector<int64_t>> ParsePositiveDims(std::string_view text, std::string_view what);

}  // namespace q2i
