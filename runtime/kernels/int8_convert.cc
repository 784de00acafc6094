#include "runtime/kernels/int8_convert.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "runtime/kernels/cpu_features.h"
#include "runtime/kernels/saturate.h"

namespace q2i::runtime::kernels {
namespace {

using dt = dnnl::memory::data_type;

// Below this many elements one thread does the whole tensor.
constexpr int64_t kMinParallelCount = 256 * 1024;
// Elements per work item on the threads: a multiple of 16 (one vector).
constexpr int64_t kChunk = 16 * 1024;

bool Is8Bit(dt t) { return t == dt::u8 || t == dt::s8; }

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq")
// GCC 12 reports the intrinsics' deliberately undefined pass-through operands (its bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

template <EpilogueOut kIn>
__m512 Load16(const void* src, int64_t i, __mmask16 m) {
  if constexpr (kIn == EpilogueOut::kF32) {
    return _mm512_maskz_loadu_ps(m, static_cast<const float*>(src) + i);
  } else {
    const __m128i b = _mm_maskz_loadu_epi8(m, static_cast<const uint8_t*>(src) + i);
    const __m512i v = kIn == EpilogueOut::kU8 ? _mm512_cvtepu8_epi32(b) : _mm512_cvtepi8_epi32(b);
    return _mm512_cvtepi32_ps(v);
  }
}

template <EpilogueOut kOut>
void Store16(void* dst, int64_t i, __mmask16 m, __m512 v, __m512 lo, __m512 hi) {
  if constexpr (kOut == EpilogueOut::kF32) {
    _mm512_mask_storeu_ps(static_cast<float*>(dst) + i, m, v);
  } else {
    // In range after the clamp, so the truncating narrow is exact; the conversion rounds half to even.
    const __m512i q = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(v, lo), hi));
    _mm512_mask_cvtepi32_storeu_epi8(static_cast<uint8_t*>(dst) + i, m, q);
  }
}

template <EpilogueOut kIn, EpilogueOut kOut>
void ConvertRange(const Int8Convert& c, const void* src, void* dst, int64_t begin, int64_t end) {
  const __m512 scale = _mm512_set1_ps(c.scale);
  const __m512 src_zp = _mm512_set1_ps(static_cast<float>(c.src_zp));
  const __m512 dst_zp = _mm512_set1_ps(static_cast<float>(c.dst_zp));
  const auto [lo, hi] = BoundsWithinType(-INFINITY, INFINITY, c.to);  // the 8-bit type's range
  const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  for (int64_t i = begin; i < end; i += 16) {
    const __mmask16 m = end - i >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << (end - i)) - 1);
    __m512 v = Load16<kIn>(src, i, m);
    if (c.src_zp != 0) v = _mm512_sub_ps(v, src_zp);
    v = _mm512_mul_ps(v, scale);
    if (c.dst_zp != 0) v = _mm512_add_ps(v, dst_zp);
    Store16<kOut>(dst, i, m, v, vlo, vhi);
  }
}

template <EpilogueOut kIn, EpilogueOut kOut>
void ConvertAll(const Int8Convert& c, const void* src, void* dst, int64_t count) {
  if (count < kMinParallelCount) {
    ConvertRange<kIn, kOut>(c, src, dst, 0, count);
    return;
  }
  const int64_t chunks = (count + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < chunks; ++k) ConvertRange<kIn, kOut>(c, src, dst, k * kChunk, std::min(count, (k + 1) * kChunk));
}

#pragma GCC diagnostic pop
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi")
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

// Pixels [begin, end) of one image: per 16 pixels, each channel's 16 results side by side in a vector,
// then interleaved by one byte permute.
void ToNhwcRange(const Int8Convert& c, const float* src, uint8_t* dst, int64_t channels, int64_t pixels,
                 int64_t begin, int64_t end) {
  const __m512 scale = _mm512_set1_ps(c.scale), dst_zp = _mm512_set1_ps(static_cast<float>(c.dst_zp));
  const auto [lo, hi] = BoundsWithinType(-INFINITY, INFINITY, c.to);
  const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  alignas(64) uint8_t order[64] = {};
  for (int64_t j = 0; j < 16 * channels; ++j) order[j] = static_cast<uint8_t>(j % channels * 16 + j / channels);
  const __m512i index = _mm512_load_si512(order);
  for (int64_t i = begin; i < end; i += 16) {
    const int64_t count = std::min<int64_t>(16, end - i);
    const __mmask16 m = count == 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << count) - 1);
    __m512i planes = _mm512_setzero_si512();
    for (int64_t ch = 0; ch < channels; ++ch) {
      __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, src + ch * pixels + i), scale);
      if (c.dst_zp != 0) v = _mm512_add_ps(v, dst_zp);
      // In range after the clamp, so the truncating narrow is exact; the conversion rounds half to even.
      const __m128i q = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(v, vlo), vhi)));
      planes = _mm512_mask_blend_epi32(static_cast<__mmask16>(0xF << (4 * ch)), planes,
                                       _mm512_broadcast_i32x4(q));
    }
    const __mmask64 out = count * channels == 64 ? ~__mmask64{0} : (__mmask64{1} << (count * channels)) - 1;
    _mm512_mask_storeu_epi8(dst + i * channels, out, _mm512_permutexvar_epi8(index, planes));
  }
}

#pragma GCC diagnostic pop
#pragma GCC pop_options

template <EpilogueOut kIn>
void ConvertFrom(const Int8Convert& c, const void* src, void* dst, int64_t count) {
  switch (EpilogueOutOf(c.to)) {
    case EpilogueOut::kU8: return ConvertAll<kIn, EpilogueOut::kU8>(c, src, dst, count);
    case EpilogueOut::kS8: return ConvertAll<kIn, EpilogueOut::kS8>(c, src, dst, count);
    case EpilogueOut::kF32: return ConvertAll<kIn, EpilogueOut::kF32>(c, src, dst, count);
  }
}

}  // namespace

bool Int8ConvertSupports(const Int8Convert& c) {
  const bool known = (Is8Bit(c.from) || c.from == dt::f32) && (Is8Bit(c.to) || c.to == dt::f32);
  return known && (Is8Bit(c.from) || Is8Bit(c.to)) && CpuHasAvx512Vnni();
}

void RunInt8Convert(const Int8Convert& c, const void* src, void* dst, int64_t count) {
  switch (EpilogueOutOf(c.from)) {
    case EpilogueOut::kU8: return ConvertFrom<EpilogueOut::kU8>(c, src, dst, count);
    case EpilogueOut::kS8: return ConvertFrom<EpilogueOut::kS8>(c, src, dst, count);
    case EpilogueOut::kF32: return ConvertFrom<EpilogueOut::kF32>(c, src, dst, count);
  }
}

bool Int8ConvertToNhwcSupports(const Int8Convert& c, int64_t channels) {
  return c.from == dt::f32 && Is8Bit(c.to) && c.src_zp == 0 && channels >= 1 && channels <= 4 &&
         CpuHasAvx512VnniVbmi();
}

void RunInt8ConvertToNhwc(const Int8Convert& c, const float* src, void* dst, int64_t n, int64_t channels,
                          int64_t pixels) {
  const auto* in = src;
  auto* out = static_cast<uint8_t*>(dst);
  const bool parallel = n * channels * pixels >= kMinParallelCount;
  const int64_t chunks = (pixels + kChunk - 1) / kChunk;
#pragma omp parallel for collapse(2) schedule(static) if (parallel)
  for (int64_t img = 0; img < n; ++img) {
    for (int64_t k = 0; k < chunks; ++k) {
      const float* image = in + img * channels * pixels;
      uint8_t* o = out + img * channels * pixels;
      const int64_t b = k * kChunk, e = std::min(pixels, (k + 1) * kChunk);
      ToNhwcRange(c, image, o, channels, pixels, b, e);
    }
  }
}

}  // namespace q2i::runtime::kernels
