#include "runtime/kernels/patch_gather.h"

#include <immintrin.h>

#include <algorithm>

#include "runtime/kernels/cpu_features.h"

namespace q2i::runtime::kernels {
namespace {

// Patches below this many bytes are gathered on the calling thread: waking a second one costs more.
constexpr int64_t kMinParallelBytes = 64 * 1024;

// Filters with fewer taps (kh * kw * c) than this stay on oneDNN's direct convolution: ResNet50's stem
// (147 taps, 64 output channels) ran in 0.70 ms over patches against 0.77 ms; MobileNetV1's (27 taps,
// 32 output channels) in 0.16-0.19 ms against 0.13 ms.
constexpr int64_t kMinPatchTaps = 64;

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw")

__mmask64 FirstBytes(int64_t n) { return n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1; }

// Patch rows [0, count) of windows that lie inside the image, the first at `from`, the next ones
// `step` source bytes on: one unaligned copy of kV bytes per filter row. Each copy runs past its kw * c
// bytes into the next filter row's place, which the next copy then writes; the last one runs past the
// patch row's end into the next patch row (and leaves arbitrary bytes in the zero tail, where the filter
// is zero). So the caller must write the patch row after the last one, the source must hold kV bytes
// from each filter row's start, and the copy must end within that next patch row. One tight loop: per
// pixel tests and spills made ResNet50's stem gather take 0.07-0.10 ms against 0.054 ms.
template <int kV>
void CopyInside(const uint8_t* from, int64_t step, int64_t count, int64_t row_bytes, int64_t kh, int64_t seg,
                int64_t length, char flip_bits, uint8_t* out) {
  const __m256i flip256 = _mm256_set1_epi8(flip_bits);
  const __m512i flip = _mm512_set1_epi8(flip_bits);
  for (int64_t i = 0; i < count; ++i, from += step, out += length) {
    const uint8_t* f = from;
    uint8_t* d = out;
    for (int64_t ky = 0; ky < kh; ++ky, f += row_bytes, d += seg) {
      if constexpr (kV == 32) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(f));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(d), _mm256_xor_si256(v, flip256));
      } else {
        _mm512_storeu_si512(d, _mm512_xor_si512(_mm512_loadu_si512(f), flip));
      }
    }
  }
}

// Patch row of output pixel (oy, ox) with masked copies that write exactly: for windows that reach into
// the padding, and a row's last (whose CopyInside would run into the next output row, another thread's).
void CopyMasked(const PatchShape& s, const uint8_t* src, int64_t iy0, int64_t ox, int64_t length, char flip_bits,
                uint8_t* out) {
  const int64_t c = s.c, seg = s.kw * c, row_bytes = s.w * c;
  const __mmask64 whole = FirstBytes(seg), tail = FirstBytes(length - s.kh * seg);
  const __m512i flip = _mm512_set1_epi8(flip_bits), pad = flip;
  const int64_t ix0 = ox * s.stride_w - s.pad_left;
  // The filter columns that fall inside the image.
  const int64_t kx_lo = std::max<int64_t>(0, -ix0), kx_hi = std::min(s.kw, s.w - ix0);
  const __mmask64 inside = kx_hi > kx_lo ? FirstBytes((kx_hi - kx_lo) * c) : 0;
  for (int64_t ky = 0; ky < s.kh; ++ky) {
    const int64_t iy = iy0 + ky;
    uint8_t* d = out + ky * seg;
    if (iy < 0 || iy >= s.h || inside == 0) {
      _mm512_mask_storeu_epi8(d, whole, pad);
      continue;
    }
    const uint8_t* from = src + iy * row_bytes + (ix0 + kx_lo) * c;
    if (kx_lo > 0 || kx_hi < s.kw) _mm512_mask_storeu_epi8(d, whole, pad);
    _mm512_mask_storeu_epi8(d + kx_lo * c, inside, _mm512_xor_si512(_mm512_maskz_loadu_epi8(inside, from), flip));
  }
  if (tail != 0) _mm512_mask_storeu_epi8(out + s.kh * seg, tail, pad);
}

// The patch rows of output row `oy`: the run of whole windows by CopyInside, the others by CopyMasked.
template <int kV>
void GatherRow(const PatchShape& s, const uint8_t* src, int64_t oy, int64_t length, uint8_t* out) {
  const int64_t c = s.c, seg = s.kw * c, row_bytes = s.w * c, src_bytes = s.h * row_bytes;
  // The shift of s8 to u8 flips the sign bit; the padding value is then 128.
  const char flip_bits = s.shift_s8 ? static_cast<char>(0x80) : 0;
  const int64_t iy0 = oy * s.stride_h - s.pad_top;
  // The pixels [lo, hi) whose windows CopyInside copies: inside the image with kV bytes readable from
  // each filter row's start, not the row's last, and the last copy ending within the next patch row.
  int64_t lo = 0, hi = 0;
  if (iy0 >= 0 && iy0 + s.kh <= s.h && (s.kh - 1) * seg + kV <= 2 * length) {
    lo = std::min(s.ow, (s.pad_left + s.stride_w - 1) / s.stride_w);  // ix0 >= 0
    const int64_t readable = src_bytes - kV - (iy0 + s.kh - 1) * row_bytes;  // ix0 * c <= readable
    const int64_t ix0_max = std::min(s.w - s.kw, readable >= 0 ? readable / c : -1);
    hi = std::min(s.ow - 1, ix0_max >= -s.pad_left ? (ix0_max + s.pad_left) / s.stride_w + 1 : 0);
    hi = std::max(hi, lo);
  }
  for (int64_t ox = 0; ox < lo; ++ox) CopyMasked(s, src, iy0, ox, length, flip_bits, out + ox * length);
  if (hi > lo) {
    const int64_t first = iy0 * row_bytes + (lo * s.stride_w - s.pad_left) * c;
    CopyInside<kV>(src + first, s.stride_w * c, hi - lo, row_bytes, s.kh, seg, length, flip_bits,
                   out + lo * length);
  }
  for (int64_t ox = hi; ox < s.ow; ++ox) CopyMasked(s, src, iy0, ox, length, flip_bits, out + ox * length);
}

#pragma GCC pop_options

}  // namespace

int64_t PatchLength(const PatchShape& s) { return (s.kh * s.kw * s.c + 3) / 4 * 4; }

bool PatchGatherSupports(const PatchShape& s) {
  return CpuHasAvx512Vnni() && s.c > 0 && s.h > 0 && s.w > 0 && s.oh > 0 && s.ow > 0 && s.kh > 0 && s.kw > 0 &&
         s.stride_h > 0 && s.stride_w > 0 && s.kw * s.c <= 64;
}

bool PatchConvPreferred(const PatchShape& s) {
  return s.c < 4 && s.kh * s.kw * s.c >= kMinPatchTaps && PatchGatherSupports(s);
}

void GatherPatches(const PatchShape& s, const uint8_t* src, int64_t row_begin, int64_t row_end, uint8_t* patches) {
  const int64_t length = PatchLength(s), row = s.ow * length;
  const bool parallel = (row_end - row_begin) * row >= kMinParallelBytes;
  const bool narrow = s.kw * s.c <= 32;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t oy = row_begin; oy < row_end; ++oy) {
    uint8_t* out = patches + (oy - row_begin) * row;
    if (narrow) {
      GatherRow<32>(s, src, oy, length, out);
    } else {
      GatherRow<64>(s, src, oy, length, out);
    }
  }
}

std::vector<int8_t> PatchFilter(const PatchShape& s, int64_t oc, const int8_t* filter) {
  const int64_t length = PatchLength(s);
  std::vector<int8_t> out(static_cast<size_t>(oc * length), 0);
  for (int64_t o = 0; o < oc; ++o) {
    for (int64_t ci = 0; ci < s.c; ++ci) {
      for (int64_t ky = 0; ky < s.kh; ++ky) {
        for (int64_t kx = 0; kx < s.kw; ++kx) {
          out[static_cast<size_t>(o * length + (ky * s.kw + kx) * s.c + ci)] =
              filter[((o * s.c + ci) * s.kh + ky) * s.kw + kx];
        }
      }
    }
  }
  return out;
}

std::vector<int32_t> ShiftCompensation(int64_t oc, int64_t inner, const int8_t* filter) {
  std::vector<int32_t> out(static_cast<size_t>(oc), 0);
  for (int64_t o = 0; o < oc; ++o) {
    int32_t sum = 0;
    for (int64_t i = 0; i < inner; ++i) sum += filter[o * inner + i];
    out[static_cast<size_t>(o)] = 128 * sum;
  }
  return out;
}

}  // namespace q2i::runtime::kernels
