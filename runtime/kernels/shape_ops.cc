// Data-movement and shape ops: reshape2, flatten2, flatten_contiguous_range, squeeze2, unsqueeze2 and
// assign are views (nothing runs); transpose2, slice, split and concat are oneDNN reorders / concat in
// the input's layout (loops over plain data for int64 and other types oneDNN lacks); shape and
// fill_constant produce constants at prepare time.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "ir/op_kinds.h"
#include "runtime/kernels/common.h"
#include "runtime/kernels/register.h"

namespace q2i::runtime::kernels {
namespace {

using dt = memory::data_type;

Status DefineXShape(PrepareContext& ctx, const std::vector<int64_t>& in_dims) {
  if (!ctx.HasOutput("XShape") || !ctx.IsOutputUsed("XShape")) return OkStatus();
  std::vector<int64_t> d = {0};
  d.insert(d.end(), in_dims.begin(), in_dims.end());
  return ctx.DefineOutputConstant("XShape", 0, ir::Tensor(ir::DataType::kFP32, d));
}

// Ints from a constant input tensor list (ShapeTensor, StartsTensorList, ...), each one value.
StatusOr<std::optional<std::vector<int64_t>>> IntsFromTensorList(PrepareContext& ctx, const char* slot) {
  const int n = ctx.NumInputs(slot);
  if (n == 0 || ctx.FindInput(slot, 0) == nullptr) return std::optional<std::vector<int64_t>>();
  std::vector<int64_t> v;
  for (int i = 0; i < n; ++i) {
    const ir::Tensor* t = ctx.InputConstant(slot, i);
    if (t == nullptr) {
      return Unsupported(ctx.op().DebugName(), ": ", slot, " must be computable at prepare time (a constant or a "
                         "function of input shapes)");
    }
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> part, ConstantInts(ctx.op(), *t, slot));
    v.insert(v.end(), part.begin(), part.end());
  }
  return std::optional<std::vector<int64_t>>(std::move(v));
}

// Ints from a single constant input tensor (Shape, StartsTensor, ...).
StatusOr<std::optional<std::vector<int64_t>>> IntsFromTensor(PrepareContext& ctx, const char* slot) {
  if (ctx.FindInput(slot) == nullptr) return std::optional<std::vector<int64_t>>();
  const ir::Tensor* t = ctx.InputConstant(slot);
  if (t == nullptr) {
    return Unsupported(ctx.op().DebugName(), ": ", slot, " must be computable at prepare time (a constant or a "
                       "function of input shapes)");
  }
  Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> v, ConstantInts(ctx.op(), *t, slot));
  return std::optional<std::vector<int64_t>>(std::move(v));
}

// ---- views ----
class ViewKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    const ir::Op& op = ctx.op();
    const std::string& type = op.type();
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* x, ctx.Input("X"));
    const std::vector<int64_t>& in = x->dims;
    const int64_t numel = x->numel();
    std::vector<int64_t> out;
    if (type == "reshape2" || type == "reshape") {
      Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> shape, op.GetInts("shape", std::vector<int64_t>{}));
      Q2I_ASSIGN_OR_RETURN(auto from_list, IntsFromTensorList(ctx, "ShapeTensor"));
      Q2I_ASSIGN_OR_RETURN(auto from_tensor, IntsFromTensor(ctx, "Shape"));
      if (from_list) {
        shape = *from_list;
      } else if (from_tensor) {
        shape = *from_tensor;
      }
      int infer = -1;
      int64_t known = 1;
      out = shape;
      for (size_t i = 0; i < out.size(); ++i) {
        if (out[i] == 0) {
          if (i >= in.size()) return InvalidModel(op.DebugName(), ": shape[", i, "] = 0 but X has rank ", in.size());
          out[i] = in[i];
        }
        if (out[i] == -1) {
          if (infer >= 0) return InvalidModel(op.DebugName(), ": more than one -1 in shape ", ir::DimsToString(shape));
          infer = static_cast<int>(i);
        } else if (out[i] < 0) {
          return InvalidModel(op.DebugName(), ": invalid shape ", ir::DimsToString(shape));
        } else {
          known *= out[i];
        }
      }
      if (infer >= 0) {
        if (known == 0 || numel % known != 0) {
          return InvalidModel(op.DebugName(), ": cannot reshape ", ir::DimsToString(in), " to ", ir::DimsToString(shape));
        }
        out[static_cast<size_t>(infer)] = numel / known;
      }
    } else if (type == "flatten2" || type == "flatten") {
      Q2I_ASSIGN_OR_RETURN(int64_t axis, op.GetInt("axis", 1));
      if (axis < 0 || axis > static_cast<int64_t>(in.size())) return InvalidModel(op.DebugName(), ": axis out of range");
      int64_t outer = 1;
      for (int64_t i = 0; i < axis; ++i) outer *= in[static_cast<size_t>(i)];
      out = {outer, outer == 0 ? 0 : numel / outer};
    } else if (type == "flatten_contiguous_range") {
      Q2I_ASSIGN_OR_RETURN(int64_t start, op.GetInt("start_axis", 1));
      Q2I_ASSIGN_OR_RETURN(int64_t stop, op.GetInt("stop_axis", -1));
      const int r = static_cast<int>(in.size());
      if (r == 0) {
        out = {1};
      } else {
        Q2I_ASSIGN_OR_RETURN(int s, NormalizeAxis(op, start, r, "start_axis"));
        Q2I_ASSIGN_OR_RETURN(int e, NormalizeAxis(op, stop, r, "stop_axis"));
        if (s > e) return InvalidModel(op.DebugName(), ": start_axis > stop_axis");
        out.assign(in.begin(), in.begin() + s);
        int64_t p = 1;
        for (int i = s; i <= e; ++i) p *= in[static_cast<size_t>(i)];
        out.push_back(p);
        out.insert(out.end(), in.begin() + e + 1, in.end());
      }
    } else if (type == "squeeze2" || type == "squeeze") {
      Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> axes, op.GetInts("axes", std::vector<int64_t>{}));
      std::vector<bool> drop(in.size(), false);
      if (axes.empty()) {
        for (size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
      } else {
        for (int64_t a : axes) {
          Q2I_ASSIGN_OR_RETURN(int ax, NormalizeAxis(op, a, static_cast<int>(in.size()), "axes"));
          if (in[static_cast<size_t>(ax)] == 1) drop[static_cast<size_t>(ax)] = true;
        }
      }
      for (size_t i = 0; i < in.size(); ++i)
        if (!drop[i]) out.push_back(in[i]);
    } else if (type == "unsqueeze2" || type == "unsqueeze") {
      Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> axes, op.GetInts("axes", std::vector<int64_t>{}));
      Q2I_ASSIGN_OR_RETURN(auto from_list, IntsFromTensorList(ctx, "AxesTensorList"));
      Q2I_ASSIGN_OR_RETURN(auto from_tensor, IntsFromTensor(ctx, "AxesTensor"));
      if (from_list) axes = *from_list;
      if (from_tensor) axes = *from_tensor;
      // Markers: -1 for inserted dims, i for input dim i.
      std::vector<int64_t> marks(in.size());
      std::iota(marks.begin(), marks.end(), 0);
      for (int64_t a : axes) {
        const int64_t cur = static_cast<int64_t>(marks.size());
        const int64_t pos = a < 0 ? a + cur + 1 : a;
        if (pos < 0 || pos > cur) return InvalidModel(op.DebugName(), ": axes value ", a, " out of range");
        marks.insert(marks.begin() + pos, -1);
      }
      for (int64_t m : marks) out.push_back(m < 0 ? 1 : in[static_cast<size_t>(m)]);
    } else {  // assign and other identities
      out = in;
    }
    int64_t out_numel = 1;
    for (int64_t d : out) out_numel *= d;
    if (out_numel != numel) {
      return InvalidModel(op.DebugName(), ": output ", ir::DimsToString(out), " has ", out_numel, " elements, X ",
                          ir::DimsToString(in), " has ", numel);
    }
    Q2I_RETURN_IF_ERROR(ctx.DefineOutputAlias("Out", 0, out, "X").status());
    return DefineXShape(ctx, in);
  }
  Status Run(RunContext&) override { return OkStatus(); }
};

// ---- transpose ----
class TransposeKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    op_ = &ctx.op();
    const ir::Op& op = *op_;
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* x, ctx.Input("X"));
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> axis, op.GetInts("axis", std::vector<int64_t>{}));
    const size_t r = x->dims.size();
    if (axis.size() != r) return InvalidModel(op.DebugName(), ": axis has ", axis.size(), " values for rank ", r);
    std::vector<bool> seen(r, false);
    std::vector<int> perm(r);
    std::vector<int64_t> out(r);
    for (size_t i = 0; i < r; ++i) {
      Q2I_ASSIGN_OR_RETURN(int a, NormalizeAxis(op, axis[i], static_cast<int>(r)));
      if (seen[static_cast<size_t>(a)]) return InvalidModel(op.DebugName(), ": axis is not a permutation");
      seen[static_cast<size_t>(a)] = true;
      perm[i] = a;
      out[i] = x->dims[static_cast<size_t>(a)];
    }
    Q2I_RETURN_IF_ERROR(DefineXShape(ctx, x->dims));
    if (!ToDnnlType(x->dtype)) {
      Q2I_ASSIGN_OR_RETURN(src_, ctx.PlainInputMemory("X"));
      Q2I_ASSIGN_OR_RETURN(dst_, ctx.DefinePlainOutput("Out", 0, x->dtype, out));
      elem_ = ir::SizeOf(x->dtype);
      // Walk the output; source strides permuted.
      const memory::dims in_st = Strides(x->dims);
      const std::vector<int64_t> in_strides(in_st.begin(), in_st.end());
      src_strides_.resize(r);
      for (size_t i = 0; i < r; ++i) src_strides_[i] = in_strides[static_cast<size_t>(perm[i])];
      const memory::dims out_st = Strides(out);
      dst_strides_.assign(out_st.begin(), out_st.end());
      dims_ = out;
      return OkStatus();
    }
    Q2I_ASSIGN_OR_RETURN(memory src, ctx.InputMemory("X"));
    Q2I_ASSIGN_OR_RETURN(memory dst, ctx.DefinePlainOutput("Out", 0, x->dtype, out));
    if (r == 0) return InvalidModel(op.DebugName(), ": 0-d transpose");
    // The output's plain layout seen with the input's axis order.
    const memory::desc dst_in_order = PlainDesc(ToDnnlDims(out), src.get_desc().data_type()).permute_axes(perm);
    view_ = BoundView(dst, dst_in_order, ctx.engine());
    call_ = PrimitiveCall(dnnl::reorder(src, view_.mem()), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, view_.mem()}});
    return OkStatus();
  }
  void Bind() override { view_.Bind(); }
  Status Run(RunContext& ctx) override {
    if (call_.valid()) return ExecutePrimitive(call_, ctx, *op_);
    CopyStrided(DataOf<uint8_t>(src_), src_strides_, DataOf<uint8_t>(dst_), dst_strides_, dims_, elem_);
    return OkStatus();
  }

 private:
  const ir::Op* op_ = nullptr;
  PrimitiveCall call_;
  BoundView view_;
  memory src_, dst_;
  std::vector<int64_t> src_strides_, dst_strides_, dims_;
  size_t elem_ = 4;
};

// ---- a sub-block copy (slice, split): out = in[offsets : offsets + dims] ----
struct SubCopy {
  PrimitiveCall call;
  BoundView src_view, dst_view;
  // Loop fallback.
  memory src, dst;
  std::vector<int64_t> src_strides, dst_strides, dims;
  int64_t src_offset = 0;
  size_t elem = 0;
};

// Prepares a copy of the block [offsets, offsets+dims) of input X (slot `slot`) into output (out_slot,
// out_index) whose dims are `out_dims` (same element count as `dims`).
Status PrepareSubCopy(PrepareContext& ctx, const char* slot, const ValueInfo& x, const std::vector<int64_t>& offsets,
                      const std::vector<int64_t>& dims, const char* out_slot, int out_index,
                      const std::vector<int64_t>& out_dims, SubCopy& sc) {
  if (auto ddt = ToDnnlType(x.dtype)) {
    Q2I_ASSIGN_OR_RETURN(memory src, ctx.InputMemory(slot));
    memory::desc src_md = src.get_desc();
    memory::desc sub;
    bool ok = true;
    try {
      sub = src_md.submemory_desc(ToDnnlDims(dims), memory::dims(offsets.begin(), offsets.end()));
    } catch (const dnnl::error&) {
      ok = false;
    }
    if (!ok) {
      Q2I_ASSIGN_OR_RETURN(src, ctx.PlainInputMemory(slot));
      src_md = src.get_desc();
      sub = src_md.submemory_desc(ToDnnlDims(dims), memory::dims(offsets.begin(), offsets.end()));
    }
    const memory::desc out_md = SameOrderDesc(src_md, dims, *ddt);
    memory dst;
    if (out_dims == dims) {
      Q2I_ASSIGN_OR_RETURN(dst, ctx.DefineOutput(out_slot, out_index, x.dtype, out_dims, out_md));
      sc.src_view = BoundView(src, sub, ctx.engine());
      sc.call = PrimitiveCall(dnnl::reorder(sc.src_view.mem(), dst),
                              {{DNNL_ARG_FROM, sc.src_view.mem()}, {DNNL_ARG_TO, dst}});
    } else {
      Q2I_ASSIGN_OR_RETURN(dst, ctx.DefinePlainOutput(out_slot, out_index, x.dtype, out_dims));
      sc.src_view = BoundView(src, sub, ctx.engine());
      sc.dst_view = BoundView(dst, PlainDesc(ToDnnlDims(dims), *ddt), ctx.engine());
      sc.call = PrimitiveCall(dnnl::reorder(sc.src_view.mem(), sc.dst_view.mem()),
                              {{DNNL_ARG_FROM, sc.src_view.mem()}, {DNNL_ARG_TO, sc.dst_view.mem()}});
    }
    return OkStatus();
  }
  Q2I_ASSIGN_OR_RETURN(sc.src, ctx.PlainInputMemory(slot));
  Q2I_ASSIGN_OR_RETURN(sc.dst, ctx.DefinePlainOutput(out_slot, out_index, x.dtype, out_dims));
  const memory::dims st = Strides(x.dims);
  sc.src_strides.assign(st.begin(), st.end());
  const memory::dims dst_st = Strides(dims);
  sc.dst_strides.assign(dst_st.begin(), dst_st.end());
  sc.dims = dims;
  sc.src_offset = 0;
  for (size_t i = 0; i < offsets.size(); ++i) sc.src_offset += offsets[i] * sc.src_strides[i];
  sc.elem = ir::SizeOf(x.dtype);
  return OkStatus();
}

void BindSubCopy(SubCopy& sc) {
  sc.src_view.Bind();
  sc.dst_view.Bind();
}

Status RunSubCopy(const SubCopy& sc, RunContext& ctx, const ir::Op& op) {
  if (sc.call.valid()) return ExecutePrimitive(sc.call, ctx, op);
  if (sc.elem == 0) return OkStatus();
  CopyStrided(DataOf<uint8_t>(sc.src) + sc.src_offset * static_cast<int64_t>(sc.elem), sc.src_strides,
              DataOf<uint8_t>(sc.dst), sc.dst_strides, sc.dims, sc.elem);
  return OkStatus();
}

class SliceKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    op_ = &ctx.op();
    const ir::Op& op = *op_;
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* x, ctx.Input("Input"));
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> axes, op.GetInts("axes", std::vector<int64_t>{}));
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> starts, op.GetInts("starts", std::vector<int64_t>{}));
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> ends, op.GetInts("ends", std::vector<int64_t>{}));
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> decrease, op.GetInts("decrease_axis", std::vector<int64_t>{}));
    Q2I_ASSIGN_OR_RETURN(auto st_list, IntsFromTensorList(ctx, "StartsTensorList"));
    Q2I_ASSIGN_OR_RETURN(auto st_tensor, IntsFromTensor(ctx, "StartsTensor"));
    Q2I_ASSIGN_OR_RETURN(auto en_list, IntsFromTensorList(ctx, "EndsTensorList"));
    Q2I_ASSIGN_OR_RETURN(auto en_tensor, IntsFromTensor(ctx, "EndsTensor"));
    if (st_tensor) starts = *st_tensor;
    if (st_list) starts = *st_list;
    if (en_tensor) ends = *en_tensor;
    if (en_list) ends = *en_list;
    if (starts.size() != axes.size() || ends.size() != axes.size()) {
      return InvalidModel(op.DebugName(), ": axes, starts and ends must have the same length");
    }
    const int r = static_cast<int>(x->dims.size());
    std::vector<int64_t> offsets(static_cast<size_t>(r), 0), dims = x->dims;
    for (size_t i = 0; i < axes.size(); ++i) {
      Q2I_ASSIGN_OR_RETURN(int a, NormalizeAxis(op, axes[i], r, "axes"));
      const int64_t d = x->dims[static_cast<size_t>(a)];
      int64_t s = starts[i] < 0 ? starts[i] + d : starts[i];
      int64_t e = ends[i] < 0 ? ends[i] + d : ends[i];
      s = std::clamp<int64_t>(s, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
      offsets[static_cast<size_t>(a)] = s;
      dims[static_cast<size_t>(a)] = std::max<int64_t>(e - s, 0);
    }
    std::vector<int64_t> out;
    std::vector<bool> drop(static_cast<size_t>(r), false);
    for (int64_t a : decrease) {
      Q2I_ASSIGN_OR_RETURN(int ax, NormalizeAxis(op, a, r, "decrease_axis"));
      if (dims[static_cast<size_t>(ax)] != 1) {
        return InvalidModel(op.DebugName(), ": decrease_axis ", a, " has size ", dims[static_cast<size_t>(ax)]);
      }
      drop[static_cast<size_t>(ax)] = true;
    }
    for (int i = 0; i < r; ++i)
      if (!drop[static_cast<size_t>(i)]) out.push_back(dims[static_cast<size_t>(i)]);
    if (out.empty()) out = {1};
    return PrepareSubCopy(ctx, "Input", *x, offsets, dims, "Out", 0, out, copy_);
  }
  void Bind() override { BindSubCopy(copy_); }
  Status Run(RunContext& ctx) override { return RunSubCopy(copy_, ctx, *op_); }

 private:
  const ir::Op* op_ = nullptr;
  SubCopy copy_;
};

class SplitKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    op_ = &ctx.op();
    const ir::Op& op = *op_;
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* x, ctx.Input("X"));
    Q2I_ASSIGN_OR_RETURN(int64_t axis, op.GetInt("axis", 0));
    Q2I_ASSIGN_OR_RETURN(auto axis_t, IntsFromTensor(ctx, "AxisTensor"));
    if (axis_t && !axis_t->empty()) axis = (*axis_t)[0];
    Q2I_ASSIGN_OR_RETURN(int a, NormalizeAxis(op, axis, static_cast<int>(x->dims.size())));
    Q2I_ASSIGN_OR_RETURN(int64_t num, op.GetInt("num", 0));
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> sections, op.GetInts("sections", std::vector<int64_t>{}));
    Q2I_ASSIGN_OR_RETURN(auto sec_list, IntsFromTensorList(ctx, "SectionsTensorList"));
    if (sec_list) sections = *sec_list;
    const int64_t d = x->dims[static_cast<size_t>(a)];
    const int outs = ctx.NumOutputs("Out");
    if (sections.empty()) {
      if (num <= 0) num = outs;
      if (num <= 0 || d % num != 0) return InvalidModel(op.DebugName(), ": cannot split size ", d, " into ", num);
      sections.assign(static_cast<size_t>(num), d / num);
    } else {
      int64_t known = 0, infer = -1;
      for (size_t i = 0; i < sections.size(); ++i) {
        if (sections[i] == -1) {
          if (infer >= 0) return InvalidModel(op.DebugName(), ": more than one -1 in sections");
          infer = static_cast<int64_t>(i);
        } else {
          known += sections[i];
        }
      }
      if (infer >= 0) sections[static_cast<size_t>(infer)] = d - known;
    }
    if (static_cast<int>(sections.size()) != outs) {
      return InvalidModel(op.DebugName(), ": ", sections.size(), " sections for ", outs, " outputs");
    }
    int64_t total = 0;
    for (int64_t s : sections) {
      if (s < 0) return InvalidModel(op.DebugName(), ": negative section");
      total += s;
    }
    if (total != d) return InvalidModel(op.DebugName(), ": sections sum to ", total, ", dim is ", d);
    copies_.resize(sections.size());
    int64_t off = 0;
    for (size_t i = 0; i < sections.size(); ++i) {
      std::vector<int64_t> offsets(x->dims.size(), 0), dims = x->dims;
      offsets[static_cast<size_t>(a)] = off;
      dims[static_cast<size_t>(a)] = sections[i];
      off += sections[i];
      if (!ctx.IsOutputUsed("Out", static_cast<int>(i))) continue;
      Q2I_RETURN_IF_ERROR(PrepareSubCopy(ctx, "X", *x, offsets, dims, "Out", static_cast<int>(i), dims, copies_[i]));
    }
    return OkStatus();
  }
  void Bind() override {
    for (SubCopy& c : copies_) BindSubCopy(c);
  }
  Status Run(RunContext& ctx) override {
    for (const SubCopy& c : copies_) Q2I_RETURN_IF_ERROR(RunSubCopy(c, ctx, *op_));
    return OkStatus();
  }

 private:
  const ir::Op* op_ = nullptr;
  std::vector<SubCopy> copies_;
};

class ConcatKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    op_ = &ctx.op();
    const ir::Op& op = *op_;
    const int n = ctx.NumInputs("X");
    if (n == 0) return InvalidModel(op.DebugName(), ": no inputs");
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* x0, ctx.Input("X", 0));
    Q2I_ASSIGN_OR_RETURN(int64_t axis, op.GetInt("axis", 0));
    Q2I_ASSIGN_OR_RETURN(auto axis_t, IntsFromTensor(ctx, "AxisTensor"));
    if (axis_t && !axis_t->empty()) axis = (*axis_t)[0];
    const int r = static_cast<int>(x0->dims.size());
    Q2I_ASSIGN_OR_RETURN(int a, NormalizeAxis(op, axis, r));
    std::vector<int64_t> out = x0->dims;
    out[static_cast<size_t>(a)] = 0;
    std::vector<const ValueInfo*> ins;
    for (int i = 0; i < n; ++i) {
      Q2I_ASSIGN_OR_RETURN(const ValueInfo* xi, ctx.Input("X", i));
      if (xi->dims.size() != x0->dims.size() || xi->dtype != x0->dtype) {
        return InvalidModel(op.DebugName(), ": inputs differ in rank or type (X[", i, "] ",
                            ir::DimsToString(xi->dims), " ", ir::DataTypeName(xi->dtype), ")");
      }
      for (int k = 0; k < r; ++k) {
        if (k != a && xi->dims[static_cast<size_t>(k)] != x0->dims[static_cast<size_t>(k)]) {
          return InvalidModel(op.DebugName(), ": X[", i, "] ", ir::DimsToString(xi->dims), " does not match X[0] ",
                              ir::DimsToString(x0->dims), " outside axis ", a);
        }
      }
      out[static_cast<size_t>(a)] += xi->dims[static_cast<size_t>(a)];
      ins.push_back(xi);
    }
    if (ToDnnlType(x0->dtype)) {
      std::vector<memory> srcs;
      std::vector<memory::desc> mds;
      for (int i = 0; i < n; ++i) {
        if (ins[static_cast<size_t>(i)]->dims[static_cast<size_t>(a)] == 0) continue;
        Q2I_ASSIGN_OR_RETURN(memory m, ctx.InputMemory("X", i));
        srcs.push_back(m);
        mds.push_back(m.get_desc());
      }
      if (srcs.empty()) return InvalidModel(op.DebugName(), ": all inputs are empty");
      // Output in the first input's layout family; oneDNN copies the inputs in whatever layout they have.
      const memory::desc dst_md = SameOrderDesc(mds[0], out, mds[0].data_type());
      dnnl::concat::primitive_desc pd(dst_md, a, mds, ctx.engine());
      Q2I_ASSIGN_OR_RETURN(memory dst, ctx.DefineOutput("Out", 0, x0->dtype, out, pd.dst_desc()));
      std::vector<std::pair<int, memory>> args;
      for (size_t i = 0; i < srcs.size(); ++i) args.emplace_back(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), srcs[i]);
      args.emplace_back(DNNL_ARG_DST, dst);
      call_ = PrimitiveCall(dnnl::concat(pd), std::move(args));
      return OkStatus();
    }
    // Plain loop: outer x (axis..end) blocks.
    elem_ = ir::SizeOf(x0->dtype);
    outer_ = 1;
    for (int k = 0; k < a; ++k) outer_ *= out[static_cast<size_t>(k)];
    int64_t inner = 1;
    for (int k = a + 1; k < r; ++k) inner *= out[static_cast<size_t>(k)];
    for (int i = 0; i < n; ++i) {
      Q2I_ASSIGN_OR_RETURN(memory m, ctx.PlainInputMemory("X", i));
      srcs_.push_back(m);
      chunk_.push_back(ins[static_cast<size_t>(i)]->dims[static_cast<size_t>(a)] * inner * static_cast<int64_t>(elem_));
    }
    Q2I_ASSIGN_OR_RETURN(dst_, ctx.DefinePlainOutput("Out", 0, x0->dtype, out));
    return OkStatus();
  }
  Status Run(RunContext& ctx) override {
    if (call_.valid()) return ExecutePrimitive(call_, ctx, *op_);
    uint8_t* d = DataOf<uint8_t>(dst_);
    for (int64_t o = 0; o < outer_; ++o) {
      for (size_t i = 0; i < srcs_.size(); ++i) {
        std::memcpy(d, DataOf<uint8_t>(srcs_[i]) + o * chunk_[i], static_cast<size_t>(chunk_[i]));
        d += chunk_[i];
      }
    }
    return OkStatus();
  }

 private:
  const ir::Op* op_ = nullptr;
  PrimitiveCall call_;
  std::vector<memory> srcs_;
  std::vector<int64_t> chunk_;
  memory dst_;
  int64_t outer_ = 0;
  size_t elem_ = 0;
};

// ---- constants ----
class ShapeKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* x, ctx.Input("Input"));
    ir::Tensor t(ir::DataType::kInt32, {static_cast<int64_t>(x->dims.size())});
    for (size_t i = 0; i < x->dims.size(); ++i) t.data<int32_t>()[i] = static_cast<int32_t>(x->dims[i]);
    return ctx.DefineOutputConstant("Out", 0, std::move(t));
  }
  Status Run(RunContext&) override { return OkStatus(); }
};

class FillConstantKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    const ir::Op& op = ctx.op();
    Q2I_ASSIGN_OR_RETURN(int64_t dtype_int, op.GetInt("dtype", static_cast<int64_t>(ir::DataType::kFP32)));
    auto dtype = ir::DataTypeFromInt(static_cast<int32_t>(dtype_int));
    if (!dtype) return InvalidModel(op.DebugName(), ": invalid dtype ", dtype_int);
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> shape, op.GetInts("shape", std::vector<int64_t>{}));
    Q2I_ASSIGN_OR_RETURN(auto from_tensor, IntsFromTensor(ctx, "ShapeTensor"));
    Q2I_ASSIGN_OR_RETURN(auto from_list, IntsFromTensorList(ctx, "ShapeTensorList"));
    if (from_list) shape = *from_list;
    if (from_tensor) shape = *from_tensor;
    Q2I_ASSIGN_OR_RETURN(double value, op.GetFloat("value", 0.0));
    Q2I_ASSIGN_OR_RETURN(std::string str_value, op.GetString("str_value", ""));
    if (!str_value.empty()) {
      char* end = nullptr;
      value = std::strtod(str_value.c_str(), &end);
      if (end == str_value.c_str()) return InvalidModel(op.DebugName(), ": str_value '", str_value, "' is not a number");
    }
    if (ctx.FindInput("ValueTensor") != nullptr) {
      const ir::Tensor* v = ctx.InputConstant("ValueTensor");
      if (v == nullptr || v->numel() < 1) return Unsupported(op.DebugName(), ": ValueTensor must be a constant");
      if (v->dtype() == ir::DataType::kFP32) {
        value = v->data<float>()[0];
      } else {
        Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> iv, ConstantInts(op, *v, "ValueTensor"));
        value = static_cast<double>(iv[0]);
      }
    }
    auto n = ir::CheckedNumel(shape, int64_t{1} << 31);
    if (!n.ok()) return n.status().WithContext(op.DebugName());
    ir::Tensor t(*dtype, shape);
    switch (*dtype) {
      case ir::DataType::kFP32: std::fill_n(t.data<float>(), t.numel(), static_cast<float>(value)); break;
      case ir::DataType::kFP64: std::fill_n(t.data<double>(), t.numel(), value); break;
      case ir::DataType::kInt32: std::fill_n(t.data<int32_t>(), t.numel(), static_cast<int32_t>(value)); break;
      case ir::DataType::kInt64: std::fill_n(t.data<int64_t>(), t.numel(), static_cast<int64_t>(value)); break;
      case ir::DataType::kInt8: std::fill_n(t.data<int8_t>(), t.numel(), static_cast<int8_t>(value)); break;
      case ir::DataType::kUInt8: std::fill_n(t.data<uint8_t>(), t.numel(), static_cast<uint8_t>(value)); break;
      case ir::DataType::kBool: std::fill_n(t.data<bool>(), t.numel(), value != 0); break;
      default: return Unsupported(op.DebugName(), ": dtype ", ir::DataTypeName(*dtype));
    }
    return ctx.DefineOutputConstant("Out", 0, std::move(t));
  }
  Status Run(RunContext&) override { return OkStatus(); }
};

}  // namespace

void RegisterShapeKernels(KernelRegistry& r, KernelPrecision p) {
  for (const char* type : {"reshape2", "reshape", "flatten2", "flatten", "flatten_contiguous_range", "squeeze2",
                           "squeeze", "unsqueeze2", "unsqueeze", "assign"}) {
    Reg<ViewKernel>(r, type, p, "view");
  }
  Reg<TransposeKernel>(r, "transpose2", p, "onednn_reorder");
  Reg<TransposeKernel>(r, "transpose", p, "onednn_reorder");
  Reg<SliceKernel>(r, "slice", p, "onednn_reorder");
  Reg<SplitKernel>(r, "split", p, "onednn_reorder");
  Reg<ConcatKernel>(r, "concat", p, "onednn_concat");
  if (p == KernelPrecision::kFloat) {
    Reg<ShapeKernel>(r, "shape", p, "constant");
    Reg<FillConstantKernel>(r, "fill_constant", p, "constant");
  }
}

}  // namespace q2i::runtime::kernels
