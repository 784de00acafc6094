#include "runtime/kernels/max_pool_8bit.h"

#include <immintrin.h>

#include <algorithm>

#include "runtime/kernels/cpu_features.h"

namespace q2i::runtime::kernels {
namespace {

// Outputs below this many bytes run on the calling thread: waking a second one costs more.
constexpr int64_t kMinParallelBytes = 64 * 1024;

// The input rows (or columns) [begin, end) that output index `o` reads.
struct Span {
  int64_t begin, end;
};
Span WindowOf(int64_t o, int64_t stride, int64_t pad, int64_t k, int64_t size) {
  const int64_t start = o * stride - pad;
  return {std::max<int64_t>(start, 0), std::min(start + k, size)};
}

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw")

template <bool kSigned>
__m512i Max8(__m512i a, __m512i b) {
  if constexpr (kSigned) {
    return _mm512_max_epi8(a, b);
  } else {
    return _mm512_max_epu8(a, b);
  }
}

// One output row: every column, every channel.
template <bool kSigned>
void PoolRow(const MaxPool8Shape& s, const uint8_t* image, Span rows, uint8_t* out) {
  const int64_t c = s.c, row_bytes = s.w * c;
  for (int64_t ox = 0; ox < s.ow; ++ox) {
    const Span cols = WindowOf(ox, s.stride_w, s.pad_left, s.kw, s.w);
    for (int64_t c0 = 0; c0 < c; c0 += 64) {
      const __mmask64 m = c - c0 >= 64 ? ~__mmask64{0} : (__mmask64{1} << (c - c0)) - 1;
      const uint8_t* first = image + rows.begin * row_bytes + cols.begin * c + c0;
      __m512i v = _mm512_maskz_loadu_epi8(m, first);
      for (int64_t y = rows.begin; y < rows.end; ++y) {
        const uint8_t* p = image + y * row_bytes + c0;
        for (int64_t x = cols.begin; x < cols.end; ++x) v = Max8<kSigned>(v, _mm512_maskz_loadu_epi8(m, p + x * c));
      }
      _mm512_mask_storeu_epi8(out + ox * c + c0, m, v);
    }
  }
}

template <bool kSigned>
void PoolAll(const MaxPool8Shape& s, const uint8_t* src, uint8_t* dst) {
  const int64_t items = s.n * s.oh;
  const int64_t in_image = s.h * s.w * s.c, out_row = s.ow * s.c;
  const bool parallel = items * out_row >= kMinParallelBytes;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t i = 0; i < items; ++i) {
    const int64_t b = i / s.oh, oy = i % s.oh;
    PoolRow<kSigned>(s, src + b * in_image, WindowOf(oy, s.stride_h, s.pad_top, s.kh, s.h), dst + i * out_row);
  }
}

#pragma GCC pop_options

}  // namespace

bool MaxPool8Supports(const MaxPool8Shape& s) {
  if (s.n <= 0 || s.c <= 0 || s.h <= 0 || s.w <= 0 || s.oh <= 0 || s.ow <= 0) return false;
  if (s.kh <= 0 || s.kw <= 0 || s.stride_h <= 0 || s.stride_w <= 0) return false;
  if (s.pad_top < 0 || s.pad_left < 0 || s.pad_top >= s.kh || s.pad_left >= s.kw) return false;
  if ((s.oh - 1) * s.stride_h - s.pad_top >= s.h || (s.ow - 1) * s.stride_w - s.pad_left >= s.w) return false;
  return CpuHasAvx512Vnni();
}

void MaxPool8Nhwc(const MaxPool8Shape& s, const void* src, void* dst) {
  const auto* in = static_cast<const uint8_t*>(src);
  auto* out = static_cast<uint8_t*>(dst);
  if (s.is_signed) {
    PoolAll<true>(s, in, out);
  } else {
    PoolAll<false>(s, in, out);
  }
}

}  // namespace q2i::runtime::kernels
