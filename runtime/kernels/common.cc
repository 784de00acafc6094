#include "runtime/kernels/common.h"

#include <algorithm>
#include <cstring>
#include <map>

namespace q2i::runtime::kernels {

using dnnl::algorithm;

StatusOr<Padding2D> ResolvePadding(const ir::Op& op, const std::vector<int64_t>& paddings, const std::string& algorithm,
                                   const std::vector<int64_t>& input_hw, const std::vector<int64_t>& ksize,
                                   const std::vector<int64_t>& strides, std::vector<int64_t>* dilations) {
  Padding2D p;
  if (paddings.size() == 2) {
    p = {paddings[0], paddings[0], paddings[1], paddings[1]};
  } else if (paddings.size() == 4) {
    p = {paddings[0], paddings[1], paddings[2], paddings[3]};
  } else if (!paddings.empty()) {
    return InvalidModel(op.DebugName(), ": paddings must have 2 or 4 values, got ", paddings.size());
  }
  if (algorithm == "SAME") {
    int64_t pads[2][2];
    for (int i = 0; i < 2; ++i) {
      const int64_t out = (input_hw[i] + strides[i] - 1) / strides[i];
      const int64_t total = std::max<int64_t>((out - 1) * strides[i] + ksize[i] - input_hw[i], 0);
      pads[i][0] = total / 2;
      pads[i][1] = total - total / 2;
      if (dilations != nullptr) (*dilations)[i] = 1;
    }
    p = {pads[0][0], pads[0][1], pads[1][0], pads[1][1]};
  } else if (algorithm == "VALID") {
    p = {};
  } else if (algorithm != "EXPLICIT" && !algorithm.empty()) {
    return Unsupported(op.DebugName(), ": padding_algorithm '", algorithm, "' is not supported");
  }
  if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0) {
    return InvalidModel(op.DebugName(), ": negative padding");
  }
  return p;
}

StatusOr<std::vector<int64_t>> GetIntsN(const ir::Op& op, const std::string& name, size_t n,
                                        std::vector<int64_t> fallback) {
  Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> v, op.GetInts(name, fallback));
  if (v.size() == 1 && n > 1) v.assign(n, v[0]);
  if (v.size() != n) {
    return InvalidModel(op.DebugName(), ": attribute ", name, " must have ", n, " values, got ", v.size());
  }
  return v;
}

Status CheckNchw(const ir::Op& op, const std::string& attr) {
  Q2I_ASSIGN_OR_RETURN(std::string fmt, op.GetString(attr, "NCHW"));
  if (fmt == "NCHW" || fmt == "AnyLayout" || fmt.empty()) return OkStatus();
  return Unsupported(op.DebugName(), ": ", attr, " '", fmt, "' is not supported (only NCHW)");
}

StatusOr<Activation> MakeActivation(const ir::Op& op, const std::string& type, float alpha, float beta) {
  Activation a;
  a.name = type;
  if (type.empty() || type == "identity") {
    a.name.clear();
    a.commutes_with_scale = true;
  } else if (type == "relu") {
    a.steps = {{algorithm::eltwise_relu, 0.f, 0.f}};
    a.commutes_with_scale = true;
  } else if (type == "relu6") {
    a.steps = {{algorithm::eltwise_clip, 0.f, alpha > 0.f ? alpha : 6.f}};
    a.commutes_with_scale = true;
  } else if (type == "leaky_relu") {
    a.steps = {{algorithm::eltwise_relu, alpha, 0.f}};
    a.commutes_with_scale = true;
  } else if (type == "swish") {
    a.steps = {{algorithm::eltwise_swish, alpha == 0.f ? 1.f : alpha, 0.f}};
  } else if (type == "hard_swish") {
    a.steps = {{algorithm::eltwise_hardswish, 0.f, 0.f}};
  } else if (type == "hard_sigmoid") {
    const float slope = alpha == 0.f ? 0.2f : alpha;
    const float offset = beta == 0.f ? 0.5f : beta;
    a.steps = {{algorithm::eltwise_linear, slope, offset}, {algorithm::eltwise_clip, 0.f, 1.f}};
  } else if (type == "sigmoid") {
    a.steps = {{algorithm::eltwise_logistic, 0.f, 0.f}};
  } else if (type == "tanh") {
    a.steps = {{algorithm::eltwise_tanh, 0.f, 0.f}};
  } else {
    return Unsupported(op.DebugName(), ": fused activation '", type, "' is not supported");
  }
  return a;
}

StatusOr<Activation> FusedActivation(const ir::Op& op) {
  Q2I_ASSIGN_OR_RETURN(std::string type, op.GetString("fuse_activation", ""));
  if (type.empty()) {
    Q2I_ASSIGN_OR_RETURN(bool fuse_relu, op.GetBool("fuse_relu", false));
    if (fuse_relu) type = "relu";
  }
  Q2I_ASSIGN_OR_RETURN(double alpha, op.GetFloat("fuse_alpha", 0.0));
  Q2I_ASSIGN_OR_RETURN(double beta, op.GetFloat("fuse_beta", 0.0));
  return MakeActivation(op, type, static_cast<float>(alpha), static_cast<float>(beta));
}

void AppendActivation(dnnl::post_ops& ops, const Activation& act) {
  for (const EltwiseStep& s : act.steps) ops.append_eltwise(1.f, s.alg, s.alpha, s.beta);
}

void ScaleActivationOutput(Activation& act, float scale) {
  if (scale == 1.f) return;
  if (act.name == "hard_sigmoid" && act.steps.size() == 2) {
    act.steps[0].alpha *= scale;  // slope
    act.steps[0].beta *= scale;   // offset
    act.steps[1].beta *= scale;   // clip upper bound
    return;
  }
  act.steps.push_back({algorithm::eltwise_linear, scale, 0.f});
}

Status CheckEltwisePostOps(const ir::Op& op, const dnnl::post_ops& ops) {
  struct Params {
    float scale, alpha, beta;
  };
  std::map<algorithm, Params> seen;
  for (int i = 0; i < ops.len(); ++i) {
    if (ops.kind(i) != dnnl::primitive::kind::eltwise) continue;
    Params p{};
    algorithm alg;
    ops.get_params_eltwise(i, p.scale, alg, p.alpha, p.beta);
    auto [it, inserted] = seen.emplace(alg, p);
    if (!inserted && (it->second.scale != p.scale || it->second.alpha != p.alpha || it->second.beta != p.beta)) {
      return Unsupported(op.DebugName(), ": its fused post-ops use one oneDNN eltwise algorithm twice with different "
                                         "parameters, which oneDNN 2.6 computes wrongly");
    }
  }
  return OkStatus();
}

StatusOr<int> NormalizeAxis(const ir::Op& op, int64_t axis, int rank, const char* what) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= std::max(rank, 1)) {
    return InvalidModel(op.DebugName(), ": ", what, " ", axis, " out of range for rank ", rank);
  }
  return static_cast<int>(a);
}

StatusOr<std::vector<int64_t>> ConstantInts(const ir::Op& op, const ir::Tensor& t, const char* what) {
  std::vector<int64_t> v;
  v.reserve(static_cast<size_t>(t.numel()));
  switch (t.dtype()) {
    case ir::DataType::kInt32:
      for (int32_t x : t.values<int32_t>()) v.push_back(x);
      break;
    case ir::DataType::kInt64:
      for (int64_t x : t.values<int64_t>()) v.push_back(x);
      break;
    case ir::DataType::kFP32:
      for (float x : t.values<float>()) v.push_back(static_cast<int64_t>(x));
      break;
    default:
      return InvalidModel(op.DebugName(), ": ", what, " must be an int32/int64 tensor, got ",
                          ir::DataTypeName(t.dtype()));
  }
  return v;
}

memory::dims Strides(const std::vector<int64_t>& dims) {
  memory::dims s(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i)
    s[static_cast<size_t>(i)] = s[static_cast<size_t>(i) + 1] * std::max<int64_t>(dims[static_cast<size_t>(i) + 1], 1);
  return s;
}

}  // namespace q2i::runtime::kernels

namespace q2i::runtime::kernels {

bool IsStrided(const memory::desc& md) {
  return md.data.format_kind == dnnl_blocked && md.data.format_desc.blocking.inner_nblks == 0;
}

memory::desc SameOrderDesc(const memory::desc& like, const std::vector<int64_t>& dims, memory::data_type dt) {
  const int r = like.data.ndims;
  if (!IsStrided(like) || r != static_cast<int>(dims.size()) || IsPlain(like)) return PlainDesc(ToDnnlDims(dims), dt);
  std::vector<int> order(static_cast<size_t>(r));
  for (int i = 0; i < r; ++i) order[static_cast<size_t>(i)] = i;
  const auto* st = like.data.format_desc.blocking.strides;
  // Outermost first: larger stride first; ties keep logical order.
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return st[a] > st[b]; });
  memory::dims strides(static_cast<size_t>(r));
  int64_t s = 1;
  for (int i = r - 1; i >= 0; --i) {
    const int d = order[static_cast<size_t>(i)];
    strides[static_cast<size_t>(d)] = s;
    s *= std::max<int64_t>(dims[static_cast<size_t>(d)], 1);
  }
  return memory::desc(ToDnnlDims(dims), dt, strides);
}

void CopyStrided(const uint8_t* src, const std::vector<int64_t>& src_strides, uint8_t* dst,
                 const std::vector<int64_t>& dst_strides, const std::vector<int64_t>& dims, size_t elem) {
  int64_t total = 1;
  for (int64_t d : dims) total *= d;
  if (total == 0) return;
  const size_t r = dims.size();
  std::vector<int64_t> idx(r, 0);
  for (int64_t n = 0; n < total; ++n) {
    int64_t so = 0, dof = 0;
    for (size_t i = 0; i < r; ++i) {
      so += idx[i] * src_strides[i];
      dof += idx[i] * dst_strides[i];
    }
    std::memcpy(dst + dof * static_cast<int64_t>(elem), src + so * static_cast<int64_t>(elem), elem);
    for (int i = static_cast<int>(r) - 1; i >= 0; --i) {
      if (++idx[static_cast<size_t>(i)] < dims[static_cast<size_t>(i)]) break;
      idx[static_cast<size_t>(i)] = 0;
    }
  }
}

}  // namespace q2i::runtime::kernels
