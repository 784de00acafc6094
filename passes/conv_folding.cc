#include "passes/conv_folding.h"

namespace q2i::passes {

StatusOr<ir::Tensor> ScaleOutputChannels(const ir::Tensor& filter, const std::vector<double>& factor, int axis) {
  const auto& dims = filter.dims();
  if (filter.dtype() != ir::DataType::kFP32 || dims.size() < 2 || axis > 1)
    return Unsupported("filter ", ir::DimsToString(dims), " of ", ir::DataTypeName(filter.dtype()),
                       " cannot be scaled per output channel");
  const int64_t channels = dims[static_cast<size_t>(axis)];
  if (static_cast<int64_t>(factor.size()) != channels)
    return InvalidModel(factor.size(), " channel factors for a filter with ", channels, " output channels");
  int64_t inner = 1;
  for (size_t i = static_cast<size_t>(axis) + 1; i < dims.size(); ++i) inner *= dims[i];
  ir::Tensor out(ir::DataType::kFP32, dims);
  const float* src = filter.data<float>();
  float* dst = out.data<float>();
  for (int64_t i = 0; i < filter.numel(); ++i)
    dst[i] = static_cast<float>(src[i] * factor[static_cast<size_t>((i / inner) % channels)]);
  return out;
}

StatusOr<std::vector<double>> PerChannel(const ir::Tensor& t, int64_t channels, const char* what) {
  if (t.dtype() != ir::DataType::kFP32) return Unsupported(what, " is ", ir::DataTypeName(t.dtype()), ", expected float32");
  if (t.numel() != channels && t.numel() != 1)
    return InvalidModel(what, " has ", t.numel(), " values for ", channels, " channels");
  std::vector<double> v(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) v[static_cast<size_t>(c)] = t.data<float>()[t.numel() == 1 ? 0 : c];
  return v;
}

}  // namespace q2i::passes
