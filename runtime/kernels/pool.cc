// pool2d: max/avg, global, adaptive, ceil_mode, exclusive, Paddle paddings and padding_algorithm.
// oneDNN pooling in the input's layout; adaptive pooling whose windows are not uniform falls back to a
// loop over plain NCHW (FP32). Under the tuned policy, INT8 max pooling of NHWC input runs on
// max_pool_8bit.h, which is several times faster than oneDNN 2.6's.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <optional>

#include "ir/op_kinds.h"
#include "runtime/kernels/common.h"
#include "runtime/kernels/int8_scales.h"
#include "runtime/kernels/max_pool_8bit.h"
#include "runtime/kernels/register.h"

namespace q2i::runtime::kernels {
namespace {

using dnnl::algorithm;
using dt = memory::data_type;

class Pool2dKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    op_ = &ctx.op();
    const ir::Op& op = *op_;
    Q2I_RETURN_IF_ERROR(CheckNchw(op));
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* in, ctx.Input("X"));
    if (in->dims.size() != 4) return Unsupported(op.DebugName(), ": X must be 4-D NCHW, got ", ir::DimsToString(in->dims));
    if (in->dtype != ir::DataType::kFP32 && in->dtype != ir::DataType::kInt8 && in->dtype != ir::DataType::kUInt8) {
      return Unsupported(op.DebugName(), ": X of type ", ir::DataTypeName(in->dtype));
    }
    if (in->dtype != ir::DataType::kFP32 && !ir::IsInt8Op(op)) {
      return InvalidModel(op.DebugName(), ": integer input to an FP32 pool2d");
    }
    Q2I_ASSIGN_OR_RETURN(std::string type, op.GetString("pooling_type", "max"));
    if (type != "max" && type != "avg") return Unsupported(op.DebugName(), ": pooling_type '", type, "'");
    max_ = type == "max";
    Q2I_ASSIGN_OR_RETURN(bool global, op.GetBool("global_pooling", false));
    Q2I_ASSIGN_OR_RETURN(bool adaptive, op.GetBool("adaptive", false));
    Q2I_ASSIGN_OR_RETURN(bool ceil_mode, op.GetBool("ceil_mode", false));
    Q2I_ASSIGN_OR_RETURN(bool exclusive, op.GetBool("exclusive", true));
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> ksize, GetIntsN(op, "ksize", 2, {1, 1}));
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> strides, GetIntsN(op, "strides", 2, {1, 1}));
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> paddings, op.GetInts("paddings", std::vector<int64_t>{0, 0}));
    Q2I_ASSIGN_OR_RETURN(std::string algo, op.GetString("padding_algorithm", "EXPLICIT"));
    n_ = in->dims[0];
    c_ = in->dims[1];
    h_ = in->dims[2];
    w_ = in->dims[3];
    if (ksize[0] <= 0 || ksize[1] <= 0) global = true;  // ksize [-1, -1]: global
    Padding2D pad;
    if (global) {
      ksize = {h_, w_};
      strides = {1, 1};
      adaptive = false;
    } else if (adaptive) {
      oh_ = ksize[0];
      ow_ = ksize[1];
    } else {
      if (strides[0] < 1 || strides[1] < 1) return InvalidModel(op.DebugName(), ": strides must be >= 1");
      Q2I_ASSIGN_OR_RETURN(pad, ResolvePadding(op, paddings, algo, {h_, w_}, ksize, strides, nullptr));
    }
    if (adaptive) {
      if (oh_ <= 0 || ow_ <= 0) return InvalidModel(op.DebugName(), ": adaptive output size must be positive");
      if (h_ % oh_ != 0 || w_ % ow_ != 0) return PrepareAdaptiveLoop(ctx, *in);
      ksize = {h_ / oh_, w_ / ow_};
      strides = ksize;
    } else {
      auto out_size = [&](int64_t in_size, int64_t k, int64_t p0, int64_t p1, int64_t s) {
        return ceil_mode ? (in_size - k + p0 + p1 + s - 1) / s + 1 : (in_size - k + p0 + p1) / s + 1;
      };
      oh_ = out_size(h_, ksize[0], pad.top, pad.bottom, strides[0]);
      ow_ = out_size(w_, ksize[1], pad.left, pad.right, strides[1]);
    }
    if (oh_ <= 0 || ow_ <= 0) return InvalidModel(op.DebugName(), ": output size is empty for input ", ir::DimsToString(in->dims));
    // oneDNN wants (in + pad_l + pad_r - k) / s + 1 == out exactly: the right padding absorbs ceil_mode.
    const int64_t pad_b = (oh_ - 1) * strides[0] + ksize[0] - h_ - pad.top;
    const int64_t pad_r = (ow_ - 1) * strides[1] + ksize[1] - w_ - pad.left;
    const algorithm alg = max_ ? algorithm::pooling_max
                               : (exclusive || adaptive ? algorithm::pooling_avg_exclude_padding
                                                        : algorithm::pooling_avg_include_padding);
    Q2I_ASSIGN_OR_RETURN(memory src, ctx.InputMemory("X"));
    const memory::desc src_md = src.get_desc();
    if (max_ && !adaptive && in->dtype != ir::DataType::kFP32 && ctx.conv_impl_policy() == ConvImplPolicy::kTuned) {
      const MaxPool8Shape s{.n = n_, .c = c_, .h = h_, .w = w_, .oh = oh_, .ow = ow_, .kh = ksize[0], .kw = ksize[1],
                            .stride_h = strides[0], .stride_w = strides[1], .pad_top = pad.top,
                            .pad_left = pad.left, .is_signed = in->dtype == ir::DataType::kInt8};
      const memory::desc nhwc({n_, c_, h_, w_}, src_md.data_type(), memory::format_tag::nhwc);
      if (src_md == nhwc && MaxPool8Supports(s)) {
        own_ = s;
        own_src_ = src;
        Q2I_ASSIGN_OR_RETURN(own_dst_, ctx.DefineOutput("Out", 0, in->dtype, {n_, c_, oh_, ow_},
                                                        memory::desc({n_, c_, oh_, ow_}, src_md.data_type(),
                                                                     memory::format_tag::nhwc)));
        return OkStatus();
      }
    }
    memory::desc dst_md({n_, c_, oh_, ow_}, src_md.data_type(), memory::format_tag::any);
    // Negative right padding (floor mode leaving input rows unused) is accepted by oneDNN.
    dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, alg, src_md, dst_md,
                                        {strides[0], strides[1]}, {ksize[0], ksize[1]}, {0, 0},
                                        {pad.top, pad.left}, {pad_b, pad_r});
    dnnl::pooling_v2_forward::primitive_desc pd(desc, ctx.engine());
    Q2I_ASSIGN_OR_RETURN(memory dst, ctx.DefineOutput("Out", 0, in->dtype, {n_, c_, oh_, ow_}, pd.dst_desc()));
    call_ = PrimitiveCall(dnnl::pooling_v2_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
    return OkStatus();
  }

  Status Run(RunContext& ctx) override {
    if (own_) {
      MaxPool8Nhwc(*own_, own_src_.get_data_handle(), own_dst_.get_data_handle());
      return OkStatus();
    }
    if (call_.valid()) return ExecutePrimitive(call_, ctx, *op_);
    RunAdaptiveLoop();
    return OkStatus();
  }

  std::string_view variant() const override { return own_ ? "max_pool_8bit" : ""; }

 private:
  Status PrepareAdaptiveLoop(PrepareContext& ctx, const ValueInfo& in) {
    if (in.dtype != ir::DataType::kFP32) {
      return Unsupported(op_->DebugName(), ": INT8 adaptive pooling with non-uniform windows");
    }
    Q2I_ASSIGN_OR_RETURN(src_, ctx.PlainInputMemory("X"));
    Q2I_ASSIGN_OR_RETURN(dst_, ctx.DefinePlainOutput("Out", 0, ir::DataType::kFP32, {n_, c_, oh_, ow_}));
    return OkStatus();
  }

  void RunAdaptiveLoop() const {
    const float* src = DataOf<float>(src_);
    float* dst = DataOf<float>(dst_);
    const int64_t h = h_, w = w_, oh = oh_, ow = ow_;
    const bool is_max = max_;
    ParallelFor(n_ * c_, [&](int64_t nc) {
      const float* s = src + nc * h * w;
      float* d = dst + nc * oh * ow;
      for (int64_t i = 0; i < oh; ++i) {
        const int64_t hs = i * h / oh, he = ((i + 1) * h + oh - 1) / oh;
        for (int64_t j = 0; j < ow; ++j) {
          const int64_t ws = j * w / ow, we = ((j + 1) * w + ow - 1) / ow;
          float acc = is_max ? -FLT_MAX : 0.f;
          for (int64_t y = hs; y < he; ++y)
            for (int64_t x = ws; x < we; ++x) acc = is_max ? std::max(acc, s[y * w + x]) : acc + s[y * w + x];
          d[i * ow + j] = is_max ? acc : acc / static_cast<float>((he - hs) * (we - ws));
        }
      }
    });
  }

  const ir::Op* op_ = nullptr;
  PrimitiveCall call_;
  std::optional<MaxPool8Shape> own_;
  memory own_src_, own_dst_;
  bool max_ = true;
  int64_t n_ = 0, c_ = 0, h_ = 0, w_ = 0, oh_ = 0, ow_ = 0;
  memory src_, dst_;
};

}  // namespace

void RegisterPoolKernels(KernelRegistry& r, KernelPrecision precision) {
  Reg<Pool2dKernel>(r, "pool2d", precision, precision == KernelPrecision::kInt8 ? "onednn_pool_int8" : "onednn_pool");
}

}  // namespace q2i::runtime::kernels
