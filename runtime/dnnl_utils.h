// Helpers shared by the executor and the kernels: ir::DataType <-> oneDNN data types, plain (dense
// row-major) memory descriptors, and turning dnnl::error / dnnl_status_t into Status values.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ir/dtype.h"
#include "ir/program.h"
#include "support/status.h"

namespace q2i::runtime {

using dnnl::memory;

// The oneDNN element type of `type`, or nullopt for types oneDNN has no kernels for (int64, fp64, bool,
// int16, ...). Such values are still carried, as bytes.
std::optional<memory::data_type> ToDnnlType(ir::DataType type);

// oneDNN dims for a tensor's dims; a 0-d tensor is carried as [1].
memory::dims ToDnnlDims(const std::vector<int64_t>& dims);

// Dense row-major descriptor ("abcd..."). For types oneDNN lacks: a 1-D u8 descriptor of the byte size.
memory::desc PlainDesc(const std::vector<int64_t>& dims, ir::DataType type);
memory::desc PlainDesc(const memory::dims& dims, memory::data_type type);
// Row-major descriptor with the given per-dim strides (in elements).
memory::desc StridedDesc(const memory::dims& dims, memory::data_type type, const memory::dims& strides);

// `md` with another element type and the same dims and layout.
memory::desc WithDataType(const memory::desc& md, memory::data_type dt);
size_t DataTypeSize(memory::data_type dt);

// True when `md` is dense row-major without blocking or padding (or is a byte descriptor).
bool IsPlain(const memory::desc& md);

// "f32 [1, 64, 56, 56] nChw16c"-style text for messages and plan dumps.
std::string DescToString(const memory::desc& md);

// Status for a failed oneDNN call, naming the op and what was attempted.
Status DnnlStatusError(const ir::Op& op, std::string_view what, dnnl_status_t status);
Status DnnlError(const ir::Op& op, std::string_view what, const dnnl::error& e);

// A primitive with its argument list built once: Execute() does no allocation (calls the C API with the
// prepared dnnl_exec_arg_t array).
class PrimitiveCall {
 public:
  PrimitiveCall() = default;
  PrimitiveCall(dnnl::primitive prim, std::vector<std::pair<int, memory>> args);
  bool valid() const { return static_cast<bool>(prim_); }
  dnnl_status_t Execute(const dnnl::stream& stream) const;
  // Replaces (or adds) the memory bound to `arg`.
  void SetArg(int arg, const memory& mem);

 private:
  void Rebuild();
  dnnl::primitive prim_;
  std::vector<std::pair<int, memory>> args_;
  std::vector<dnnl_exec_arg_t> c_args_;
};

}  // namespace q2i::runtime
