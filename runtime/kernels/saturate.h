// The destination of an INT8 kernel's epilogue: its type, and bounds that keep results within it.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <utility>

#include "support/check.h"

namespace q2i::runtime::kernels {

// The element type an epilogue stores, as a template argument.
enum class EpilogueOut { kU8, kS8, kF32 };

inline EpilogueOut EpilogueOutOf(dnnl::memory::data_type t) {
  if (t == dnnl::memory::data_type::u8) return EpilogueOut::kU8;
  if (t == dnnl::memory::data_type::s8) return EpilogueOut::kS8;
  Q2I_CHECK(t == dnnl::memory::data_type::f32);
  return EpilogueOut::kF32;
}

// Activation bounds [lo, hi] joined with the range of a u8 or s8 destination (f32: unchanged). Since
// clamp(clamp(x, lo, hi), a, b) is clamp(x, clamp(lo, a, b), clamp(hi, a, b)), one clamp does both, and
// every float the epilogue converts then fits the type.
inline std::pair<float, float> BoundsWithinType(float lo, float hi, dnnl::memory::data_type t) {
  if (t != dnnl::memory::data_type::u8 && t != dnnl::memory::data_type::s8) return {lo, hi};
  const float a = t == dnnl::memory::data_type::u8 ? 0.f : -128.f;
  const float b = t == dnnl::memory::data_type::u8 ? 255.f : 127.f;
  return {std::clamp(lo, a, b), std::clamp(hi, a, b)};
}

}  // namespace q2i::runtime::kernels
