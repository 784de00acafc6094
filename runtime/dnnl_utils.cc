#include "runtime/dnnl_utils.h"

#include <oneapi/dnnl/dnnl_debug.h>

#include <sstream>

#include "support/check.h"

namespace q2i::runtime {

std::optional<memory::data_type> ToDnnlType(ir::DataType type) {
  switch (type) {
    case ir::DataType::kFP32: return memory::data_type::f32;
    case ir::DataType::kInt32: return memory::data_type::s32;
    case ir::DataType::kInt8: return memory::data_type::s8;
    case ir::DataType::kUInt8: return memory::data_type::u8;
    case ir::DataType::kBF16: return memory::data_type::bf16;
    case ir::DataType::kFP16: return memory::data_type::f16;
    default: return std::nullopt;
  }
}

memory::dims ToDnnlDims(const std::vector<int64_t>& dims) {
  if (dims.empty()) return {1};
  return memory::dims(dims.begin(), dims.end());
}

memory::desc PlainDesc(const memory::dims& dims, memory::data_type type) {
  memory::dims strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) {
    const auto next = dims[static_cast<size_t>(i) + 1];
    strides[static_cast<size_t>(i)] = strides[static_cast<size_t>(i) + 1] * (next > 0 ? next : 1);
  }
  return memory::desc(dims, type, strides);
}

memory::desc StridedDesc(const memory::dims& dims, memory::data_type type, const memory::dims& strides) {
  return memory::desc(dims, type, strides);
}

memory::desc PlainDesc(const std::vector<int64_t>& dims, ir::DataType type) {
  if (auto dt = ToDnnlType(type)) return PlainDesc(ToDnnlDims(dims), *dt);
  int64_t numel = 1;
  for (int64_t d : dims) numel *= d;
  const auto bytes = static_cast<memory::dim>(numel * static_cast<int64_t>(ir::SizeOf(type)));
  return memory::desc({bytes}, memory::data_type::u8, memory::format_tag::a);
}

memory::desc WithDataType(const memory::desc& md, memory::data_type dt) {
  dnnl_memory_desc_t d = md.data;
  d.data_type = static_cast<dnnl_data_type_t>(dt);
  return memory::desc(d);
}

size_t DataTypeSize(memory::data_type dt) {
  switch (dt) {
    case memory::data_type::f32:
    case memory::data_type::s32: return 4;
    case memory::data_type::bf16:
    case memory::data_type::f16: return 2;
    default: return 1;
  }
}

bool IsPlain(const memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  if (d.format_kind != dnnl_blocked) return false;
  if (d.offset0 != 0) return false;
  const auto& blk = d.format_desc.blocking;
  if (blk.inner_nblks != 0) return false;
  int64_t expected = 1;
  for (int i = d.ndims - 1; i >= 0; --i) {
    if (d.padded_dims[i] != d.dims[i]) return false;
    if (d.dims[i] != 1 && blk.strides[i] != expected) return false;
    expected *= d.dims[i] > 0 ? d.dims[i] : 1;
  }
  return true;
}

std::string DescToString(const memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  std::ostringstream os;
  os << dnnl_dt2str(d.data_type) << " [";
  for (int i = 0; i < d.ndims; ++i) os << (i ? ", " : "") << d.dims[i];
  os << "]";
  if (d.format_kind == dnnl_format_kind_any) {
    os << " any";
  } else if (d.format_kind == dnnl_blocked) {
    if (IsPlain(md)) {
      os << " plain";
    } else {
      os << " strides(";
      for (int i = 0; i < d.ndims; ++i) os << (i ? "," : "") << d.format_desc.blocking.strides[i];
      os << ")";
      const auto& blk = d.format_desc.blocking;
      for (int b = 0; b < blk.inner_nblks; ++b) os << " " << blk.inner_blks[b] << static_cast<char>('a' + blk.inner_idxs[b]);
    }
  } else {
    os << " opaque";
  }
  return os.str();
}

Status DnnlStatusError(const ir::Op& op, std::string_view what, dnnl_status_t status) {
  return InternalError(op.DebugName(), ": oneDNN failed to ", what, " (dnnl_status ", static_cast<int>(status), ")");
}

Status DnnlError(const ir::Op& op, std::string_view what, const dnnl::error& e) {
  StatusCode code = e.status == dnnl_unimplemented ? StatusCode::kUnsupported : StatusCode::kInternal;
  return Status(code, internal::StrCat(op.DebugName(), ": oneDNN failed to ", what, ": ", e.what(),
                                       " (dnnl_status ", static_cast<int>(e.status), ")"));
}

PrimitiveCall::PrimitiveCall(dnnl::primitive prim, std::vector<std::pair<int, memory>> args)
    : prim_(std::move(prim)), args_(std::move(args)) {
  Rebuild();
}

void PrimitiveCall::Rebuild() {
  c_args_.clear();
  c_args_.reserve(args_.size());
  for (const auto& [arg, mem] : args_) c_args_.push_back({arg, mem.get()});
}

void PrimitiveCall::SetArg(int arg, const memory& mem) {
  for (auto& [a, m] : args_) {
    if (a == arg) {
      m = mem;
      Rebuild();
      return;
    }
  }
  args_.emplace_back(arg, mem);
  Rebuild();
}

dnnl_status_t PrimitiveCall::Execute(const dnnl::stream& stream) const {
  Q2I_CHECK(prim_);
  return dnnl_primitive_execute(prim_.get(), stream.get(), static_cast<int>(c_args_.size()), c_args_.data());
}

}  // namespace q2i::runtime
