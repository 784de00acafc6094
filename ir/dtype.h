// Element types of tensors, numbered exactly as Paddle's VarType.Type so that the value read from a
// TensorDesc is the enum value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace q2i::ir {

enum class DataType : int32_t {
  kBool = 0,
  kInt16 = 1,
  kInt32 = 2,
  kInt64 = 3,
  kFP16 = 4,
  kFP32 = 5,
  kFP64 = 6,
  kUInt8 = 20,
  kInt8 = 21,
  kBF16 = 22,
  kComplex64 = 23,
  kComplex128 = 24,
};

// The DataType for a raw VarType.Type value, or nullopt when it is not a tensor element type.
std::optional<DataType> DataTypeFromInt(int32_t value);
size_t SizeOf(DataType type);
std::string_view DataTypeName(DataType type);  // "float32", "int8", ...

template <typename T>
constexpr DataType DataTypeOf();
template <> constexpr DataType DataTypeOf<float>() { return DataType::kFP32; }
template <> constexpr DataType DataTypeOf<double>() { return DataType::kFP64; }
template <> constexpr DataType DataTypeOf<int8_t>() { return DataType::kInt8; }
template <> constexpr DataType DataTypeOf<uint8_t>() { return DataType::kUInt8; }
template <> constexpr DataType DataTypeOf<int16_t>() { return DataType::kInt16; }
template <> constexpr DataType DataTypeOf<int32_t>() { return DataType::kInt32; }
template <> constexpr DataType DataTypeOf<int64_t>() { return DataType::kInt64; }
template <> constexpr DataType DataTypeOf<bool>() { return DataType::kBool; }

}  // namespace q2i::ir
