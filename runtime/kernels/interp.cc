// nearest_interp(_v2) and bilinear_interp(_v2), exactly as Paddle's CPU kernels compute them
// (align_corners, align_mode, scale / out_h / out_w / OutSize / SizeTensor / Scale), on NCHW data in
// any strided layout (NCHW or the NHWC that convolutions produce), without reorders.
#include <algorithm>
#include <cmath>

#include "runtime/kernels/common.h"
#include "runtime/kernels/register.h"

namespace q2i::runtime::kernels {
namespace {

class InterpKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    op_ = &ctx.op();
    const ir::Op& op = *op_;
    const std::string& type = op.type();
    const bool v2 = type.ends_with("_v2");
    Q2I_ASSIGN_OR_RETURN(std::string method, op.GetString("interp_method", type.starts_with("nearest") ? "nearest" : "bilinear"));
    if (method != "nearest" && method != "bilinear") return Unsupported(op.DebugName(), ": interp_method '", method, "'");
    bilinear_ = method == "bilinear";
    Q2I_RETURN_IF_ERROR(CheckNchw(op, "data_layout"));
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* x, ctx.Input("X"));
    if (x->dims.size() != 4) return Unsupported(op.DebugName(), ": X must be 4-D NCHW, got ", ir::DimsToString(x->dims));
    if (x->dtype != ir::DataType::kFP32 && x->dtype != ir::DataType::kInt8 && x->dtype != ir::DataType::kUInt8) {
      return Unsupported(op.DebugName(), ": X of type ", ir::DataTypeName(x->dtype));
    }
    if (bilinear_ && x->dtype != ir::DataType::kFP32) return Unsupported(op.DebugName(), ": INT8 bilinear interpolation");
    dtype_ = x->dtype;
    n_ = x->dims[0];
    c_ = x->dims[1];
    ih_ = x->dims[2];
    iw_ = x->dims[3];
    Q2I_ASSIGN_OR_RETURN(align_corners_, op.GetBool("align_corners", true));
    Q2I_ASSIGN_OR_RETURN(align_mode_, op.GetInt("align_mode", 1));
    Q2I_ASSIGN_OR_RETURN(int64_t out_h, op.GetInt("out_h", -1));
    Q2I_ASSIGN_OR_RETURN(int64_t out_w, op.GetInt("out_w", -1));
    float scale_h = -1.f, scale_w = -1.f;
    // Scale: the Scale input, else the attribute (a float in v1, a list in v2).
    std::vector<double> scale;
    if (ctx.FindInput("Scale") != nullptr) {
      const ir::Tensor* t = ctx.InputConstant("Scale");
      if (t == nullptr || t->dtype() != ir::DataType::kFP32 || t->numel() < 1) {
        return Unsupported(op.DebugName(), ": the Scale input must be a constant float32 tensor");
      }
      for (float v : t->values<float>()) scale.push_back(v);
    } else if (v2) {
      Q2I_ASSIGN_OR_RETURN(scale, op.GetFloats("scale", std::vector<double>{}));
    } else {
      Q2I_ASSIGN_OR_RETURN(double s, op.GetFloat("scale", 0.0));
      scale = {s};
    }
    if (!scale.empty()) {
      scale_h = static_cast<float>(scale[0]);
      scale_w = static_cast<float>(scale.size() > 1 ? scale[1] : scale[0]);
    }
    std::optional<std::vector<int64_t>> size;
    if (ctx.NumInputs("SizeTensor") > 0 && ctx.FindInput("SizeTensor") != nullptr) {
      std::vector<int64_t> s;
      for (int i = 0; i < ctx.NumInputs("SizeTensor"); ++i) {
        const ir::Tensor* t = ctx.InputConstant("SizeTensor", i);
        if (t == nullptr) return Unsupported(op.DebugName(), ": SizeTensor must be computable at prepare time");
        Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> v, ConstantInts(op, *t, "SizeTensor"));
        s.insert(s.end(), v.begin(), v.end());
      }
      size = s;
    } else {
      if (scale_h > 0 && scale_w > 0) {
        out_h = static_cast<int64_t>(static_cast<float>(ih_) * scale_h);
        out_w = static_cast<int64_t>(static_cast<float>(iw_) * scale_w);
      }
      if (ctx.FindInput("OutSize") != nullptr) {
        const ir::Tensor* t = ctx.InputConstant("OutSize");
        if (t == nullptr) return Unsupported(op.DebugName(), ": OutSize must be computable at prepare time");
        Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> v, ConstantInts(op, *t, "OutSize"));
        size = v;
      }
    }
    if (size) {
      if (size->size() != 2) return InvalidModel(op.DebugName(), ": output size needs 2 values");
      out_h = (*size)[0];
      out_w = (*size)[1];
    }
    if (out_h <= 0 || out_w <= 0) {
      return InvalidModel(op.DebugName(), ": output size ", out_h, "x", out_w, " (set out_h/out_w, scale or OutSize)");
    }
    oh_ = out_h;
    ow_ = out_w;
    // Paddle: v2 uses 1/scale when a scale was given, v1 always in/out.
    auto ratio = [&](int64_t in, int64_t out, float s) -> float {
      if (out <= 1) return 0.f;
      if (align_corners_) return static_cast<float>(in - 1) / static_cast<float>(out - 1);
      if (v2 && s > 0) return static_cast<float>(1.0 / s);
      return static_cast<float>(in) / static_cast<float>(out);
    };
    const bool used_scale = !size && scale_h > 0 && scale_w > 0;
    ratio_h_ = ratio(ih_, oh_, used_scale ? scale_h : -1.f);
    ratio_w_ = ratio(iw_, ow_, used_scale ? scale_w : -1.f);
    BuildTables();

    Q2I_ASSIGN_OR_RETURN(src_, ctx.InputMemory("X"));
    if (!IsStrided(src_.get_desc())) {
      Q2I_ASSIGN_OR_RETURN(src_, ctx.PlainInputMemory("X"));
    }
    const memory::desc in_md = src_.get_desc();
    const memory::desc out_md = SameOrderDesc(in_md, {n_, c_, oh_, ow_}, in_md.data_type());
    Q2I_ASSIGN_OR_RETURN(dst_, ctx.DefineOutput("Out", 0, dtype_, {n_, c_, oh_, ow_}, out_md));
    for (int i = 0; i < 4; ++i) {
      is_[i] = in_md.data.format_desc.blocking.strides[i];
      os_[i] = out_md.data.format_desc.blocking.strides[i];
    }
    return OkStatus();
  }

  Status Run(RunContext&) override {
    switch (dtype_) {
      case ir::DataType::kFP32: Compute<float>(); break;
      case ir::DataType::kInt8: Compute<int8_t>(); break;
      case ir::DataType::kUInt8: Compute<uint8_t>(); break;
      default: break;
    }
    return OkStatus();
  }

 private:
  void BuildTables() {
    const bool align_flag = align_mode_ == 0 && !align_corners_;
    auto build = [&](int64_t in, int64_t out, float ratio, std::vector<int64_t>& lo, std::vector<int64_t>& hi,
                     std::vector<float>& frac) {
      lo.resize(static_cast<size_t>(out));
      hi.resize(static_cast<size_t>(out));
      frac.resize(static_cast<size_t>(out));
      for (int64_t k = 0; k < out; ++k) {
        const size_t u = static_cast<size_t>(k);
        if (!bilinear_) {
          lo[u] = align_corners_ ? static_cast<int64_t>(ratio * static_cast<float>(k) + 0.5)
                                 : static_cast<int64_t>(ratio * static_cast<float>(k));
          lo[u] = std::min(lo[u], in - 1);
          continue;
        }
        int64_t n = align_flag ? static_cast<int64_t>(ratio * (k + 0.5) - 0.5) : static_cast<int64_t>(ratio * k);
        n = n > 0 ? n : 0;
        const int64_t s = (n + 1) < (in - 1) ? (n + 1) : (in - 1);
        float src = static_cast<float>(ratio * (k + 0.5) - 0.5);
        src = src > 0 ? src : 0;
        const float d = align_flag ? src - static_cast<float>(n) : ratio * static_cast<float>(k) - static_cast<float>(n);
        lo[u] = n;
        hi[u] = s;
        frac[u] = d;
      }
    };
    build(ih_, oh_, ratio_h_, y0_, y1_, dy_);
    build(iw_, ow_, ratio_w_, x0_, x1_, dx_);
  }

  template <typename T>
  void Compute() const {
    const T* in = DataOf<T>(src_);
    T* out = DataOf<T>(dst_);
    const int64_t c = c_, ow = ow_;
    const bool channels_inner = is_[1] == 1;
    ParallelFor(n_ * oh_, [&](int64_t row) {
      const int64_t n = row / oh_, k = row % oh_;
      const size_t uk = static_cast<size_t>(k);
      const T* base = in + n * is_[0];
      T* obase = out + n * os_[0] + k * os_[2];
      auto value = [&](int64_t ch, int64_t l) -> T {
        const size_t ul = static_cast<size_t>(l);
        const T* b = base + ch * is_[1];
        if (!bilinear_) return b[y0_[uk] * is_[2] + x0_[ul] * is_[3]];
        const float dn = dy_[uk], ds = 1.f - dn, dw = dx_[ul], de = 1.f - dw;
        const float v = static_cast<float>(b[y0_[uk] * is_[2] + x0_[ul] * is_[3]]) * ds * de +
                        static_cast<float>(b[y1_[uk] * is_[2] + x0_[ul] * is_[3]]) * dn * de +
                        static_cast<float>(b[y0_[uk] * is_[2] + x1_[ul] * is_[3]]) * ds * dw +
                        static_cast<float>(b[y1_[uk] * is_[2] + x1_[ul] * is_[3]]) * dn * dw;
        return static_cast<T>(v);
      };
      if (channels_inner) {
        for (int64_t l = 0; l < ow; ++l)
          for (int64_t ch = 0; ch < c; ++ch) obase[l * os_[3] + ch * os_[1]] = value(ch, l);
      } else {
        for (int64_t ch = 0; ch < c; ++ch)
          for (int64_t l = 0; l < ow; ++l) obase[l * os_[3] + ch * os_[1]] = value(ch, l);
      }
    });
  }

  const ir::Op* op_ = nullptr;
  bool bilinear_ = false, align_corners_ = true;
  int64_t align_mode_ = 1;
  ir::DataType dtype_ = ir::DataType::kFP32;
  int64_t n_ = 0, c_ = 0, ih_ = 0, iw_ = 0, oh_ = 0, ow_ = 0;
  float ratio_h_ = 0, ratio_w_ = 0;
  std::vector<int64_t> y0_, y1_, x0_, x1_;
  std::vector<float> dy_, dx_;
  int64_t is_[4] = {}, os_[4] = {};
  memory src_, dst_;
};

}  // namespace

void RegisterInterpKernels(KernelRegistry& r, KernelPrecision p) {
  for (const char* type : {"nearest_interp", "nearest_interp_v2", "bilinear_interp", "bilinear_interp_v2"}) {
    if (p == KernelPrecision::kInt8 && std::string(type).starts_with("bilinear")) continue;
    Reg<InterpKernel>(r, type, p, "loop_interp");
  }
}

}  // namespace q2i::runtime::kernels
