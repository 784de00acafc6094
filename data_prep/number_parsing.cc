#include "data_prep/number_parsing.h"

#include <charconv>
#include <cmath>
#include <string>

namespace q2i {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ParseDecimal(std::string_view s, double* value) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *value);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(*value);
}

}  // namespace

StatusOr<double> ParseNumber(std::string_view text, std::string_view what) {
  const size_t slash = text.find('/');
  double value = 0;
  if (slash == std::string_view::npos) {
    if (ParseDecimal(text, &value)) return value;
  } else {
    double num = 0, den = 0;
    if (ParseDecimal(text.substr(0, slash), &num) && ParseDecimal(text.substr(slash + 1), &den) && den != 0) {
      return num / den;
    }
  }
  return InvalidArgument(what, ": '", text, "' is not a number (expected e.g. 0.5 or 1/255)");
}

StatusOr<std::vector<double>> ParseNumberList(std::string_view text, std::string_view what) {
  std::vector<double> values;
  if (Trim(text).empty()) return InvalidArgument(what, ": empty list (expected e.g. 0.485,0.456,0.406)");
  while (true) {
    const size_t comma = text.find(',');
    StatusOr<double> value = ParseNumber(text.substr(0, comma), what);
    if (!value.ok()) {
      return InvalidArgument(what, ": '", text.substr(0, comma), "' in the list is not a number",
                             " (expected comma-separated numbers, e.g. 0.485,0.456,0.406)");
    }
    values.push_back(*value);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return values;
}

}  // namespace q2i
