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

// A patch row whose window lies inside the image: one unaligned copy of kV bytes per filter row. Each
// copy runs past its kw * c bytes into the next filter row's place, which the next copy then writes;
// the last one runs past the row's end into the next patch row (and leaves arbitrary bytes in the zero
// tail, where the filter is zero). So the caller must write the following patch row after this one, and
// the source must hold kV bytes from each filter row's start, and the copy must end within that next row.
template <int kV>
void CopyInside(const uint8_t* from, int64_t row_bytes, int64_t kh, int64_t seg, char flip_bits, uint8_t* d) {
  const __m256i flip256 = _mm256_set1_epi8(flip_bits);
  const __m512i flip = _mm512_set1_epi8(flip_bits);
  for (int64_t ky = 0; ky < kh; ++ky, from += row_bytes, d += seg) {
    if constexpr (kV == 32) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d), _mm256_xor_si256(v, flip256));
    } else {
      _mm512_storeu_si512(d, _mm512_xor_si512(_mm512_loadu_si512(from), flip));
    }
  }
}

// The patch rows of output row `oy`: whole windows by CopyInside, the others (and a row's last, whose
// copy would run into the next output row, another thread's) with masked copies that write exactly.
template <int kV>
void GatherRow(const PatchShape& s, const uint8_t* src, int64_t oy, int64_t length, uint8_t* out) {
  const int64_t c = s.c, seg = s.kw * c, row_bytes = s.w * c, src_bytes = s.h * row_bytes;
  const __mmask64 whole = FirstBytes(seg), tail = FirstBytes(length - s.kh * seg);
  // The shift of s8 to u8 flips the sign bit; the padding value is then 128.
  const char flip_bits = s.shift_s8 ? static_cast<char>(0x80) : 0;
  const __m512i flip = _mm512_set1_epi8(flip_bits), pad = flip;
  const int64_t iy0 = oy * s.stride_h - s.pad_top;
  // CopyInside's last copy must end within the next patch row.
  const bool rows_inside = iy0 >= 0 && iy0 + s.kh <= s.h && (s.kh - 1) * seg + kV <= 2 * length;
  for (int64_t ox = 0; ox < s.ow; ++ox, out += length) {
    const int64_t ix0 = ox * s.stride_w - s.pad_left;
    const int64_t first = iy0 * row_bytes + ix0 * c;  // the window's first byte, when inside
    if (rows_inside && ix0 >= 0 && ix0 + s.kw <= s.w && ox + 1 < s.ow &&
        first + (s.kh - 1) * row_bytes + kV <= src_bytes) {
      CopyInside<kV>(src + first, row_bytes, s.kh, seg, flip_bits, out);
      continue;
    }
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
