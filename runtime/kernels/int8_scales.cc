#include "runtime/kernels/int8_scales.h"

#include <algorithm>
#include <cmath>

namespace q2i::runtime::kernels {

StatusOr<float> PositiveScale(const ir::Op& op, const std::string& name, std::optional<double> fallback) {
  Q2I_ASSIGN_OR_RETURN(double v, op.GetFloat(name, fallback));
  if (!std::isfinite(v) || v <= 0) return InvalidModel(op.DebugName(), ": ", name, " must be finite and > 0, got ", v);
  return static_cast<float>(v);
}

StatusOr<std::vector<float>> PositiveScales(const ir::Op& op, const std::string& name, size_t n) {
  Q2I_ASSIGN_OR_RETURN(std::vector<double> v, PositiveScalesD(op, name, n));
  return std::vector<float>(v.begin(), v.end());
}

StatusOr<std::vector<double>> PositiveScalesD(const ir::Op& op, const std::string& name, size_t n) {
  Q2I_ASSIGN_OR_RETURN(std::vector<double> v, op.GetFloats(name, std::vector<double>{}));
  if (v.empty()) return InvalidModel(op.DebugName(), ": missing attribute ", name);
  if (v.size() == 1 && n > 1) v.assign(n, v[0]);
  if (v.size() != n) return InvalidModel(op.DebugName(), ": ", name, " has ", v.size(), " values, expected ", n);
  for (double x : v) {
    if (!std::isfinite(x) || x <= 0) return InvalidModel(op.DebugName(), ": ", name, " has a value ", x, " (must be > 0)");
  }
  return v;
}

ir::Tensor QuantizeWeightsS8(const ir::Tensor& w, int64_t channels, int64_t inner, const std::vector<double>& scales) {
  ir::Tensor q(ir::DataType::kInt8, w.dims());
  const float* src = w.data<float>();
  int8_t* dst = q.data<int8_t>();
  for (int64_t i = 0; i < w.numel(); ++i) {
    const double s = scales.size() == 1 ? scales[0] : scales[static_cast<size_t>((i / inner) % channels)];
    dst[i] = static_cast<int8_t>(std::clamp(std::nearbyint(src[i] * s), -127.0, 127.0));
  }
  return q;
}

memory::data_type Int8OutputType(std::optional<ir::DataType> declared, bool force_fp32, memory::data_type fallback) {
  if (force_fp32) return memory::data_type::f32;
  if (declared) {
    if (*declared == ir::DataType::kInt8) return memory::data_type::s8;
    if (*declared == ir::DataType::kUInt8) return memory::data_type::u8;
    if (*declared == ir::DataType::kFP32) return memory::data_type::f32;
  }
  return fallback;
}

ir::DataType FromDnnlType(memory::data_type dt) {
  switch (dt) {
    case memory::data_type::s8: return ir::DataType::kInt8;
    case memory::data_type::u8: return ir::DataType::kUInt8;
    case memory::data_type::s32: return ir::DataType::kInt32;
    case memory::data_type::bf16: return ir::DataType::kBF16;
    case memory::data_type::f16: return ir::DataType::kFP16;
    default: return ir::DataType::kFP32;
  }
}

}  // namespace q2i::runtime::kernels
