#include "ir/dtype.h"

namespace q2i::ir {

std::optional<DataType> DataTypeFromInt(int32_t value) {
  switch (value) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6:
    case 20: case 21: case 22: case 23: case 24:
      return static_cast<DataType>(value);
    default:
      return std::nullopt;
  }
}

size_t SizeOf(DataType type) {
  switch (type) {
    case DataType::kBool: return 1;
    case DataType::kInt16: return 2;
    case DataType::kInt32: return 4;
    case DataType::kInt64: return 8;
    case DataType::kFP16: return 2;
    case DataType::kFP32: return 4;
    case DataType::kFP64: return 8;
    case DataType::kUInt8: return 1;
    case DataType::kInt8: return 1;
    case DataType::kBF16: return 2;
    case DataType::kComplex64: return 8;
    case DataType::kComplex128: return 16;
  }
  return 0;
}

std::string_view DataTypeName(DataType type) {
  switch (type) {
    case DataType::kBool: return "bool";
    case DataType::kInt16: return "int16";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kFP16: return "float16";
    case DataType::kFP32: return "float32";
    case DataType::kFP64: return "float64";
    case DataType::kUInt8: return "uint8";
    case DataType::kInt8: return "int8";
    case DataType::kBF16: return "bfloat16";
    case DataType::kComplex64: return "complex64";
    case DataType::kComplex128: return "complex128";
  }
  return "unknown";
}

}  // namespace q2i::ir
