// batch_norm (inference: global statistics) and softmax, with oneDNN in the input's layout.
#include <cmath>

#include "runtime/kernels/common.h"
#include "runtime/kernels/register.h"

namespace q2i::runtime::kernels {
namespace {

using dt = memory::data_type;

class BatchNormKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    op_ = &ctx.op();
    const ir::Op& op = *op_;
    Q2I_RETURN_IF_ERROR(CheckNchw(op, "data_layout"));
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* x, ctx.Input("X"));
    if (x->dtype != ir::DataType::kFP32) return Unsupported(op.DebugName(), ": X must be float32");
    if (x->dims.size() < 2) return InvalidModel(op.DebugName(), ": X must have a channel dim");
    const int64_t c = x->dims[1];
    Q2I_ASSIGN_OR_RETURN(double eps, op.GetFloat("epsilon", 1e-5));
    const memory::desc c_md({c}, dt::f32, memory::format_tag::x);
    for (const char* slot : {"Scale", "Bias", "Mean", "Variance"}) {
      Q2I_ASSIGN_OR_RETURN(const ValueInfo* v, ctx.Input(slot));
      if (v->numel() != c || v->dtype != ir::DataType::kFP32) {
        return InvalidModel(op.DebugName(), ": ", slot, " must be float32 with ", c, " values");
      }
    }
    memory src;
    memory::desc md;
    if (x->dims.size() == 2) {
      // oneDNN wants spatial dims: view [N, C] as [N, C, 1, 1].
      md = PlainDesc(memory::dims{x->dims[0], c, 1, 1}, dt::f32);
      Q2I_ASSIGN_OR_RETURN(src, ctx.InputView("X", 0, md));
    } else {
      Q2I_ASSIGN_OR_RETURN(src, ctx.InputMemory("X"));
      md = src.get_desc();
    }
    const auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
                       dnnl::normalization_flags::use_shift;
    dnnl::batch_normalization_forward::desc d(dnnl::prop_kind::forward_inference, md, static_cast<float>(eps), flags);
    dnnl::batch_normalization_forward::primitive_desc pd(d, ctx.engine());
    Q2I_ASSIGN_OR_RETURN(memory scale, ctx.InputMemoryAs("Scale", 0, c_md));
    Q2I_ASSIGN_OR_RETURN(memory shift, ctx.InputMemoryAs("Bias", 0, c_md));
    Q2I_ASSIGN_OR_RETURN(memory mean, ctx.InputMemoryAs("Mean", 0, c_md));
    Q2I_ASSIGN_OR_RETURN(memory var, ctx.InputMemoryAs("Variance", 0, c_md));
    memory dst;
    if (x->dims.size() == 2) {
      Q2I_ASSIGN_OR_RETURN(memory out, ctx.DefinePlainOutput("Y", 0, dt_f32(), x->dims));
      view_ = BoundView(out, md, ctx.engine());
      dst = view_.mem();
    } else {
      Q2I_ASSIGN_OR_RETURN(dst, ctx.DefineOutput("Y", 0, ir::DataType::kFP32, x->dims, md));
    }
    call_ = PrimitiveCall(dnnl::batch_normalization_forward(pd), {{DNNL_ARG_SRC, src},
                                                                 {DNNL_ARG_MEAN, mean},
                                                                 {DNNL_ARG_VARIANCE, var},
                                                                 {DNNL_ARG_SCALE, scale},
                                                                 {DNNL_ARG_SHIFT, shift},
                                                                 {DNNL_ARG_DST, dst}});
    // Running statistics outputs are the inputs at inference.
    const std::pair<const char*, const char*> passthrough[] = {{"MeanOut", "Mean"}, {"VarianceOut", "Variance"},
                                                               {"SavedMean", "Mean"}, {"SavedVariance", "Variance"}};
    for (const auto& [out, in] : passthrough) {
      if (!ctx.IsOutputUsed(out)) continue;
      const ir::Tensor* t = ctx.InputConstant(in);
      if (t == nullptr) return Unsupported(op.DebugName(), ": ", out, " is used but ", in, " is not a constant");
      Q2I_RETURN_IF_ERROR(ctx.DefineOutputConstant(out, 0, *t));
    }
    return OkStatus();
  }

  void Bind() override { view_.Bind(); }
  Status Run(RunContext& ctx) override { return ExecutePrimitive(call_, ctx, *op_); }

 private:
  static ir::DataType dt_f32() { return ir::DataType::kFP32; }
  const ir::Op* op_ = nullptr;
  PrimitiveCall call_;
  BoundView view_;
};

class SoftmaxKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    op_ = &ctx.op();
    const ir::Op& op = *op_;
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* x, ctx.Input("X"));
    if (x->dtype != ir::DataType::kFP32) return Unsupported(op.DebugName(), ": X must be float32");
    Q2I_ASSIGN_OR_RETURN(int64_t axis, op.GetInt("axis", -1));
    const int rank = static_cast<int>(x->dims.size());
    Q2I_ASSIGN_OR_RETURN(int a, NormalizeAxis(op, axis, rank));
    Q2I_ASSIGN_OR_RETURN(memory src, ctx.InputMemory("X"));
    const memory::desc md = src.get_desc();
    dnnl::softmax_forward::desc d(dnnl::prop_kind::forward_inference, md, a);
    dnnl::softmax_forward::primitive_desc pd(d, ctx.engine());
    Q2I_ASSIGN_OR_RETURN(memory dst, ctx.DefineOutput("Out", 0, ir::DataType::kFP32, x->dims, md));
    call_ = PrimitiveCall(dnnl::softmax_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
    return OkStatus();
  }
  Status Run(RunContext& ctx) override { return ExecutePrimitive(call_, ctx, *op_); }

 private:
  const ir::Op* op_ = nullptr;
  PrimitiveCall call_;
};

}  // namespace

void RegisterNormKernels(KernelRegistry& r) {
  Reg<BatchNormKernel>(r, "batch_norm", KernelPrecision::kFloat, "onednn_bnorm");
  Reg<SoftmaxKernel>(r, "softmax", KernelPrecision::kFloat, "onednn_softmax");
}

}  // namespace q2i::runtime::kernels
