// Attribute: a typed op attribute, tagged with Paddle's AttrType so that a program round-trips with the
// same attribute types (INT vs LONG vs BOOLEAN matter to Paddle). Typed getters accept the encodings
// real models use for the same meaning (fluid 1.x writes is_test as INT, 2.x as BOOLEAN).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "support/status.h"

namespace q2i::ir {

enum class AttrType : int32_t {
  kInt = 0,
  kFloat = 1,
  kString = 2,
  kInts = 3,
  kFloats = 4,
  kStrings = 5,
  kBoolean = 6,
  kBooleans = 7,
  kBlock = 8,
  kLong = 9,
  kBlocks = 10,
  kLongs = 11,
  kFloat64s = 12,
  kVar = 13,
  kVars = 14,
  kFloat64 = 15,
};

class Attribute {
 public:
  using Value = std::variant<int32_t, float, std::string, std::vector<int32_t>, std::vector<float>,
                             std::vector<std::string>, bool, std::vector<bool>, int64_t,
                             std::vector<int64_t>, std::vector<double>, double>;

  Attribute() : type_(AttrType::kInt), value_(int32_t{0}) {}
  static Attribute Int(int32_t v) { return Attribute(AttrType::kInt, v); }
  static Attribute Long(int64_t v) { return Attribute(AttrType::kLong, v); }
  static Attribute Float(float v) { return Attribute(AttrType::kFloat, v); }
  static Attribute Float64(double v) { return Attribute(AttrType::kFloat64, v); }
  static Attribute String(std::string v) { return Attribute(AttrType::kString, std::move(v)); }
  static Attribute Bool(bool v) { return Attribute(AttrType::kBoolean, v); }
  static Attribute Ints(std::vector<int32_t> v) { return Attribute(AttrType::kInts, std::move(v)); }
  static Attribute Longs(std::vector<int64_t> v) { return Attribute(AttrType::kLongs, std::move(v)); }
  static Attribute Floats(std::vector<float> v) { return Attribute(AttrType::kFloats, std::move(v)); }
  static Attribute Float64s(std::vector<double> v) { return Attribute(AttrType::kFloat64s, std::move(v)); }
  static Attribute Strings(std::vector<std::string> v) { return Attribute(AttrType::kStrings, std::move(v)); }
  static Attribute Bools(std::vector<bool> v) { return Attribute(AttrType::kBooleans, std::move(v)); }
  static Attribute Block(int32_t idx) { return Attribute(AttrType::kBlock, idx); }
  static Attribute Blocks(std::vector<int32_t> v) { return Attribute(AttrType::kBlocks, std::move(v)); }
  static Attribute Var(std::string v) { return Attribute(AttrType::kVar, std::move(v)); }
  static Attribute Vars(std::vector<std::string> v) { return Attribute(AttrType::kVars, std::move(v)); }

  AttrType type() const { return type_; }
  const Value& value() const { return value_; }

  // Conversions; each fails with a message naming the expected and actual type.
  StatusOr<int64_t> AsInt() const;               // INT, LONG, BOOLEAN, BLOCK
  StatusOr<double> AsFloat() const;              // FLOAT, FLOAT64, INT, LONG
  StatusOr<bool> AsBool() const;                 // BOOLEAN, INT, LONG
  StatusOr<std::string> AsString() const;        // STRING, VAR
  StatusOr<std::vector<int64_t>> AsInts() const;   // INTS, LONGS, BLOCKS, BOOLEANS
  StatusOr<std::vector<double>> AsFloats() const;  // FLOATS, FLOAT64S, INTS, LONGS
  StatusOr<std::vector<std::string>> AsStrings() const;  // STRINGS, VARS

  bool operator==(const Attribute& other) const = default;
  // Short, deterministic text form for dumps: 3, 0.5, "relu", [1, 1], ...
  std::string ToString() const;

 private:
  Attribute(AttrType type, Value value) : type_(type), value_(std::move(value)) {}
  AttrType type_;
  Value value_;
};

std::string_view AttrTypeName(AttrType type);

}  // namespace q2i::ir
