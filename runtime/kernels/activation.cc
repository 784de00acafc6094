// Element-wise unary ops: activations (relu, relu6, leaky_relu, sigmoid, tanh, swish, hard_swish,
// hard_sigmoid, gelu, ...), scale and dropout (inference). oneDNN eltwise in the input's layout; an
// identity (scale 1 / bias 0, upscale_in_train dropout) is a view of the input and runs nothing.
#include <cmath>

#include "runtime/kernels/common.h"
#include "runtime/kernels/register.h"

namespace q2i::runtime::kernels {
namespace {

using dnnl::algorithm;

class EltwiseKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    op_ = &ctx.op();
    const ir::Op& op = *op_;
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* in, ctx.Input("X"));
    std::vector<EltwiseStep> steps;
    bool identity = false;
    double scale = 1.0, bias = 0.0;  // scale op, and custom loops
    const std::string& type = op.type();
    if (type == "scale" || type == "dropout") {
      if (type == "scale") {
        Q2I_ASSIGN_OR_RETURN(scale, op.GetFloat("scale", 1.0));
        Q2I_ASSIGN_OR_RETURN(bias, op.GetFloat("bias", 0.0));
        Q2I_ASSIGN_OR_RETURN(bool after, op.GetBool("bias_after_scale", true));
        if (ctx.FindInput("ScaleTensor") != nullptr) {
          const ir::Tensor* t = ctx.InputConstant("ScaleTensor");
          if (t == nullptr || t->numel() != 1 || t->dtype() != ir::DataType::kFP32) {
            return Unsupported(op.DebugName(), ": ScaleTensor must be a constant float32 [1]");
          }
          scale = t->data<float>()[0];
        }
        if (!after) bias *= scale;
      } else {
        Q2I_ASSIGN_OR_RETURN(double p, op.GetFloat("dropout_prob", 0.5));
        Q2I_ASSIGN_OR_RETURN(std::string impl, op.GetString("dropout_implementation", "downgrade_in_infer"));
        if (impl == "upscale_in_train") {
          scale = 1.0;
        } else if (impl == "downgrade_in_infer") {
          scale = 1.0 - p;
        } else {
          return Unsupported(op.DebugName(), ": dropout_implementation '", impl, "'");
        }
      }
      identity = scale == 1.0 && bias == 0.0;
      steps = {{algorithm::eltwise_linear, static_cast<float>(scale), static_cast<float>(bias)}};
    } else if (type == "hard_swish") {
      Q2I_ASSIGN_OR_RETURN(double threshold, op.GetFloat("threshold", 6.0));
      Q2I_ASSIGN_OR_RETURN(double hs_scale, op.GetFloat("scale", 6.0));
      Q2I_ASSIGN_OR_RETURN(double offset, op.GetFloat("offset", 3.0));
      if (threshold == 6.0 && hs_scale == 6.0 && offset == 3.0) {
        steps = {{algorithm::eltwise_hardswish, 0.f, 0.f}};
      } else {
        if (hs_scale == 0) return InvalidModel(op.DebugName(), ": hard_swish scale is 0");
        custom_ = true;
        hs_threshold_ = static_cast<float>(threshold);
        hs_scale_ = static_cast<float>(hs_scale);
        hs_offset_ = static_cast<float>(offset);
      }
    } else if (type == "hard_sigmoid") {
      Q2I_ASSIGN_OR_RETURN(double slope, op.GetFloat("slope", 0.2));
      Q2I_ASSIGN_OR_RETURN(double offset, op.GetFloat("offset", 0.5));
      steps = {{algorithm::eltwise_linear, static_cast<float>(slope), static_cast<float>(offset)},
               {algorithm::eltwise_clip, 0.f, 1.f}};
    } else if (type == "relu6") {
      Q2I_ASSIGN_OR_RETURN(double threshold, op.GetFloat("threshold", 6.0));
      steps = {{algorithm::eltwise_clip, 0.f, static_cast<float>(threshold)}};
    } else if (type == "leaky_relu") {
      Q2I_ASSIGN_OR_RETURN(double alpha, op.GetFloat("alpha", 0.02));
      steps = {{algorithm::eltwise_relu, static_cast<float>(alpha), 0.f}};
    } else if (type == "swish") {
      Q2I_ASSIGN_OR_RETURN(double beta, op.GetFloat("beta", 1.0));
      steps = {{algorithm::eltwise_swish, static_cast<float>(beta), 0.f}};
    } else if (type == "gelu") {
      Q2I_ASSIGN_OR_RETURN(bool approximate, op.GetBool("approximate", false));
      steps = {{approximate ? algorithm::eltwise_gelu_tanh : algorithm::eltwise_gelu_erf, 0.f, 0.f}};
    } else {
      static const std::pair<const char*, algorithm> kSimple[] = {
          {"relu", algorithm::eltwise_relu},       {"sigmoid", algorithm::eltwise_logistic},
          {"tanh", algorithm::eltwise_tanh},       {"exp", algorithm::eltwise_exp},
          {"sqrt", algorithm::eltwise_sqrt},       {"abs", algorithm::eltwise_abs},
          {"square", algorithm::eltwise_square},   {"log", algorithm::eltwise_log},
      };
      bool found = false;
      for (const auto& [name, alg] : kSimple) {
        if (type == name) {
          steps = {{alg, 0.f, 0.f}};
          found = true;
        }
      }
      if (!found) return Unsupported(op.DebugName(), ": no element-wise kernel for ", type);
    }

    if (identity) {
      Q2I_RETURN_IF_ERROR(ctx.DefineOutputAlias("Out", 0, in->dims, "X").status());
      return OkStatus();
    }
    if (in->dtype != ir::DataType::kFP32) {
      if (type != "scale" || (in->dtype != ir::DataType::kInt32 && in->dtype != ir::DataType::kInt64)) {
        return Unsupported(op.DebugName(), ": input of type ", ir::DataTypeName(in->dtype));
      }
      int_scale_ = true;
      scale_ = scale;
      bias_ = bias;
      dtype_ = in->dtype;
      numel_ = in->numel();
      Q2I_ASSIGN_OR_RETURN(src_, ctx.PlainInputMemory("X"));
      Q2I_ASSIGN_OR_RETURN(dst_, ctx.DefinePlainOutput("Out", 0, in->dtype, in->dims));
      return OkStatus();
    }
    if (custom_) {
      numel_ = in->numel();
      Q2I_ASSIGN_OR_RETURN(src_, ctx.PlainInputMemory("X"));
      Q2I_ASSIGN_OR_RETURN(dst_, ctx.DefinePlainOutput("Out", 0, in->dtype, in->dims));
      return OkStatus();
    }
    Q2I_ASSIGN_OR_RETURN(memory src, ctx.InputMemory("X"));
    const memory::desc md = src.get_desc();
    Q2I_ASSIGN_OR_RETURN(memory dst, ctx.DefineOutput("Out", 0, ir::DataType::kFP32, in->dims, md));
    for (size_t i = 0; i < steps.size(); ++i) {
      dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, steps[i].alg, md, steps[i].alpha, steps[i].beta);
      dnnl::eltwise_forward::primitive_desc pd(d, ctx.engine());
      const memory& from = i == 0 ? src : dst;
      calls_.emplace_back(dnnl::eltwise_forward(pd), std::vector<std::pair<int, memory>>{{DNNL_ARG_SRC, from}, {DNNL_ARG_DST, dst}});
    }
    return OkStatus();
  }

  Status Run(RunContext& ctx) override {
    for (const PrimitiveCall& c : calls_) Q2I_RETURN_IF_ERROR(ExecutePrimitive(c, ctx, *op_));
    if (custom_) {
      const float* x = DataOf<float>(src_);
      float* y = DataOf<float>(dst_);
      const float t = hs_threshold_, s = hs_scale_, o = hs_offset_;
      ParallelFor(numel_, [&](int64_t i) { y[i] = x[i] * std::min(std::max(x[i] + o, 0.f), t) / s; });
    }
    if (int_scale_) {
      if (dtype_ == ir::DataType::kInt32) {
        const int32_t* x = DataOf<int32_t>(src_);
        int32_t* y = DataOf<int32_t>(dst_);
        for (int64_t i = 0; i < numel_; ++i) y[i] = static_cast<int32_t>(x[i] * scale_ + bias_);
      } else {
        const int64_t* x = DataOf<int64_t>(src_);
        int64_t* y = DataOf<int64_t>(dst_);
        for (int64_t i = 0; i < numel_; ++i) y[i] = static_cast<int64_t>(static_cast<double>(x[i]) * scale_ + bias_);
      }
    }
    return OkStatus();
  }

 private:
  const ir::Op* op_ = nullptr;
  std::vector<PrimitiveCall> calls_;
  bool custom_ = false, int_scale_ = false;
  float hs_threshold_ = 6.f, hs_scale_ = 6.f, hs_offset_ = 3.f;
  double scale_ = 1.0, bias_ = 0.0;
  ir::DataType dtype_ = ir::DataType::kFP32;
  int64_t numel_ = 0;
  memory src_, dst_;
};

}  // namespace

void RegisterActivationKernels(KernelRegistry& r) {
  for (const char* type : {"relu", "relu6", "leaky_relu", "sigmoid", "tanh", "swish", "hard_swish", "hard_sigmoid",
                           "gelu", "exp", "sqrt", "abs", "square", "log", "scale", "dropout"}) {
    Reg<EltwiseKernel>(r, type, KernelPrecision::kFloat, "onednn_eltwise");
  }
}

}  // namespace q2i::runtime::kernels
