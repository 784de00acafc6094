#include "ir/attribute.h"

#include <cstdio>
#include <sstream>

namespace q2i::ir {

std::string_view AttrTypeName(AttrType type) {
  switch (type) {
    case AttrType::kInt: return "INT";
    case AttrType::kFloat: return "FLOAT";
    case AttrType::kString: return "STRING";
    case AttrType::kInts: return "INTS";
    case AttrType::kFloats: return "FLOATS";
    case AttrType::kStrings: return "STRINGS";
    case AttrType::kBoolean: return "BOOLEAN";
    case AttrType::kBooleans: return "BOOLEANS";
    case AttrType::kBlock: return "BLOCK";
    case AttrType::kLong: return "LONG";
    case AttrType::kBlocks: return "BLOCKS";
    case AttrType::kLongs: return "LONGS";
    case AttrType::kFloat64s: return "FLOAT64S";
    case AttrType::kVar: return "VAR";
    case AttrType::kVars: return "VARS";
    case AttrType::kFloat64: return "FLOAT64";
  }
  return "UNKNOWN";
}

namespace {
Status WrongType(AttrType actual, const char* wanted) {
  return InvalidModel("attribute of type ", AttrTypeName(actual), " where ", wanted, " was expected");
}
template <typename To, typename From>
std::vector<To> Convert(const std::vector<From>& v) {
  return std::vector<To>(v.begin(), v.end());
}
}  // namespace

StatusOr<int64_t> Attribute::AsInt() const {
  if (auto* p = std::get_if<int32_t>(&value_)) return int64_t{*p};
  if (auto* p = std::get_if<int64_t>(&value_)) return *p;
  if (auto* p = std::get_if<bool>(&value_)) return int64_t{*p};
  return WrongType(type_, "an integer");
}

StatusOr<double> Attribute::AsFloat() const {
  if (auto* p = std::get_if<float>(&value_)) return double{*p};
  if (auto* p = std::get_if<double>(&value_)) return *p;
  if (auto* p = std::get_if<int32_t>(&value_)) return double(*p);
  if (auto* p = std::get_if<int64_t>(&value_)) return double(*p);
  return WrongType(type_, "a number");
}

StatusOr<bool> Attribute::AsBool() const {
  if (auto* p = std::get_if<bool>(&value_)) return *p;
  if (auto* p = std::get_if<int32_t>(&value_)) return *p != 0;
  if (auto* p = std::get_if<int64_t>(&value_)) return *p != 0;
  return WrongType(type_, "a boolean");
}

StatusOr<std::string> Attribute::AsString() const {
  if (auto* p = std::get_if<std::string>(&value_)) return *p;
  return WrongType(type_, "a string");
}

StatusOr<std::vector<int64_t>> Attribute::AsInts() const {
  if (auto* p = std::get_if<std::vector<int32_t>>(&value_)) return Convert<int64_t>(*p);
  if (auto* p = std::get_if<std::vector<int64_t>>(&value_)) return *p;
  if (auto* p = std::get_if<std::vector<bool>>(&value_)) return Convert<int64_t>(*p);
  return WrongType(type_, "a list of integers");
}

StatusOr<std::vector<double>> Attribute::AsFloats() const {
  if (auto* p = std::get_if<std::vector<float>>(&value_)) return Convert<double>(*p);
  if (auto* p = std::get_if<std::vector<double>>(&value_)) return *p;
  if (auto* p = std::get_if<std::vector<int32_t>>(&value_)) return Convert<double>(*p);
  if (auto* p = std::get_if<std::vector<int64_t>>(&value_)) return Convert<double>(*p);
  return WrongType(type_, "a list of numbers");
}

StatusOr<std::vector<std::string>> Attribute::AsStrings() const {
  if (auto* p = std::get_if<std::vector<std::string>>(&value_)) return *p;
  return WrongType(type_, "a list of strings");
}

namespace {
std::string FormatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}
template <typename T>
std::string Scalar(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return "\"" + v + "\"";
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_floating_point_v<T>) {
    return FormatDouble(v);
  } else {
    return std::to_string(v);
  }
}
}  // namespace

std::string Attribute::ToString() const {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (requires { v.begin(); } && !std::is_same_v<T, std::string>) {
          std::string s = "[";
          bool first = true;
          for (const auto& e : v) {
            if (!first) s += ", ";
            first = false;
            s += Scalar<typename T::value_type>(e);
          }
          return s + "]";
        } else {
          return Scalar<T>(v);
        }
      },
      value_);
}

}  // namespace q2i::ir
