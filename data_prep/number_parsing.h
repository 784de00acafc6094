// Parsing of numeric option values given as text (used for the data_prep flags): a number is a decimal
// ("0.5", "1e-3") or a fraction ("1/255"); a list is comma-separated numbers ("0.485,0.456,0.406").
// Errors are InvalidArgument naming `what` (e.g. "--mean") and the bad text.
#pragma once

#include <string_view>
#include <vector>

#include "support/status.h"

namespace q2i {

StatusOr<double> ParseNumber(std::string_view text, std::string_view what);
StatusOr<std::vector<double>> ParseNumberList(std::string_view text, std::string_view what);

}  // namespace q2i
