#include "tests/test_util/reference_executor.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using ir::Op;
using ir::Tensor;
using Dims = std::vector<int64_t>;

int64_t Numel(const Dims& d) {
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  return n;
}

double RoundHalfAway(double x) { return std::round(x); }

struct Env {
  const ir::Program& program;
  std::map<std::string, Tensor> values;

  StatusOr<const Tensor*> Get(const std::string& name) {
    auto it = values.find(name);
    if (it != values.end()) return &it->second;
    if (const Tensor* p = program.FindParam(name)) {
      if (p->dtype() == ir::DataType::kFP32) return p;
      Tensor f(ir::DataType::kFP32, p->dims());
      for (int64_t i = 0; i < p->numel(); ++i) {
        double v = p->dtype() == ir::DataType::kInt8    ? p->data<int8_t>()[i]
                   : p->dtype() == ir::DataType::kInt32 ? p->data<int32_t>()[i]
                                                        : 0.0;
        f.data<float>()[i] = static_cast<float>(v);
      }
      return &(values[name] = f);
    }
    return NotFound("reference: no value for '", name, "'");
  }
  ir::DataType TypeOf(const std::string& name) const {
    const ir::Var* v = program.FindVar(name);
    return (v && v->dtype) ? *v->dtype : ir::DataType::kFP32;
  }
};

float Activation(const std::string& act, float x, float alpha, float beta) {
  if (act.empty()) return x;
  if (act == "relu") return std::max(x, 0.f);
  if (act == "relu6") return std::min(std::max(x, 0.f), alpha > 0 ? alpha : 6.f);
  if (act == "leaky_relu") return x > 0 ? x : alpha * x;
  if (act == "sigmoid") return 1.f / (1.f + std::exp(-x));
  if (act == "tanh") return std::tanh(x);
  if (act == "swish") return x / (1.f + std::exp(-(alpha == 0 ? 1.f : alpha) * x));
  if (act == "hard_swish") return x * std::min(std::max(x + 3.f, 0.f), 6.f) / 6.f;
  if (act == "hard_sigmoid") return std::min(std::max(alpha * x + beta, 0.f), 1.f);
  return std::numeric_limits<float>::quiet_NaN();
}

// A signed 8-bit fake quantizer of scale s (127 / threshold).
double QuantDequant(double real, double s) { return std::clamp(RoundHalfAway(real * s), -127.0, 127.0) / s; }

// Stores a real value into a variable of the given type after scaling (int8/uint8 saturate).
float Store(double real, double scale, ir::DataType t) {
  if (t == ir::DataType::kInt8) return static_cast<float>(std::clamp(RoundHalfAway(real * scale), -128.0, 127.0));
  if (t == ir::DataType::kUInt8) return static_cast<float>(std::clamp(RoundHalfAway(real * scale), 0.0, 255.0));
  return static_cast<float>(real);
}

// The attributes conv2d and conv2d_transpose share; paddings as [top, bottom, left, right].
struct ConvAttrs {
  std::vector<int64_t> strides, pads, dil;
  int64_t groups = 1;
  std::string act;
  double alpha = 0, beta = 0;
};

StatusOr<ConvAttrs> ReadConvAttrs(const Op& op) {
  ConvAttrs a;
  Q2I_ASSIGN_OR_RETURN(a.strides, op.GetInts("strides", std::vector<int64_t>{1, 1}));
  Q2I_ASSIGN_OR_RETURN(a.pads, op.GetInts("paddings", std::vector<int64_t>{0, 0}));
  Q2I_ASSIGN_OR_RETURN(a.dil, op.GetInts("dilations", std::vector<int64_t>{1, 1}));
  Q2I_ASSIGN_OR_RETURN(a.groups, op.GetInt("groups", 1));
  Q2I_ASSIGN_OR_RETURN(a.act, op.GetString("fuse_activation", ""));
  Q2I_ASSIGN_OR_RETURN(a.alpha, op.GetFloat("fuse_alpha", 0.0));
  Q2I_ASSIGN_OR_RETURN(a.beta, op.GetFloat("fuse_beta", 0.0));
  if (a.pads.size() == 2) a.pads = {a.pads[0], a.pads[0], a.pads[1], a.pads[1]};
  return a;
}

Status Conv(Env& env, const Op& op) {
  Q2I_ASSIGN_OR_RETURN(const Tensor* x, env.Get(op.Input("Input")));
  Q2I_ASSIGN_OR_RETURN(const Tensor* w, env.Get(op.Input("Filter")));
  Q2I_ASSIGN_OR_RETURN(ConvAttrs attrs, ReadConvAttrs(op));
  const auto& [strides, pads, dil, groups, act, alpha, beta] = attrs;
  const bool int8 = op.GetString("mkldnn_data_type", "").value_or("") == "int8";
  const auto& xd = x->dims();
  const auto& wd = w->dims();
  const int64_t n = xd[0], c = xd[1], h = xd[2], wi = xd[3], oc = wd[0], kh = wd[2], kw = wd[3];
  const int64_t icg = c / groups, ocg = oc / groups;
  const int64_t oh = (h + pads[0] + pads[1] - dil[0] * (kh - 1) - 1) / strides[0] + 1;
  const int64_t ow = (wi + pads[2] + pads[3] - dil[1] * (kw - 1) - 1) / strides[1] + 1;
  std::vector<double> sw(static_cast<size_t>(oc), 1.0);
  double s_in = 1, s_out = 1, s_res = 1, s_pre_res = 0, s_pre_act = 0;  // 0: no such rounding
  if (int8) {
    Q2I_ASSIGN_OR_RETURN(s_pre_res, op.GetFloat("Scale_pre_residual", 0.0));
    Q2I_ASSIGN_OR_RETURN(s_pre_act, op.GetFloat("Scale_pre_activation", 0.0));
    Q2I_ASSIGN_OR_RETURN(auto s, op.GetFloats("Scale_weights"));
    for (int64_t o = 0; o < oc; ++o) sw[static_cast<size_t>(o)] = s.size() == 1 ? s[0] : s[static_cast<size_t>(o)];
    Q2I_ASSIGN_OR_RETURN(s_in, op.GetFloat("Scale_in"));
    Q2I_ASSIGN_OR_RETURN(s_out, op.GetFloat("Scale_out", 1.0));
    Q2I_ASSIGN_OR_RETURN(s_res, op.GetFloat("Scale_in_eltwise", 1.0));
  }
  const bool prequantized = env.program.FindParam(op.Input("Filter")) &&
                            env.program.FindParam(op.Input("Filter"))->dtype() == ir::DataType::kInt8;
  const Tensor* bias = nullptr;
  if (op.HasInput("Bias")) {
    Q2I_ASSIGN_OR_RETURN(bias, env.Get(op.Input("Bias")));
  }
  const bool bias_s32 = env.program.FindParam(op.Input("Bias")) &&
                        env.program.FindParam(op.Input("Bias"))->dtype() == ir::DataType::kInt32;
  const Tensor* res = nullptr;
  if (op.HasInput("ResidualData")) {
    Q2I_ASSIGN_OR_RETURN(res, env.Get(op.Input("ResidualData")));
  }
  const std::string out_name = op.Output("Output");
  const bool fp32_out = !int8 || op.GetBool("force_fp32_output", false).value_or(false);
  const ir::DataType out_t = fp32_out ? ir::DataType::kFP32 : env.TypeOf(out_name);
  Tensor y(ir::DataType::kFP32, {n, oc, oh, ow});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t o = 0; o < oc; ++o) {
      const int64_t g = o / ocg;
      const double wscale = sw[static_cast<size_t>(o)];
      for (int64_t yy = 0; yy < oh; ++yy)
        for (int64_t xx = 0; xx < ow; ++xx) {
          double acc = 0;
          for (int64_t ci = 0; ci < icg; ++ci)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t iy = yy * strides[0] - pads[0] + ky * dil[0];
                const int64_t ix = xx * strides[1] - pads[2] + kx * dil[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wi) continue;
                double wv = w->data<float>()[((o * icg + ci) * kh + ky) * kw + kx];
                if (int8 && !prequantized) wv = std::clamp(RoundHalfAway(wv * wscale), -127.0, 127.0);
                acc += x->data<float>()[((b * c + g * icg + ci) * h + iy) * wi + ix] * wv;
              }
          double real = int8 ? acc / (s_in * wscale) : acc;
          if (bias) real += bias_s32 ? bias->data<float>()[o] / (s_in * wscale) : bias->data<float>()[o];
          const int64_t idx = ((b * oc + o) * oh + yy) * ow + xx;
          if (s_pre_res > 0) real = QuantDequant(real, s_pre_res);
          if (res) real += res->data<float>()[idx] / (int8 ? s_res : 1.0);
          if (s_pre_act > 0) real = QuantDequant(real, s_pre_act);
          real = Activation(act, static_cast<float>(real), static_cast<float>(alpha), static_cast<float>(beta));
          y.data<float>()[idx] = Store(real, fp32_out ? 1.0 : s_out, out_t);
        }
    }
  env.values[out_name] = y;
  return OkStatus();
}

// conv2d_transpose (FP32): every input pixel scatters its filter taps; Filter [C, OC / groups, kh, kw].
Status ConvTranspose(Env& env, const Op& op) {
  Q2I_ASSIGN_OR_RETURN(const Tensor* x, env.Get(op.Input("Input")));
  Q2I_ASSIGN_OR_RETURN(const Tensor* w, env.Get(op.Input("Filter")));
  Q2I_ASSIGN_OR_RETURN(ConvAttrs attrs, ReadConvAttrs(op));
  const auto& [strides, pads, dil, groups, act, alpha, beta] = attrs;
  Q2I_ASSIGN_OR_RETURN(auto extra, op.GetInts("output_padding", std::vector<int64_t>{0, 0}));
  if (extra.size() != 2) extra = {0, 0};
  const auto& xd = x->dims();
  const auto& wd = w->dims();
  const int64_t n = xd[0], c = xd[1], h = xd[2], wi = xd[3], ocg = wd[1], kh = wd[2], kw = wd[3];
  const int64_t icg = c / groups, oc = ocg * groups;
  const int64_t oh = (h - 1) * strides[0] - pads[0] - pads[1] + dil[0] * (kh - 1) + 1 + extra[0];
  const int64_t ow = (wi - 1) * strides[1] - pads[2] - pads[3] + dil[1] * (kw - 1) + 1 + extra[1];
  const Tensor* bias = nullptr;
  if (op.HasInput("Bias")) {
    Q2I_ASSIGN_OR_RETURN(bias, env.Get(op.Input("Bias")));
  }
  std::vector<double> acc(static_cast<size_t>(n * oc * oh * ow), 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t iy = 0; iy < h; ++iy)
        for (int64_t ix = 0; ix < wi; ++ix) {
          const double v = x->data<float>()[((b * c + ci) * h + iy) * wi + ix];
          const int64_t g = ci / icg;
          for (int64_t ol = 0; ol < ocg; ++ol)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t yy = iy * strides[0] - pads[0] + ky * dil[0], xx = ix * strides[1] - pads[2] + kx * dil[1];
                if (yy < 0 || yy >= oh || xx < 0 || xx >= ow) continue;
                const int64_t o = g * ocg + ol;
                acc[static_cast<size_t>(((b * oc + o) * oh + yy) * ow + xx)] +=
                    v * w->data<float>()[((ci * ocg + ol) * kh + ky) * kw + kx];
              }
        }
  Tensor y(ir::DataType::kFP32, {n, oc, oh, ow});
  for (int64_t i = 0; i < y.numel(); ++i) {
    double real = acc[static_cast<size_t>(i)];
    if (bias) real += bias->data<float>()[(i / (oh * ow)) % oc];
    y.data<float>()[i] = Activation(act, static_cast<float>(real), static_cast<float>(alpha), static_cast<float>(beta));
  }
  env.values[op.Output("Output")] = y;
  return OkStatus();
}

// Y broadcast onto X starting at `axis` (Paddle's elementwise rule).
Status Elementwise(Env& env, const Op& op, const std::function<double(double, double)>& f) {
  Q2I_ASSIGN_OR_RETURN(const Tensor* x, env.Get(op.Input("X")));
  Q2I_ASSIGN_OR_RETURN(const Tensor* y, env.Get(op.Input("Y")));
  Q2I_ASSIGN_OR_RETURN(int64_t axis, op.GetInt("axis", -1));
  const Dims& xd = x->dims();
  Dims yd = y->dims();
  while (yd.size() > 1 && yd.back() == 1 && yd.size() + (axis < 0 ? 0 : axis) > xd.size()) yd.pop_back();
  if (axis < 0) axis = static_cast<int64_t>(xd.size() - yd.size());
  const bool int8 = op.GetString("mkldnn_data_type", "").value_or("") == "int8";
  const double sx = int8 ? op.GetFloat("Scale_x").value_or(1) : 1, sy = int8 ? op.GetFloat("Scale_y").value_or(1) : 1;
  const double so = int8 ? op.GetFloat("Scale_out").value_or(1) : 1;
  Tensor out(ir::DataType::kFP32, xd);
  for (int64_t i = 0; i < x->numel(); ++i) {
    int64_t rem = i, yi = 0;
    std::vector<int64_t> idx(xd.size());
    for (int64_t d = static_cast<int64_t>(xd.size()) - 1; d >= 0; --d) {
      idx[static_cast<size_t>(d)] = rem % xd[static_cast<size_t>(d)];
      rem /= xd[static_cast<size_t>(d)];
    }
    for (size_t d = 0; d < yd.size(); ++d) {
      const int64_t v = yd[d] == 1 ? 0 : idx[static_cast<size_t>(axis) + d];
      yi = yi * yd[d] + v;
    }
    double r = f(x->data<float>()[i] / sx, y->data<float>()[yi] / sy);
    out.data<float>()[i] = Store(r, so, int8 ? env.TypeOf(op.Output("Out")) : ir::DataType::kFP32);
  }
  env.values[op.Output("Out")] = out;
  return OkStatus();
}

Status BatchNorm(Env& env, const Op& op) {
  Q2I_ASSIGN_OR_RETURN(const Tensor* x, env.Get(op.Input("X")));
  Q2I_ASSIGN_OR_RETURN(const Tensor* s, env.Get(op.Input("Scale")));
  Q2I_ASSIGN_OR_RETURN(const Tensor* b, env.Get(op.Input("Bias")));
  Q2I_ASSIGN_OR_RETURN(const Tensor* m, env.Get(op.Input("Mean")));
  Q2I_ASSIGN_OR_RETURN(const Tensor* v, env.Get(op.Input("Variance")));
  Q2I_ASSIGN_OR_RETURN(double eps, op.GetFloat("epsilon", 1e-5));
  const Dims& d = x->dims();
  const int64_t c = d[1], inner = Numel(d) / d[0] / c;
  Tensor y(ir::DataType::kFP32, d);
  for (int64_t i = 0; i < x->numel(); ++i) {
    const int64_t ch = (i / inner) % c;
    y.data<float>()[i] = static_cast<float>((x->data<float>()[i] - m->data<float>()[ch]) /
                                                std::sqrt(v->data<float>()[ch] + eps) * s->data<float>()[ch] +
                                            b->data<float>()[ch]);
  }
  env.values[op.Output("Y")] = y;
  return OkStatus();
}

Status Pool(Env& env, const Op& op) {
  Q2I_ASSIGN_OR_RETURN(const Tensor* x, env.Get(op.Input("X")));
  Q2I_ASSIGN_OR_RETURN(std::string type, op.GetString("pooling_type", "max"));
  Q2I_ASSIGN_OR_RETURN(bool global, op.GetBool("global_pooling", false));
  Q2I_ASSIGN_OR_RETURN(auto k, op.GetInts("ksize", std::vector<int64_t>{2, 2}));
  Q2I_ASSIGN_OR_RETURN(auto s, op.GetInts("strides", std::vector<int64_t>{1, 1}));
  Q2I_ASSIGN_OR_RETURN(auto p, op.GetInts("paddings", std::vector<int64_t>{0, 0}));
  const Dims& d = x->dims();
  if (global) k = {d[2], d[3]}, p = {0, 0}, s = {1, 1};
  const int64_t oh = (d[2] + 2 * p[0] - k[0]) / s[0] + 1, ow = (d[3] + 2 * p[1] - k[1]) / s[1] + 1;
  Tensor y(ir::DataType::kFP32, {d[0], d[1], oh, ow});
  for (int64_t nc = 0; nc < d[0] * d[1]; ++nc)
    for (int64_t yy = 0; yy < oh; ++yy)
      for (int64_t xx = 0; xx < ow; ++xx) {
        double acc = type == "max" ? -1e30 : 0;
        int cnt = 0;
        for (int64_t ky = 0; ky < k[0]; ++ky)
          for (int64_t kx = 0; kx < k[1]; ++kx) {
            const int64_t iy = yy * s[0] - p[0] + ky, ix = xx * s[1] - p[1] + kx;
            if (iy < 0 || iy >= d[2] || ix < 0 || ix >= d[3]) continue;
            const double v = x->data<float>()[(nc * d[2] + iy) * d[3] + ix];
            acc = type == "max" ? std::max(acc, v) : acc + v;
            ++cnt;
          }
        y.data<float>()[(nc * oh + yy) * ow + xx] = static_cast<float>(type == "max" ? acc : acc / cnt);
      }
  env.values[op.Output("Out")] = y;
  return OkStatus();
}

// mul / matmul (no transpose) / fc: [rows, K] x [K, N].
Status MatMul(Env& env, const Op& op, const std::string& x_slot, const std::string& w_slot, int64_t col_dims) {
  Q2I_ASSIGN_OR_RETURN(const Tensor* x, env.Get(op.Input(x_slot)));
  Q2I_ASSIGN_OR_RETURN(const Tensor* w, env.Get(op.Input(w_slot)));
  const int64_t k = w->dims()[0], n = w->dims()[1];
  const int64_t rows = x->numel() / k;
  const bool fc = op.type() == "fc";
  const bool int8 = fc && op.GetString("mkldnn_data_type", "").value_or("") == "int8";
  std::vector<double> sw(static_cast<size_t>(n), 1.0);
  double s_in = 1, s_out = 1;
  if (int8) {
    auto s = op.GetFloats("Scale_weights").value_or(std::vector<double>{1.0});
    for (int64_t j = 0; j < n; ++j) sw[static_cast<size_t>(j)] = s.size() == 1 ? s[0] : s[static_cast<size_t>(j)];
    s_in = op.GetFloat("Scale_in").value_or(1);
    s_out = op.GetFloat("Scale_out", 1.0).value_or(1);
  }
  const Tensor* bias = nullptr;
  if (fc && op.HasInput("Bias")) {
    Q2I_ASSIGN_OR_RETURN(bias, env.Get(op.Input("Bias")));
  }
  const std::string act = fc ? op.GetString("activation_type", "").value_or("") : "";
  const std::string out_name = op.Output("Out");
  const bool fp32_out = !int8 || op.GetBool("force_fp32_output", false).value_or(false);
  Dims od(x->dims().begin(), x->dims().begin() + col_dims);
  od.push_back(n);
  Tensor y(ir::DataType::kFP32, od);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t i = 0; i < k; ++i) {
        double wv = w->data<float>()[i * n + j];
        if (int8) wv = std::clamp(RoundHalfAway(wv * sw[static_cast<size_t>(j)]), -127.0, 127.0);
        acc += x->data<float>()[r * k + i] * wv;
      }
      double real = int8 ? acc / (s_in * sw[static_cast<size_t>(j)]) : acc;
      if (bias) real += bias->data<float>()[j];
      real = Activation(act, static_cast<float>(real), 0.f, 0.f);
      y.data<float>()[r * n + j] = Store(real, fp32_out ? 1.0 : s_out, fp32_out ? ir::DataType::kFP32 : env.TypeOf(out_name));
    }
  env.values[out_name] = y;
  return OkStatus();
}

Status Unary(Env& env, const Op& op, const std::function<float(float)>& f) {
  Q2I_ASSIGN_OR_RETURN(const Tensor* x, env.Get(op.Input(op.HasInput("X") ? "X" : "Input")));
  Tensor y(ir::DataType::kFP32, x->dims());
  for (int64_t i = 0; i < x->numel(); ++i) y.data<float>()[i] = f(x->data<float>()[i]);
  env.values[op.HasOutput("Out") ? op.Output("Out") : op.Output("Output")] = y;
  return OkStatus();
}

double FirstValue(Env& env, const std::string& name) {
  auto t = env.Get(name);
  return t.ok() ? (*t)->data<float>()[0] : 0.0;
}

// Per-channel abs-max quantize-dequantize along `axis` (weights of dygraph QAT exports).
Status ChannelWiseQdq(Env& env, const Op& op) {
  Q2I_ASSIGN_OR_RETURN(const Tensor* x, env.Get(op.Input("X")));
  Q2I_ASSIGN_OR_RETURN(int64_t axis, op.GetInt("quant_axis", 0));
  const Dims& d = x->dims();
  const int64_t ch = d[static_cast<size_t>(axis)];
  int64_t inner = 1;
  for (size_t i = static_cast<size_t>(axis) + 1; i < d.size(); ++i) inner *= d[i];
  std::vector<double> t(static_cast<size_t>(ch), 0);
  for (int64_t i = 0; i < x->numel(); ++i) {
    double& m = t[static_cast<size_t>((i / inner) % ch)];
    m = std::max(m, static_cast<double>(std::fabs(x->data<float>()[i])));
  }
  Tensor y(ir::DataType::kFP32, d);
  for (int64_t i = 0; i < x->numel(); ++i) {
    const double tc = t[static_cast<size_t>((i / inner) % ch)];
    y.data<float>()[i] = tc == 0 ? 0.f : static_cast<float>(RoundHalfAway(x->data<float>()[i] / tc * 127) * tc / 127);
  }
  env.values[op.Output("Out")] = y;
  return OkStatus();
}

Status RunOp(Env& env, const Op& op) {
  const std::string& t = op.type();
  if (t == "conv2d" || t == "depthwise_conv2d") return Conv(env, op);
  if (t == "conv2d_transpose") return ConvTranspose(env, op);
  if (t == "batch_norm") return BatchNorm(env, op);
  if (t == "elementwise_add") return Elementwise(env, op, [](double a, double b) { return a + b; });
  if (t == "elementwise_mul") return Elementwise(env, op, [](double a, double b) { return a * b; });
  if (t == "elementwise_sub") return Elementwise(env, op, [](double a, double b) { return a - b; });
  if (t == "pool2d") return Pool(env, op);
  if (t == "mul") return MatMul(env, op, "X", "Y", op.GetInt("x_num_col_dims", 1).value_or(1));
  if (t == "matmul" || t == "matmul_v2") {
    const ir::Var* x = env.program.FindVar(op.Input("X"));
    return MatMul(env, op, "X", "Y", x ? static_cast<int64_t>(x->dims.size()) - 1 : 1);
  }
  if (t == "fc") return MatMul(env, op, "Input", "W", op.GetInt("in_num_col_dims", 1).value_or(1));
  if (t == "relu" || t == "sigmoid" || t == "tanh" || t == "hard_swish") {
    return Unary(env, op, [t](float x) { return Activation(t, x, 0, 0); });
  }
  if (t == "relu6") {
    const float a = static_cast<float>(op.GetFloat("threshold", 6.0).value_or(6));
    return Unary(env, op, [a](float x) { return Activation("relu6", x, a, 0); });
  }
  if (t == "leaky_relu") {
    const float a = static_cast<float>(op.GetFloat("alpha", 0.02).value_or(0.02));
    return Unary(env, op, [a](float x) { return Activation("leaky_relu", x, a, 0); });
  }
  if (t == "hard_sigmoid") {
    const float a = static_cast<float>(op.GetFloat("slope", 0.2).value_or(0.2));
    const float b = static_cast<float>(op.GetFloat("offset", 0.5).value_or(0.5));
    return Unary(env, op, [a, b](float x) { return Activation("hard_sigmoid", x, a, b); });
  }
  if (t == "scale") {
    const double s = op.GetFloat("scale", 1.0).value_or(1), b = op.GetFloat("bias", 0.0).value_or(0);
    const bool after = op.GetBool("bias_after_scale", true).value_or(true);
    return Unary(env, op, [=](float x) { return static_cast<float>(after ? x * s + b : (x + b) * s); });
  }
  if (t == "dropout") return Unary(env, op, [](float x) { return x; });
  if (t == "quantize") {
    const double s = op.GetFloat("Scale").value_or(1);
    const ir::DataType dt = env.TypeOf(op.Output("Output"));
    return Unary(env, op, [=](float x) { return Store(x, s, dt); });
  }
  if (t == "dequantize") {
    const double s = op.GetFloat("Scale").value_or(1);
    return Unary(env, op, [=](float x) { return static_cast<float>(x / s); });
  }
  if (t == "requantize") {
    const double r = op.GetFloat("Scale_out").value_or(1) / op.GetFloat("Scale_in").value_or(1);
    const ir::DataType dt = env.TypeOf(op.Output("Output"));
    return Unary(env, op, [=](float x) { return Store(x, r, dt); });
  }
  if (t == "fake_quantize_dequantize_moving_average_abs_max" || t == "fake_quantize_moving_average_abs_max" ||
      t == "fake_quantize_range_abs_max") {
    const double th = FirstValue(env, op.Input("InScale"));
    const bool dequant = t.find("dequantize") != std::string::npos;
    return Unary(env, op, [=](float x) {
      double q = RoundHalfAway(std::clamp(static_cast<double>(x), -th, th) / th * 127);
      return static_cast<float>(dequant ? q * th / 127 : q);
    });
  }
  if (t == "fake_dequantize_max_abs") {
    const double s = FirstValue(env, op.Input("Scale")), mr = op.GetFloat("max_range").value_or(1);
    return Unary(env, op, [=](float x) { return static_cast<float>(x * s / mr); });
  }
  if (t == "fake_channel_wise_quantize_dequantize_abs_max") return ChannelWiseQdq(env, op);
  return Unsupported("reference executor: op type '", t, "'");
}

}  // namespace

StatusOr<std::vector<Tensor>> RunReference(const ir::Program& program, const std::vector<Tensor>& feeds) {
  Env env{program, {}};
  const auto names = program.FeedNames();
  if (names.size() != feeds.size()) return InvalidArgument("reference: ", feeds.size(), " feeds for ", names.size());
  for (size_t i = 0; i < names.size(); ++i) env.values[names[i]] = feeds[i];
  for (const auto& op : program.ops()) {
    if (op->type() == "feed" || op->type() == "fetch") continue;
    Status st = RunOp(env, *op);
    if (!st.ok()) return st.WithContext(op->DebugName());
  }
  std::vector<Tensor> out;
  for (const auto& name : program.FetchNames()) {
    Q2I_ASSIGN_OR_RETURN(const Tensor* t, env.Get(name));
    out.push_back(*t);
  }
  return out;
}

double MaxAbsDiff(const Tensor& a, const Tensor& b) {
  if (a.dims() != b.dims()) return std::numeric_limits<double>::infinity();
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::fabs(double(a.data<float>()[i]) - b.data<float>()[i]));
  return m;
}

double MaxOutputDiff(const ir::Program& a, const ir::Program& b, const std::vector<std::vector<int64_t>>& feed_dims,
                     uint32_t seed, std::string* error, float lo, float hi) {
  std::vector<Tensor> feeds;
  for (size_t i = 0; i < feed_dims.size(); ++i)
    feeds.push_back(RandomTensor(feed_dims[i], seed + static_cast<uint32_t>(i), lo, hi));
  auto ra = RunReference(a, feeds);
  auto rb = RunReference(b, feeds);
  if (!ra.ok() || !rb.ok()) {
    if (error) *error = (!ra.ok() ? ra.status() : rb.status()).ToString();
    return std::numeric_limits<double>::infinity();
  }
  if (ra->size() != rb->size()) return std::numeric_limits<double>::infinity();
  double m = 0;
  for (size_t i = 0; i < ra->size(); ++i) m = std::max(m, MaxAbsDiff((*ra)[i], (*rb)[i]));
  return m;
}

}  // namespace q2i::testing
