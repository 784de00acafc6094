#include "ir/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "support/check.h"

namespace q2i::ir {

StatusOr<int64_t> CheckedNumel(const std::vector<int64_t>& dims, int64_t max_elements) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return InvalidModel("negative dimension ", d, " in dims ", DimsToString(dims));
    if (d != 0 && n > max_elements / d)
      return InvalidModel("dims ", DimsToString(dims), " hold more than ", max_elements, " elements");
    n *= d;
  }
  return n;
}

std::string DimsToString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

namespace {
struct AlignedFree {
  void operator()(uint8_t* p) const { std::free(p); }
};
std::shared_ptr<uint8_t[]> AllocateZeroed(size_t bytes) {
  constexpr size_t kAlign = 64;
  size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  if (rounded == 0) rounded = kAlign;
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(kAlign, rounded));
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, rounded);
  return std::shared_ptr<uint8_t[]>(p, AlignedFree());
}
}  // namespace

Tensor::Tensor(DataType dtype, std::vector<int64_t> dims) : dtype_(dtype), dims_(std::move(dims)) {
  auto n = CheckedNumel(dims_);
  Q2I_CHECK(n.ok());
  numel_ = *n;
  buffer_ = AllocateZeroed(nbytes());
}

Tensor Tensor::Clone() const {
  if (empty()) return Tensor();
  Tensor t(dtype_, dims_);
  std::memcpy(t.buffer_.get(), buffer_.get(), nbytes());
  return t;
}

Tensor Tensor::Reshaped(std::vector<int64_t> dims) const {
  auto n = CheckedNumel(dims);
  Q2I_CHECK(n.ok() && *n == numel_);
  Tensor t = *this;
  t.dims_ = std::move(dims);
  return t;
}

bool Tensor::IdenticalTo(const Tensor& other) const {
  if (dtype_ != other.dtype_ || dims_ != other.dims_) return false;
  if (empty() || other.empty()) return empty() == other.empty();
  return std::memcmp(buffer_.get(), other.buffer_.get(), nbytes()) == 0;
}

void Tensor::CheckType(DataType expected) const { Q2I_CHECK(expected == dtype_); }

}  // namespace q2i::ir
