// Tensor: a dense, row-major, 64-byte aligned block of elements with a dtype and dims. Copying a Tensor
// shares the buffer (cheap); passes that change weights create a new Tensor instead of writing into a
// shared one (see Tensor::Clone).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ir/dtype.h"
#include "support/status.h"

namespace q2i::ir {

// Product of dims, or an error when a dim is negative or the product overflows int64 / exceeds
// `max_elements`.
StatusOr<int64_t> CheckedNumel(const std::vector<int64_t>& dims, int64_t max_elements = INT64_MAX);
std::string DimsToString(const std::vector<int64_t>& dims);  // "[1, 3, 224, 224]"

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor. Q2I_CHECKs that dims are valid; validate untrusted dims with CheckedNumel first.
  Tensor(DataType dtype, std::vector<int64_t> dims);

  template <typename T>
  static Tensor FromVector(std::vector<int64_t> dims, const std::vector<T>& values) {
    Tensor t(DataTypeOf<T>(), std::move(dims));
    std::copy(values.begin(), values.end(), t.data<T>());
    return t;
  }

  bool empty() const { return buffer_ == nullptr; }
  DataType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * SizeOf(dtype_); }

  // Typed access; Q2I_CHECKs that T matches dtype().
  template <typename T>
  T* data() {
    CheckType(DataTypeOf<T>());
    return reinterpret_cast<T*>(buffer_.get());
  }
  template <typename T>
  const T* data() const {
    CheckType(DataTypeOf<T>());
    return reinterpret_cast<const T*>(buffer_.get());
  }
  template <typename T>
  std::span<const T> values() const { return {data<T>(), static_cast<size_t>(numel_)}; }

  uint8_t* raw_data() { return buffer_.get(); }
  const uint8_t* raw_data() const { return buffer_.get(); }

  // Deep copy with its own buffer.
  Tensor Clone() const;
  // Same buffer, other dims with the same element count.
  Tensor Reshaped(std::vector<int64_t> dims) const;
  // Bytewise equality of dtype, dims and data.
  bool IdenticalTo(const Tensor& other) const;

 private:
  void CheckType(DataType expected) const;

  DataType dtype_ = DataType::kFP32;
  std::vector<int64_t> dims_;
  int64_t numel_ = 0;
  std::shared_ptr<uint8_t[]> buffer_;
};

}  // namespace q2i::ir
