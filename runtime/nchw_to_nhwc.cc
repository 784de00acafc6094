#include "runtime/nchw_to_nhwc.h"

#include "support/check.h"

namespace q2i::runtime {
namespace {

using memory = dnnl::memory;

// One image: out[i * C + c] = in[c * hw + i]. Compiled for AVX2 so GCC vectorizes the interleaved
// stores; only called after MatchNchwToNhwc checked the CPU.
template <typename T, int C>
__attribute__((target("avx2"))) void InterleaveImage(const T* __restrict in, T* __restrict out, int64_t hw) {
  for (int64_t i = 0; i < hw; ++i) {
    for (int c = 0; c < C; ++c) out[i * C + c] = in[c * hw + i];
  }
}

template <typename T>
void InterleaveImage(const T* in, T* out, int64_t c, int64_t hw) {
  Q2I_CHECK(c >= 2 && c <= 4);
  switch (c) {
    case 2: InterleaveImage<T, 2>(in, out, hw); break;
    case 3: InterleaveImage<T, 3>(in, out, hw); break;
    default: InterleaveImage<T, 4>(in, out, hw); break;
  }
}

bool CpuHasAvx2() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
#else
  return false;
#endif
}

}  // namespace

std::optional<NchwToNhwc> MatchNchwToNhwc(const memory::desc& src, const memory::desc& dst) {
  const memory::dims dims = src.dims();
  if (dims.size() != 4 || dst.dims() != dims || src.data_type() != dst.data_type()) return std::nullopt;
  const memory::data_type dt = src.data_type();
  size_t elem;
  switch (dt) {
    case memory::data_type::f32:
    case memory::data_type::s32: elem = 4; break;
    case memory::data_type::s8:
    case memory::data_type::u8: elem = 1; break;
    default: return std::nullopt;
  }
  if (dims[1] < 2 || dims[1] > 4 || !CpuHasAvx2()) return std::nullopt;
  if (src != memory::desc(dims, dt, memory::format_tag::abcd) || dst != memory::desc(dims, dt, memory::format_tag::acdb)) {
    return std::nullopt;
  }
  return NchwToNhwc{dims[0], dims[1], dims[2] * dims[3], elem};
}

void RunNchwToNhwc(const NchwToNhwc& t, const void* src, void* dst) {
  const int64_t image = t.c * t.hw;
#pragma omp parallel for schedule(static) if (t.n > 1)
  for (int64_t b = 0; b < t.n; ++b) {
    if (t.elem_size == 4) {
      InterleaveImage(static_cast<const uint32_t*>(src) + b * image, static_cast<uint32_t*>(dst) + b * image, t.c, t.hw);
    } else {
      InterleaveImage(static_cast<const uint8_t*>(src) + b * image, static_cast<uint8_t*>(dst) + b * image, t.c, t.hw);
    }
  }
}

}  // namespace q2i::runtime
