#include "tests/runtime/reference_ops.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

namespace q2i::testing::ref {

ir::Tensor Conv2d(const ir::Tensor& x, const ir::Tensor& w, const ir::Tensor* bias, const Conv2dParams& p) {
  const int64_t n = x.dims()[0], c = x.dims()[1], h = x.dims()[2], wd = x.dims()[3];
  const int64_t oc = w.dims()[0], icg = w.dims()[1], kh = w.dims()[2], kw = w.dims()[3];
  const int64_t oh = (h + p.pad_t + p.pad_b - (p.dil_h * (kh - 1) + 1)) / p.stride_h + 1;
  const int64_t ow = (wd + p.pad_l + p.pad_r - (p.dil_w * (kw - 1) + 1)) / p.stride_w + 1;
  const int64_t ocg = oc / p.groups;
  (void)c;
  ir::Tensor y(ir::DataType::kFP32, {n, oc, oh, ow});
  const float* X = x.data<float>();
  const float* W = w.data<float>();
  float* Y = y.data<float>();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t o = 0; o < oc; ++o) {
      const int64_t g = o / ocg;
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double acc = bias ? bias->data<float>()[o] : 0.0;
          for (int64_t ci = 0; ci < icg; ++ci)
            for (int64_t a = 0; a < kh; ++a)
              for (int64_t e = 0; e < kw; ++e) {
                const int64_t yy = i * p.stride_h - p.pad_t + a * p.dil_h;
                const int64_t xx = j * p.stride_w - p.pad_l + e * p.dil_w;
                if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
                acc += static_cast<double>(X[((b * c + g * icg + ci) * h + yy) * wd + xx]) *
                       W[((o * icg + ci) * kh + a) * kw + e];
              }
          Y[((b * oc + o) * oh + i) * ow + j] = static_cast<float>(acc);
        }
    }
  return y;
}

ir::Tensor Conv2dTranspose(const ir::Tensor& x, const ir::Tensor& w, const Conv2dParams& p, int extra_h, int extra_w) {
  const int64_t n = x.dims()[0], c = x.dims()[1], h = x.dims()[2], wd = x.dims()[3];
  const int64_t ocg = w.dims()[1], kh = w.dims()[2], kw = w.dims()[3];
  const int64_t icg = c / p.groups, oc = ocg * p.groups;
  const int64_t oh = (h - 1) * p.stride_h - p.pad_t - p.pad_b + p.dil_h * (kh - 1) + 1 + extra_h;
  const int64_t ow = (wd - 1) * p.stride_w - p.pad_l - p.pad_r + p.dil_w * (kw - 1) + 1 + extra_w;
  std::vector<double> acc(static_cast<size_t>(n * oc * oh * ow), 0.0);
  const float* X = x.data<float>();
  const float* W = w.data<float>();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ci = 0; ci < c; ++ci) {
      const int64_t g = ci / icg;
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < wd; ++j) {
          const double v = X[((b * c + ci) * h + i) * wd + j];
          for (int64_t o = 0; o < ocg; ++o)
            for (int64_t a = 0; a < kh; ++a)
              for (int64_t e = 0; e < kw; ++e) {
                const int64_t yy = i * p.stride_h - p.pad_t + a * p.dil_h;
                const int64_t xx = j * p.stride_w - p.pad_l + e * p.dil_w;
                if (yy < 0 || yy >= oh || xx < 0 || xx >= ow) continue;
                acc[static_cast<size_t>(((b * oc + g * ocg + o) * oh + yy) * ow + xx)] +=
                    v * W[((ci * ocg + o) * kh + a) * kw + e];
              }
        }
    }
  ir::Tensor y(ir::DataType::kFP32, {n, oc, oh, ow});
  for (size_t i = 0; i < acc.size(); ++i) y.data<float>()[i] = static_cast<float>(acc[i]);
  return y;
}

ir::Tensor Pool2d(const ir::Tensor& x, const Pool2dParams& q) {
  Pool2dParams p = q;
  const int64_t n = x.dims()[0], c = x.dims()[1], h = x.dims()[2], w = x.dims()[3];
  if (p.global) {
    p.kh = static_cast<int>(h);
    p.kw = static_cast<int>(w);
    p.sh = p.sw = 1;
    p.pad_t = p.pad_b = p.pad_l = p.pad_r = 0;
  }
  int64_t oh, ow;
  if (p.adaptive) {
    oh = p.kh;
    ow = p.kw;
  } else if (p.ceil_mode) {
    oh = (h - p.kh + p.pad_t + p.pad_b + p.sh - 1) / p.sh + 1;
    ow = (w - p.kw + p.pad_l + p.pad_r + p.sw - 1) / p.sw + 1;
  } else {
    oh = (h - p.kh + p.pad_t + p.pad_b) / p.sh + 1;
    ow = (w - p.kw + p.pad_l + p.pad_r) / p.sw + 1;
  }
  ir::Tensor y(ir::DataType::kFP32, {n, c, oh, ow});
  for (int64_t b = 0; b < n * c; ++b) {
    const float* X = x.data<float>() + b * h * w;
    float* Y = y.data<float>() + b * oh * ow;
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        int64_t hs, he, ws, we;
        if (p.adaptive) {
          hs = static_cast<int64_t>(std::floor(static_cast<double>(i * h) / oh));
          he = static_cast<int64_t>(std::ceil(static_cast<double>((i + 1) * h) / oh));
          ws = static_cast<int64_t>(std::floor(static_cast<double>(j * w) / ow));
          we = static_cast<int64_t>(std::ceil(static_cast<double>((j + 1) * w) / ow));
        } else {
          hs = i * p.sh - p.pad_t;
          ws = j * p.sw - p.pad_l;
          he = std::min<int64_t>(hs + p.kh, h);
          we = std::min<int64_t>(ws + p.kw, w);
          hs = std::max<int64_t>(hs, 0);
          ws = std::max<int64_t>(ws, 0);
        }
        double acc = p.max ? -DBL_MAX : 0.0;
        for (int64_t yy = hs; yy < he; ++yy)
          for (int64_t xx = ws; xx < we; ++xx)
            acc = p.max ? std::max<double>(acc, X[yy * w + xx]) : acc + X[yy * w + xx];
        if (!p.max) {
          const double count = (p.exclusive || p.adaptive) ? static_cast<double>((he - hs) * (we - ws))
                                                           : static_cast<double>(p.kh * p.kw);
          acc /= count;
        }
        Y[i * ow + j] = static_cast<float>(acc);
      }
  }
  return y;
}

ir::Tensor MatMul(const ir::Tensor& a, const ir::Tensor& b, bool ta, bool tb, float alpha) {
  std::vector<int64_t> ad = a.dims(), bd = b.dims();
  const size_t r = std::max(ad.size(), bd.size());
  ad.insert(ad.begin(), r - ad.size(), 1);
  bd.insert(bd.begin(), r - bd.size(), 1);
  const int64_t m = ta ? ad[r - 1] : ad[r - 2], k = ta ? ad[r - 2] : ad[r - 1];
  const int64_t n = tb ? bd[r - 2] : bd[r - 1];
  std::vector<int64_t> out(r);
  int64_t batch = 1;
  for (size_t i = 0; i + 2 < r; ++i) {
    out[i] = std::max(ad[i], bd[i]);
    batch *= out[i];
  }
  out[r - 2] = m;
  out[r - 1] = n;
  ir::Tensor y(ir::DataType::kFP32, out);
  for (int64_t bi = 0; bi < batch; ++bi) {
    // batch index -> offsets with broadcasting
    int64_t rem = bi, aoff = 0, boff = 0, astride = ad[r - 2] * ad[r - 1], bstride = bd[r - 2] * bd[r - 1];
    for (int i = static_cast<int>(r) - 3; i >= 0; --i) {
      const int64_t idx = rem % out[static_cast<size_t>(i)];
      rem /= out[static_cast<size_t>(i)];
      aoff += (ad[static_cast<size_t>(i)] == 1 ? 0 : idx) * astride;
      boff += (bd[static_cast<size_t>(i)] == 1 ? 0 : idx) * bstride;
      astride *= ad[static_cast<size_t>(i)];
      bstride *= bd[static_cast<size_t>(i)];
    }
    const float* A = a.data<float>() + aoff;
    const float* B = b.data<float>() + boff;
    float* Y = y.data<float>() + bi * m * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t q = 0; q < k; ++q) {
          const float av = ta ? A[q * m + i] : A[i * k + q];
          const float bv = tb ? B[j * k + q] : B[q * n + j];
          acc += static_cast<double>(av) * bv;
        }
        Y[i * n + j] = static_cast<float>(acc * alpha);
      }
  }
  return y;
}

ir::Tensor Binary(const ir::Tensor& x, const std::vector<int64_t>& xa, const ir::Tensor& y,
                  const std::vector<int64_t>& ya, const std::string& op) {
  const size_t r = xa.size();
  std::vector<int64_t> out(r);
  for (size_t i = 0; i < r; ++i) out[i] = std::max(xa[i], ya[i]);
  ir::Tensor o(ir::DataType::kFP32, out);
  std::vector<int64_t> idx(r, 0);
  for (int64_t e = 0; e < o.numel(); ++e) {
    int64_t rem = e, xo = 0, yo = 0, xs = 1, ys = 1;
    for (int i = static_cast<int>(r) - 1; i >= 0; --i) {
      const size_t u = static_cast<size_t>(i);
      const int64_t id = rem % out[u];
      rem /= out[u];
      xo += (xa[u] == 1 ? 0 : id) * xs;
      yo += (ya[u] == 1 ? 0 : id) * ys;
      xs *= xa[u];
      ys *= ya[u];
    }
    const double a = x.data<float>()[xo], b = y.data<float>()[yo];
    double v = 0;
    if (op == "add") v = a + b;
    if (op == "sub") v = a - b;
    if (op == "mul") v = a * b;
    if (op == "div") v = a / b;
    if (op == "max") v = std::max(a, b);
    if (op == "min") v = std::min(a, b);
    if (op == "pow") v = std::pow(a, b);
    o.data<float>()[e] = static_cast<float>(v);
  }
  return o;
}

ir::Tensor Unary(const ir::Tensor& x, const std::string& op, float a, float b, float c) {
  ir::Tensor y(ir::DataType::kFP32, x.dims());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double v = x.data<float>()[i];
    double r = v;
    if (op == "relu") r = std::max(v, 0.0);
    if (op == "relu6") r = std::min(std::max(v, 0.0), static_cast<double>(a));
    if (op == "leaky_relu") r = v > 0 ? v : v * a;
    if (op == "sigmoid") r = 1.0 / (1.0 + std::exp(-v));
    if (op == "tanh") r = std::tanh(v);
    if (op == "swish") r = v / (1.0 + std::exp(-a * v));
    if (op == "hard_swish") r = v * std::min(std::max(v + c, 0.0), static_cast<double>(a)) / b;  // threshold, scale, offset
    if (op == "hard_sigmoid") r = std::min(std::max(a * v + b, 0.0), 1.0);                        // slope, offset
    if (op == "linear") r = a * v + b;
    y.data<float>()[i] = static_cast<float>(r);
  }
  return y;
}

ir::Tensor Softmax(const ir::Tensor& x, int axis) {
  const auto& d = x.dims();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= d[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(axis) + 1; i < d.size(); ++i) inner *= d[i];
  const int64_t n = d[static_cast<size_t>(axis)];
  ir::Tensor y(ir::DataType::kFP32, d);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      const float* X = x.data<float>() + o * n * inner + in;
      float* Y = y.data<float>() + o * n * inner + in;
      double m = -DBL_MAX, s = 0;
      for (int64_t k = 0; k < n; ++k) m = std::max<double>(m, X[k * inner]);
      for (int64_t k = 0; k < n; ++k) s += std::exp(X[k * inner] - m);
      for (int64_t k = 0; k < n; ++k) Y[k * inner] = static_cast<float>(std::exp(X[k * inner] - m) / s);
    }
  return y;
}

ir::Tensor BatchNorm(const ir::Tensor& x, const ir::Tensor& scale, const ir::Tensor& bias, const ir::Tensor& mean,
                     const ir::Tensor& var, float eps) {
  const auto& d = x.dims();
  const int64_t n = d[0], c = d[1], inner = x.numel() / (n * c);
  ir::Tensor y(ir::DataType::kFP32, d);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      const double inv = 1.0 / std::sqrt(static_cast<double>(var.data<float>()[ch]) + eps);
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t k = (b * c + ch) * inner + i;
        y.data<float>()[k] = static_cast<float>((x.data<float>()[k] - mean.data<float>()[ch]) * inv *
                                                    scale.data<float>()[ch] +
                                                bias.data<float>()[ch]);
      }
    }
  return y;
}

ir::Tensor Interp(const ir::Tensor& x, bool bilinear, int out_h, int out_w, float ratio_h, float ratio_w,
                  bool align_corners, int align_mode) {
  const int64_t n = x.dims()[0], c = x.dims()[1], ih = x.dims()[2], iw = x.dims()[3];
  ir::Tensor y(ir::DataType::kFP32, {n, c, out_h, out_w});
  const bool flag = align_mode == 0 && !align_corners;
  for (int64_t b = 0; b < n * c; ++b) {
    const float* X = x.data<float>() + b * ih * iw;
    float* Y = y.data<float>() + b * out_h * out_w;
    for (int k = 0; k < out_h; ++k)
      for (int l = 0; l < out_w; ++l) {
        if (!bilinear) {
          const int yk = align_corners ? static_cast<int>(ratio_h * k + 0.5) : static_cast<int>(ratio_h * k);
          const int xl = align_corners ? static_cast<int>(ratio_w * l + 0.5) : static_cast<int>(ratio_w * l);
          Y[k * out_w + l] = X[yk * iw + xl];
          continue;
        }
        auto axis = [&](int k2, float ratio, int64_t in, int& lo, int& hi, float& frac) {
          lo = flag ? static_cast<int>(ratio * (k2 + 0.5) - 0.5) : static_cast<int>(ratio * k2);
          lo = std::max(lo, 0);
          hi = std::min<int>(lo + 1, static_cast<int>(in) - 1);
          float src = static_cast<float>(ratio * (k2 + 0.5) - 0.5);
          src = std::max(src, 0.f);
          frac = flag ? src - static_cast<float>(lo) : ratio * static_cast<float>(k2) - static_cast<float>(lo);
        };
        int y0, y1, x0, x1;
        float dy, dx;
        axis(k, ratio_h, ih, y0, y1, dy);
        axis(l, ratio_w, iw, x0, x1, dx);
        Y[k * out_w + l] = X[y0 * iw + x0] * (1 - dy) * (1 - dx) + X[y1 * iw + x0] * dy * (1 - dx) +
                           X[y0 * iw + x1] * (1 - dy) * dx + X[y1 * iw + x1] * dy * dx;
      }
  }
  return y;
}

ir::Tensor Transpose(const ir::Tensor& x, const std::vector<int>& perm) {
  const auto& d = x.dims();
  const size_t r = d.size();
  std::vector<int64_t> out(r);
  for (size_t i = 0; i < r; ++i) out[i] = d[static_cast<size_t>(perm[i])];
  std::vector<int64_t> in_strides(r, 1);
  for (int i = static_cast<int>(r) - 2; i >= 0; --i)
    in_strides[static_cast<size_t>(i)] = in_strides[static_cast<size_t>(i) + 1] * d[static_cast<size_t>(i) + 1];
  ir::Tensor y(x.dtype(), out);
  const size_t es = ir::SizeOf(x.dtype());
  for (int64_t e = 0; e < y.numel(); ++e) {
    int64_t rem = e, src = 0;
    for (int i = static_cast<int>(r) - 1; i >= 0; --i) {
      const int64_t id = rem % out[static_cast<size_t>(i)];
      rem /= out[static_cast<size_t>(i)];
      src += id * in_strides[static_cast<size_t>(perm[static_cast<size_t>(i)])];
    }
    std::memcpy(y.raw_data() + e * static_cast<int64_t>(es), x.raw_data() + src * static_cast<int64_t>(es), es);
  }
  return y;
}

}  // namespace q2i::testing::ref
