#include "runtime/kernels/direct_conv_u8.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <tuple>
#include <utility>

#include "runtime/kernels/cpu_features.h"
#include "runtime/kernels/patch_gather.h"
#include "runtime/kernels/saturate.h"
#include "support/check.h"

namespace q2i::runtime::kernels {
namespace {

constexpr int64_t kBlock = 64;      // output channels per block: 4 vectors of 16
constexpr int64_t kOutVector = 16;  // output channels per accumulator
constexpr int kRowSegment = 7;      // pixels per segment of a row: 7 x 4 accumulators
// In window mode (a stem's long rows), 6 pixels: 24 accumulators, none kept in memory. ResNet50's stem in
// kernel_bench: 0.381-0.405 ms against 0.394-0.451 with 7 (5: 0.390-0.412).
constexpr int kWindowRowSegment = 6;
constexpr int kFlatSegment = 14;    // pixels per segment of a flat map: 14 x 2 accumulators
// How Run() shares the work of one image among threads. Maps up to 7x7 split by blocks of output
// channels: each thread streams only its blocks' weights, which dominate there. Larger maps split by
// output rows, each thread computing all blocks for its rows: the rows a thread reads are then mostly
// those its own core wrote in the layer before (reading 200 KB another core just wrote took 8.4 us
// here, against 2.2 us from the own core and 5.8 us from memory). In-process A/B on ResNet50 at 2
// threads: split by rows on 14x14 maps +1.9-2.3%; on 7x7 maps -1.8%.
constexpr int64_t kMostPixelsSplitByBlocks = 7 * 7;
// The smallest stem (fewer than 4 input channels) preferred in window mode, at 2 threads or more:
// ResNet50's 7x7 x 3 = 147 taps were measured (bench/README.md); 3x3 stems (27 taps) lose no work to
// oneDNN's 4-channel steps.
constexpr int64_t kMinStemTaps = 64;

using Out = EpilogueOut;

// One segment's place: where its input starts (padded coordinates), which filter rows it uses, where it
// writes, and the prefetch stream it advances.
struct Segment {
  const uint8_t* in;   // input pixel (y * stride_h, x0 * stride_w) of the image; of a flat map, pixel p0
  const int8_t* w;     // the block's packed weights at filter row ky0 (and the segment's first channel)
  int64_t ky0, ky1;    // filter rows inside the image
  int64_t nx;          // output columns
  int64_t col0;        // padded input column of the first pixel's first tap (x0 * stride_w)
  bool in_one_row;     // the pixels lie in one row, so a tap can fall in its padding columns
};

// Part `part` of `parts` of n things (rows or segments): [n * part / parts, n * (part + 1) / parts).
struct Band {
  int64_t begin, end;
};
Band BandOf(int64_t n, int64_t part, int64_t parts) { return {n * part / parts, n * (part + 1) / parts}; }

// The hint of the weight prefetches. In-process A/B on ResNet50 b1 against T1 (bench/README.md): T0 was
// 0.6-1.4% faster at 1 thread and 0.4-2.2% at 2 threads on this project's AMD EPYC VM.
constexpr _mm_hint kWeightPrefetchHint = _MM_HINT_T0;

struct Prefetch {
  const char* next = nullptr;  // the next line to fetch
  int64_t left = 0;            // lines left
  int64_t per_tap = 0;         // lines per filter tap
};

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")
// GCC 12 reports the intrinsics' deliberately undefined pass-through operands (its bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

// One filter tap's input channels [q0, q1) for pixels [SL, NX - SR) of the segment: the pixels left out
// would read padding there.
template <int NX, int OV, int SL, int SR>
inline __attribute__((always_inline)) void TapQuads(__m512i* acc, const uint8_t* in, int64_t px, const int8_t*& w,
                                                    int64_t q0, int64_t q1) {
  for (int64_t q = q0; q < q1; ++q) {
    __m512i wv[OV];
#pragma GCC unroll 4
    for (int j = 0; j < OV; ++j) wv[j] = _mm512_load_si512(w + 64 * j);
    w += kBlock * 4;  // a quad of all the block's channels, whichever OV x 16 of them this reads
#pragma GCC unroll 16
    for (int x = SL; x < NX - SR; ++x) {
      int32_t quad;
      std::memcpy(&quad, in + x * px + q * 4, 4);
      const __m512i b = _mm512_set1_epi32(quad);
#pragma GCC unroll 4
      for (int j = 0; j < OV; ++j) acc[x * OV + j] = _mm512_dpbusd_epi32(acc[x * OV + j], b, wv[j]);
    }
  }
}

// Accumulates NX pixels x OV vectors of 16 output channels over the segment's filter rows, all columns,
// all input channels; spreads `pf.per_tap` prefetches over each tap's input channels. A tap whose column
// falls in the padding for the segment's first or last pixel skips that pixel. Two shapes:
// - 7 x 4 (a row of a small map): 28 accumulators, 4 weight vectors and a broadcast need 33 vector
//   registers, so GCC keeps one accumulator in memory. The arrangements tried to avoid that (two half
//   passes per quad, fused epilogue) made it spill far more (bench/README.md).
// - 14 x 2 (flat maps, see RunItem): 28 accumulators, 2 weight vectors and a broadcast fit in 31.
template <int NX, int OV>
void Accumulate(const DirectConvU8Shape& s, int64_t wp, int64_t pixel, const Segment& g, Prefetch& pf,
                __m512i* out) {
  __m512i acc[NX * OV];
#pragma GCC unroll 32
  for (int i = 0; i < NX * OV; ++i) acc[i] = _mm512_setzero_si512();
  const int64_t quads = s.c / 4, px = s.stride_w * pixel, row = wp * pixel;
  const int8_t* w = g.w;
  // Input channels per prefetch: the tap's lines spread evenly over its quads.
  const int64_t every = pf.per_tap > 0 ? std::max<int64_t>(1, quads / pf.per_tap) : quads;
  const char* next = pf.next;
  int64_t left = pf.left;
  const int64_t last_col = g.col0 + (NX - 1) * s.stride_w;
  for (int64_t ky = g.ky0; ky < g.ky1; ++ky) {
    for (int64_t kx = 0; kx < s.kw; ++kx) {
      const uint8_t* in = g.in + ky * row + kx * pixel;
      const int skip = !g.in_one_row || s.s8_input ? 0
                                     : (g.col0 + kx < s.pad_left ? 2 : 0) + (last_col + kx >= s.pad_left + s.w ? 1 : 0);
      int64_t issue = std::min(pf.per_tap, left);
      left -= issue;
      for (int64_t q0 = 0; q0 < quads; q0 += every) {
        if (issue > 0) {
          _mm_prefetch(next, kWeightPrefetchHint);
          next += 64;
          --issue;
        }
        const int64_t q1 = std::min(quads, q0 + every);
        switch (skip) {
          case 0: TapQuads<NX, OV, 0, 0>(acc, in, px, w, q0, q1); break;
          case 1: TapQuads<NX, OV, 0, 1>(acc, in, px, w, q0, q1); break;
          case 2: TapQuads<NX, OV, 1, 0>(acc, in, px, w, q0, q1); break;
          default: TapQuads<NX, OV, 1, 1>(acc, in, px, w, q0, q1); break;
        }
      }
      for (; issue > 0; --issue, next += 64) _mm_prefetch(next, kWeightPrefetchHint);
    }
  }
  pf.next = next;
  pf.left = left;
#pragma GCC unroll 32
  for (int i = 0; i < NX * OV; ++i) out[i] = acc[i];
}

using AccumulateFn = void (*)(const DirectConvU8Shape&, int64_t, int64_t, const Segment&, Prefetch&, __m512i*);

// Accumulate for 1..N pixels, indexed by the segment's pixel count.
template <int OV, typename Counts>
struct AccumulateTable;
template <int OV, int... NX>
struct AccumulateTable<OV, std::integer_sequence<int, NX...>> {
  static constexpr AccumulateFn by_pixels[] = {nullptr, &Accumulate<NX + 1, OV>...};
};
using AccumulateRow = AccumulateTable<4, std::make_integer_sequence<int, kRowSegment>>;
using AccumulateFlat = AccumulateTable<2, std::make_integer_sequence<int, kFlatSegment>>;

__m512 Round(__m512 v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }

__m512 RoundClip127(__m512 v) {
  return _mm512_min_ps(_mm512_max_ps(Round(v), _mm512_set1_ps(-127.f)), _mm512_set1_ps(127.f));
}

__m512 LoadResidual(const void* p, dnnl::memory::data_type t) {
  if (t == dnnl::memory::data_type::u8) {
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(static_cast<const __m128i*>(p))));
  }
  if (t == dnnl::memory::data_type::s8) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(static_cast<const __m128i*>(p))));
  }
  return _mm512_loadu_ps(p);
}

// The epilogue's scalars, copied out of it: stores through the destination may alias the epilogue
// itself, and these stay in registers.
struct Post {
  explicit Post(const DirectConvU8Epilogue& e, const float* bias_in)
      : scale(e.scale.data()), bias(bias_in), pre_residual(e.pre_residual_rescale.has_value()),
        pre_rescale(e.pre_residual_rescale.value_or(1.f)), residual(e.residual), sum_scale(e.sum_scale),
        residual_type(e.residual_type), pre_activation(e.pre_activation_round), post_rescale(e.post_rescale),
        lo(e.lo), hi(e.hi) {
    // clamp(clamp(r, -127, 127) * post, lo, hi) == clamp(r * post, max(lo, -127 * post), min(hi, 127 * post))
    // exactly when post > 0 (a float product is monotonic in r) and lo <= 0 <= hi (every activation bound
    // here: none, relu, relu6): the pre-activation clip joins the bounds, two instructions fewer per vector
    // in the residual convolutions.
    if (pre_activation && post_rescale > 0.f && lo <= 0.f && hi >= 0.f) {
      lo = std::max(lo, -127.f * post_rescale);
      hi = std::min(hi, 127.f * post_rescale);
      pre_activation_clip = false;
    }
  }
  const float* scale;
  const float* bias;
  bool pre_residual;
  float pre_rescale;
  bool residual;
  float sum_scale;
  dnnl::memory::data_type residual_type;
  bool pre_activation;
  bool pre_activation_clip = true;  // false: lo and hi hold it
  float post_rescale, lo, hi;
};

// Applies the epilogue (the header's formula) to one segment's accumulators (nx pixels x OV vectors, from
// channel oc0) and stores them.
template <Out O, int OV>
inline __attribute__((always_inline)) void Store(const Post& p, int64_t oc, int64_t oc0, const __m512i* acc,
                                                 int64_t nx, char* dst_pixel) {
  constexpr int64_t elem = O == Out::kF32 ? 4 : 1;
  const __m512 lo = _mm512_set1_ps(p.lo), hi = _mm512_set1_ps(p.hi), post = _mm512_set1_ps(p.post_rescale);
  const __m512 pre = _mm512_set1_ps(p.pre_rescale), sum = _mm512_set1_ps(p.sum_scale);
  for (int64_t x = 0; x < nx; ++x) {
    char* d = dst_pixel + x * oc * elem;
    for (int64_t j = 0; j < OV; ++j) {
      const int64_t c = oc0 + j * kOutVector;
      __m512 v = _mm512_add_ps(_mm512_cvtepi32_ps(acc[x * OV + j]), _mm512_loadu_ps(p.bias + c));
      v = _mm512_mul_ps(v, _mm512_loadu_ps(p.scale + c));
      if (p.pre_residual) v = _mm512_mul_ps(RoundClip127(v), pre);
      if (p.residual) v = _mm512_fmadd_ps(sum, LoadResidual(d + c * elem, p.residual_type), v);
      if (p.pre_activation) v = p.pre_activation_clip ? RoundClip127(v) : Round(v);
      v = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(v, post), lo), hi);
      if constexpr (O == Out::kU8) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(d + c), _mm512_cvtusepi32_epi8(_mm512_cvtps_epi32(v)));
      } else if constexpr (O == Out::kS8) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(d + c), _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(v)));
      } else {
        _mm512_storeu_ps(d + c * 4, v);
      }
    }
  }
}

// Whether the map is one flat run of pixels: a 1x1 filter at stride 1 over an unpadded input reads
// output pixel p at input pixel p, across rows.
bool IsFlat(const DirectConvU8Shape& s, int64_t wp) {
  return s.kh == 1 && s.kw == 1 && s.stride_h == 1 && s.stride_w == 1 && wp == s.w && s.oh == s.h;
}

// One image and block of output channels, or part `part` of `parts` of its rows (of a flat map, of its
// segments), of an input of `pixel` bytes per pixel (s.c but in window mode), prefetching `next` (the
// thread's next block, the next step's leading weights, or nothing) over the whole item. A flat map runs
// in segments of 14 pixels, once per half of the block (2 x 16 channels); any other map row by row, in
// segments of 7 pixels (window mode: 6) and all 64 channels.
template <Out O>
void RunItem(const DirectConvU8Shape& s, const DirectConvU8Epilogue& e, const float* bias, const int8_t* block,
             std::span<const std::byte> next, const uint8_t* image, int64_t wp, int64_t pixel, int64_t oc0,
             char* dst_image, int part, int parts) {
  const int64_t tap_bytes = s.c * kBlock;
  const bool flat = IsFlat(s, wp);
  const int64_t pixels = s.oh * s.ow;
  const int64_t seg = pixel != s.c ? kWindowRowSegment : kRowSegment;  // pixels per row segment
  // This part's segments of a flat map, or its output rows.
  const Band band = BandOf(flat ? (pixels + kFlatSegment - 1) / kFlatSegment : s.oh, part, parts);
  // Filter rows inside the image; all with an s8 input, whose padding (128 in the copy) counts.
  auto rows_of = [&](int64_t y) {
    if (s.s8_input) return std::make_pair(int64_t{0}, s.kh);
    const int64_t top = y * s.stride_h;
    return std::make_pair(std::max<int64_t>(0, s.pad_top - top), std::min(s.kh, s.pad_top + s.h - top));
  };
  Prefetch pf;
  if (!next.empty()) {
    int64_t taps = 0;
    if (flat) {
      taps = 2 * (band.end - band.begin);
    } else {
      const int64_t segments = (s.ow + seg - 1) / seg;
      for (int64_t y = band.begin; y < band.end; ++y) {
        const auto [ky0, ky1] = rows_of(y);
        taps += std::max<int64_t>(0, ky1 - ky0) * s.kw * segments;
      }
    }
    pf.next = reinterpret_cast<const char*>(next.data());
    pf.left = static_cast<int64_t>((next.size() + 63) / 64);
    pf.per_tap = taps > 0 ? (pf.left + taps - 1) / taps : 0;
  }
  constexpr int64_t elem = O == Out::kF32 ? 4 : 1;
  const Post post(e, bias);
  static_assert(kFlatSegment * 2 >= kRowSegment * 4);
  alignas(64) __m512i acc[kFlatSegment * 2];
  if (flat) {
    for (int64_t half = 0; half < 2; ++half) {
      for (int64_t segment = band.begin; segment < band.end; ++segment) {
        const int64_t p0 = segment * kFlatSegment;
        const Segment g{.in = image + p0 * pixel,
                        .w = block + half * 2 * kOutVector * 4,
                        .ky0 = 0,
                        .ky1 = 1,
                        .nx = std::min<int64_t>(kFlatSegment, pixels - p0),
                        .col0 = 0,
                        .in_one_row = false};
        AccumulateFlat::by_pixels[g.nx](s, wp, pixel, g, pf, acc);
        Store<O, 2>(post, s.oc, oc0 + half * 2 * kOutVector, acc, g.nx, dst_image + p0 * s.oc * elem);
      }
    }
    return;
  }
  for (int64_t y = band.begin; y < band.end; ++y) {
    const auto [ky0, ky1] = rows_of(y);
    for (int64_t x0 = 0; x0 < s.ow; x0 += seg) {
      const Segment g{.in = image + (y * s.stride_h * wp + x0 * s.stride_w) * pixel,
                      .w = block + ky0 * s.kw * tap_bytes,
                      .ky0 = ky0,
                      .ky1 = std::max(ky0, ky1),
                      .nx = std::min<int64_t>(seg, s.ow - x0),
                      .col0 = x0 * s.stride_w,
                      .in_one_row = true};
      AccumulateRow::by_pixels[g.nx](s, wp, pixel, g, pf, acc);
      Store<O, 4>(post, s.oc, oc0, acc, g.nx, dst_image + ((y * s.ow + x0) * s.oc) * elem);
    }
  }
}

using RunItemFn = void (*)(const DirectConvU8Shape&, const DirectConvU8Epilogue&, const float*, const int8_t*,
                           std::span<const std::byte>, const uint8_t*, int64_t, int64_t, int64_t, char*, int, int);

RunItemFn SelectRunItem(Out o) {
  switch (o) {
    case Out::kU8: return &RunItem<Out::kU8>;
    case Out::kS8: return &RunItem<Out::kS8>;
    case Out::kF32: break;
  }
  return &RunItem<Out::kF32>;
}

#pragma GCC diagnostic pop
#pragma GCC pop_options

}  // namespace

bool DirectConvU8Supports(const DirectConvU8Shape& s) {
  if (s.n < 1 || s.c < 1 || s.oc < kBlock || s.oc % kBlock != 0 || s.h < 1 || s.w < 1 ||
      s.oh < 1 || s.ow < 1 || s.kh < 1 || s.kw < 1 || s.stride_h < 1 || s.stride_w < 1) {
    return false;
  }
  const int64_t pad_bottom = (s.oh - 1) * s.stride_h + s.kh - s.pad_top - s.h;
  const int64_t pad_right = (s.ow - 1) * s.stride_w + s.kw - s.pad_left - s.w;
  return s.pad_top >= 0 && s.pad_top < s.kh && s.pad_left >= 0 && s.pad_left < s.kw && pad_bottom < s.kh &&
         pad_right < s.kw && CpuHasAvx512Vnni();
}

bool SplitsByRows(const DirectConvU8Shape& s, int num_threads) {
  return num_threads > 1 && s.n == 1 && s.oh * s.ow > kMostPixelsSplitByBlocks;
}

bool DirectConvU8Preferred(const DirectConvU8Shape& s, int num_threads) {
  const bool stem = s.c < 4 && s.kh * s.kw * s.c >= kMinStemTaps && num_threads > 1;
  return DirectConvU8Supports(s) && (stem || (s.n == 1 && !s.s8_input && s.oh * s.ow <= 14 * 14));
}

DirectConvU8::DirectConvU8(const DirectConvU8Shape& shape, const int8_t* weights, DirectConvU8Epilogue epilogue,
                           int num_threads)
    : s_(shape), e_(std::move(epilogue)), num_threads_(std::max(1, num_threads)) {
  Q2I_CHECK(DirectConvU8Supports(s_));
  Q2I_CHECK(static_cast<int64_t>(e_.scale.size()) == s_.oc);
  Q2I_CHECK(e_.bias.empty() || static_cast<int64_t>(e_.bias.size()) == s_.oc);
  std::tie(e_.lo, e_.hi) = BoundsWithinType(e_.lo, e_.hi, e_.dst);
  bias_ = std::move(e_.bias);  // the epilogue keeps no second copy
  if (bias_.empty()) bias_.assign(static_cast<size_t>(s_.oc), 0.f);
  run_ = s_;
  hp_ = std::max(s_.pad_top + s_.h, (s_.oh - 1) * s_.stride_h + s_.kh);
  wp_ = std::max(s_.pad_left + s_.w, (s_.ow - 1) * s_.stride_w + s_.kw);
  const bool window = s_.c % 4 != 0;
  if (window) {  // one tap per filter row over its kw * c bytes, all columns in the copy
    run_.c = (s_.kw * s_.c + 3) / 4 * 4;
    run_.kw = 1;
    run_.w = wp_;
    run_.pad_left = 0;
    copy_ = InputCopy::kPadded;
  } else if (s_.kh == 1 && s_.kw == 1 && (s_.stride_h > 1 || s_.stride_w > 1)) {  // Supports: no padding
    copy_ = InputCopy::kGathered;
    run_.h = hp_ = s_.oh;
    run_.w = wp_ = s_.ow;
    run_.stride_h = run_.stride_w = 1;
  } else if (s_.s8_input || s_.pad_top > 0 || s_.pad_left > 0 || hp_ != s_.h || wp_ != s_.w) {
    copy_ = InputCopy::kPadded;
  }
  // [oc / 64][kh][kw][c / 4][64][4] of run_: the order Accumulate reads them in. Filter row ky's tap t
  // and channel i are (kx, ci) of s_, or in window mode byte kx * c + ci of the row's window.
  const int64_t taps = run_.kh * run_.kw, total = s_.oc * run_.c * taps;
  packed_.assign(static_cast<size_t>(total + 64), 0);
  int8_t* p = packed_.data() + (64 - reinterpret_cast<uintptr_t>(packed_.data()) % 64) % 64;
  packed_data_ = p;
  for (int64_t o = 0; o < s_.oc; ++o) {
    for (int64_t ci = 0; ci < s_.c; ++ci) {
      for (int64_t ky = 0; ky < s_.kh; ++ky) {
        for (int64_t kx = 0; kx < s_.kw; ++kx) {
          const int64_t t = window ? ky : ky * s_.kw + kx, i = window ? kx * s_.c + ci : ci;
          const int64_t at = (((o / kBlock * taps + t) * (run_.c / 4) + i / 4) * kBlock + o % kBlock) * 4 + i % 4;
          p[at] = weights[((o * s_.c + ci) * s_.kh + ky) * s_.kw + kx];
        }
      }
    }
  }
  // An s8 input is read as u8 x + 128 (padding included): take back 128 x each filter's sum.
  if (s_.s8_input) {
    const std::vector<int32_t> comp = ShiftCompensation(s_.oc, s_.c * s_.kh * s_.kw, weights);
    for (size_t o = 0; o < bias_.size(); ++o) bias_[o] -= static_cast<float>(comp[o]);
  }
  if (copy_ != InputCopy::kNone) {
    // 64 bytes for the alignment, 64 for window mode's reads past a row's last window.
    copy_buffer_.assign(static_cast<size_t>(s_.n * hp_ * wp_ * s_.c + 128), s_.s8_input ? 0x80 : 0);
    copy_data_ = copy_buffer_.data() + (64 - reinterpret_cast<uintptr_t>(copy_buffer_.data()) % 64) % 64;
  }
}

std::span<const std::byte> DirectConvU8::leading_weights() const {
  return std::as_bytes(std::span(packed_data_, static_cast<size_t>(run_.kh * run_.kw * run_.c * kBlock)));
}

void DirectConvU8::CopyInput(const uint8_t* src, int64_t img, int64_t part, int64_t parts) const {
  const auto c = static_cast<size_t>(s_.c);
  if (copy_ == InputCopy::kPadded) {
    const Band rows = BandOf(s_.h, part, parts);
    const auto bytes = static_cast<size_t>(s_.w) * c;
    for (int64_t y = rows.begin; y < rows.end; ++y) {
      uint8_t* to = copy_data_ + ((img * hp_ + s_.pad_top + y) * wp_ + s_.pad_left) * s_.c;
      const uint8_t* from = src + (img * s_.h + y) * s_.w * s_.c;
      if (s_.s8_input) {
        for (size_t i = 0; i < bytes; ++i) to[i] = from[i] ^ 0x80;  // s8 x -> u8 x + 128
      } else {
        std::memcpy(to, from, bytes);
      }
    }
  } else if (copy_ == InputCopy::kGathered) {
    const Band rows = BandOf(s_.oh, part, parts);
    for (int64_t y = rows.begin; y < rows.end; ++y) {
      const uint8_t* from = src + (img * s_.h + y * s_.stride_h) * s_.w * s_.c;
      uint8_t* to = copy_data_ + (img * s_.oh + y) * s_.ow * s_.c;
      for (int64_t x = 0; x < s_.ow; ++x, to += c) {
        std::memcpy(to, from + x * s_.stride_w * s_.c, c);
        if (s_.s8_input) {
          for (size_t i = 0; i < c; ++i) to[i] ^= 0x80;
        }
      }
    }
  }
}

void DirectConvU8::Run(const uint8_t* src, void* dst) const {
  const uint8_t* in = copy_ == InputCopy::kNone ? src : copy_data_;
  const int64_t blocks = s_.oc / kBlock, items = s_.n * blocks;
  const int64_t block_bytes = run_.kh * run_.kw * run_.c * kBlock;
  const int64_t elem = EpilogueOutOf(e_.dst) == Out::kF32 ? 4 : 1;
  char* out = static_cast<char*>(dst);
  const RunItemFn run_item = SelectRunItem(EpilogueOutOf(e_.dst));
  auto block_weights = [&](int64_t b) {
    return std::as_bytes(std::span(packed_data_ + b * block_bytes, static_cast<size_t>(block_bytes)));
  };
  if (SplitsByRows(s_, num_threads_)) {
    // Each thread copies, then computes for every block, its own rows of the image.
#pragma omp parallel num_threads(num_threads_)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      if (copy_ != InputCopy::kNone) {
        CopyInput(src, 0, t, nt);
#pragma omp barrier
      }
      for (int64_t b = 0; b < blocks; ++b) {
        const std::span<const std::byte> next = b + 1 < blocks ? block_weights(b + 1) : t == 0 ? after_ : std::span<const std::byte>{};
        run_item(run_, e_, bias_.data(), packed_data_ + b * block_bytes, next, in, wp_, s_.c, b * kBlock, out, t, nt);
      }
    }
    return;
  }
  const int threads = static_cast<int>(std::min<int64_t>(num_threads_, items));
  // Each thread takes a contiguous range of items (image-major), so it streams its own blocks' weights.
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    if (copy_ != InputCopy::kNone) {
#pragma omp for schedule(static)
      for (int64_t img = 0; img < s_.n; ++img) CopyInput(src, img, 0, 1);
    }
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t begin = items * t / nt, end = items * (t + 1) / nt;
    for (int64_t i = begin; i < end; ++i) {
      const int64_t img = i / blocks, b = i % blocks;
      // The thread's next block, or at its end (first thread) the next step's leading weights.
      std::span<const std::byte> next;
      if (i + 1 < end) {
        next = block_weights((i + 1) % blocks);
      } else if (t == 0) {
        next = after_;
      }
      run_item(run_, e_, bias_.data(), packed_data_ + b * block_bytes, next, in + img * hp_ * wp_ * s_.c, wp_,
              s_.c, b * kBlock, out + img * s_.oh * s_.ow * s_.oc * elem, 0, 1);
    }
  }
}

}  // namespace q2i::runtime::kernels
