#include "runtime/kernels/dw_conv_u8.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "runtime/kernels/cpu_features.h"
#include "runtime/kernels/saturate.h"
#include "support/check.h"

namespace q2i::runtime::kernels {
namespace {

constexpr int64_t kMaxKh = 7, kMaxDilation = 4;
constexpr int64_t kMaxRingRows = (kMaxKh - 1) * kMaxDilation + 1;
// Bytes of rewritten rows per thread: MobileNetV1 at 224x224 needs no column tiles under it. A 16 KB
// budget (tiles on its 56- and 112-wide maps) was 2% slower in the network at batch 1 and 6% at batch 16.
constexpr int64_t kRingBudget = 48 * 1024;

using Out = EpilogueOut;

// What one work item (an image, a block of channels, a range of output rows) reads and writes.
struct ItemArgs {
  const DwConvU8Shape* s;
  const int8_t* packed;  // [kh][c][4], channels in quad order (ChannelAt)
  const float* bias;     // [c], quad order
  const float* scale;    // [c], quad order
  float lo, hi;
  const uint8_t* src;
  void* dst;
  const uint8_t* zero_row;
  int64_t ring_rows, row_bytes;
};

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi")
// GCC 12 reports the intrinsics' deliberately undefined pass-through operands (its bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

// Index tables of the cross-lane permutes for blocks of 16 and 32 channels (see RewriteColumn): byte j of
// a pair vector is t0[j / 2] or t1[j / 2]; word m of a quad vector is pair01[m / 2] or pair23[m / 2], for
// channels 0..15 (lo) or 16..31 (hi).
struct QuadTables {
  alignas(64) uint8_t bytes[64];
  alignas(64) uint16_t words_lo[32], words_hi[32];
};

constexpr QuadTables MakeQuadTables() {
  QuadTables t{};
  for (int j = 0; j < 64; ++j) t.bytes[j] = static_cast<uint8_t>((j % 2) * 64 + j / 2);
  for (int m = 0; m < 32; ++m) {
    t.words_lo[m] = static_cast<uint16_t>((m % 2) * 32 + m / 2);
    t.words_hi[m] = static_cast<uint16_t>((m % 2) * 32 + 16 + m / 2);
  }
  return t;
}

constexpr QuadTables kQuadTables = MakeQuadTables();

// One output column's tap quads: B vectors of 16 channels x 4 taps (64 bytes each); dword i of the
// block's quads holds the 4 taps of channel ChannelAt(16 * B, i). Blocks of 64 channels interleave within
// 128-bit lanes (cheap unpacks); smaller ones pair taps 0/1 and 2/3 with cross-lane byte permutes and
// join the pairs with a word permute, in channel order. kBorder: some taps may fall outside the row.
template <int B, int KW, bool kBorder>
inline void RewriteColumn(const DwConvU8Shape& s, const uint8_t* row, int64_t x0, __m512i* out) {
  __m512i tap[4];
  for (int k = 0; k < 4; ++k) {
    const int64_t x = x0 + k * s.dilation_w;
    if (k >= KW || (kBorder && (x < 0 || x >= s.w))) {
      tap[k] = _mm512_setzero_si512();
      continue;
    }
    const uint8_t* p = row + x * s.c;
    if constexpr (B == 4) {
      tap[k] = _mm512_loadu_si512(p);
    } else if constexpr (B == 2) {
      tap[k] = _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    } else {
      tap[k] = _mm512_zextsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    }
  }
  if constexpr (B == 4) {
    // In-lane interleaving: quad vector k, 128-bit lane L, dword j holds channel 16 L + 4 k + j
    // (ChannelAt); the in-lane packs of the epilogue restore the order.
    const __m512i ab_lo = _mm512_unpacklo_epi8(tap[0], tap[1]), ab_hi = _mm512_unpackhi_epi8(tap[0], tap[1]);
    const __m512i cd_lo = _mm512_unpacklo_epi8(tap[2], tap[3]), cd_hi = _mm512_unpackhi_epi8(tap[2], tap[3]);
    _mm512_store_si512(out + 0, _mm512_unpacklo_epi16(ab_lo, cd_lo));
    _mm512_store_si512(out + 1, _mm512_unpackhi_epi16(ab_lo, cd_lo));
    _mm512_store_si512(out + 2, _mm512_unpacklo_epi16(ab_hi, cd_hi));
    _mm512_store_si512(out + 3, _mm512_unpackhi_epi16(ab_hi, cd_hi));
  } else {
    const __m512i bytes = _mm512_load_si512(kQuadTables.bytes);
    const __m512i p01 = _mm512_permutex2var_epi8(tap[0], bytes, tap[1]);
    const __m512i p23 = _mm512_permutex2var_epi8(tap[2], bytes, tap[3]);
    _mm512_store_si512(out, _mm512_permutex2var_epi16(p01, _mm512_load_si512(kQuadTables.words_lo), p23));
    if constexpr (B == 2) {
      _mm512_store_si512(out + 1, _mm512_permutex2var_epi16(p01, _mm512_load_si512(kQuadTables.words_hi), p23));
    }
  }
}

// Input row `row` (pixel 0, channel c0) as tap quads for output columns [ox0, ox1), into 64-byte aligned
// `out` (column ox at quad vector (ox - ox0) * B).
template <int B, int KW>
void RewriteRow(const DwConvU8Shape& s, const uint8_t* row, int64_t ox0, int64_t ox1, uint8_t* out) {
  // Columns whose taps all fall inside the row: [first, end).
  const int64_t first = std::clamp((s.pad_left + s.stride_w - 1) / s.stride_w, ox0, ox1);
  const int64_t last_x = s.w - 1 - (KW - 1) * s.dilation_w + s.pad_left;  // largest x0 + pad that fits
  const int64_t end = last_x < 0 ? first : std::clamp(last_x / s.stride_w + 1, first, ox1);
  __m512i* o = reinterpret_cast<__m512i*>(out);
  for (int64_t ox = ox0; ox < first; ++ox) {
    RewriteColumn<B, KW, true>(s, row, ox * s.stride_w - s.pad_left, o + (ox - ox0) * B);
  }
  for (int64_t ox = first; ox < end; ++ox) {
    RewriteColumn<B, KW, false>(s, row, ox * s.stride_w - s.pad_left, o + (ox - ox0) * B);
  }
  for (int64_t ox = end; ox < ox1; ++ox) {
    RewriteColumn<B, KW, true>(s, row, ox * s.stride_w - s.pad_left, o + (ox - ox0) * B);
  }
}

using RewriteFn = void (*)(const DwConvU8Shape&, const uint8_t*, int64_t, int64_t, uint8_t*);

template <int B>
RewriteFn SelectRewrite(int64_t kw) {
  switch (kw) {
    case 1: return &RewriteRow<B, 1>;
    case 2: return &RewriteRow<B, 2>;
    case 3: return &RewriteRow<B, 3>;
    default: return &RewriteRow<B, 4>;
  }
}

// Stores 64 channels held in the in-lane order of ChannelAt(4, .) in channel order. Integers: the in-lane
// packs (32 -> 16 -> 8 bits, saturating) undo the interleaving. Floats: a 4x4 transpose of 128-bit lanes.
template <Out D>
inline void StoreInLane(const __m512 f[4], uint8_t* dst) {
  if constexpr (D == Out::kF32) {
    const __m512 t0 = _mm512_shuffle_f32x4(f[0], f[1], 0x44), t1 = _mm512_shuffle_f32x4(f[0], f[1], 0xEE);
    const __m512 t2 = _mm512_shuffle_f32x4(f[2], f[3], 0x44), t3 = _mm512_shuffle_f32x4(f[2], f[3], 0xEE);
    float* o = reinterpret_cast<float*>(dst);
    _mm512_storeu_ps(o + 0, _mm512_shuffle_f32x4(t0, t2, 0x88));
    _mm512_storeu_ps(o + 16, _mm512_shuffle_f32x4(t0, t2, 0xDD));
    _mm512_storeu_ps(o + 32, _mm512_shuffle_f32x4(t1, t3, 0x88));
    _mm512_storeu_ps(o + 48, _mm512_shuffle_f32x4(t1, t3, 0xDD));
  } else {
    const __m512i i0 = _mm512_cvtps_epi32(f[0]), i1 = _mm512_cvtps_epi32(f[1]);
    const __m512i i2 = _mm512_cvtps_epi32(f[2]), i3 = _mm512_cvtps_epi32(f[3]);
    __m512i bytes;
    if constexpr (D == Out::kU8) {
      bytes = _mm512_packus_epi16(_mm512_packus_epi32(i0, i1), _mm512_packus_epi32(i2, i3));
    } else {
      bytes = _mm512_packs_epi16(_mm512_packs_epi32(i0, i1), _mm512_packs_epi32(i2, i3));
    }
    _mm512_storeu_si512(dst, bytes);
  }
}

// One work item: image n, channels [c0, c0 + 16 B), output rows [y0, y1) and columns [x0, x1), with
// `ring` as this thread's scratch.
struct Item {
  int64_t n, c0, y0, y1, x0, x1;
};

template <int KH, int B, Out D>
void RunItem(const ItemArgs& a, uint8_t* ring, const Item& it) {
  const int64_t n = it.n, c0 = it.c0;
  const DwConvU8Shape& s = *a.s;
  __m512i w[KH][B];
  __m512 bias[B], scale[B];
  for (int b = 0; b < B; ++b) {
    for (int ky = 0; ky < KH; ++ky) w[ky][b] = _mm512_loadu_si512(a.packed + (ky * s.c + c0 + 16 * b) * 4);
    bias[b] = _mm512_loadu_ps(a.bias + c0 + 16 * b);
    scale[b] = _mm512_loadu_ps(a.scale + c0 + 16 * b);
  }
  const __m512 lo = _mm512_set1_ps(a.lo), hi = _mm512_set1_ps(a.hi);
  const RewriteFn rewrite = SelectRewrite<B>(s.kw);
  int64_t tag[kMaxRingRows];
  std::fill(tag, tag + a.ring_rows, int64_t{-1});
  const uint8_t* image = a.src + n * s.h * s.w * s.c + c0;
  for (int64_t oy = it.y0; oy < it.y1; ++oy) {
    const uint8_t* rows[KH];
    for (int ky = 0; ky < KH; ++ky) {
      const int64_t iy = oy * s.stride_h - s.pad_top + ky * s.dilation_h;
      if (iy < 0 || iy >= s.h) {
        rows[ky] = a.zero_row;
        continue;
      }
      const int64_t slot = iy % a.ring_rows;
      uint8_t* r = ring + slot * a.row_bytes;
      if (tag[slot] != iy) {
        rewrite(s, image + iy * s.w * s.c, it.x0, it.x1, r);
        tag[slot] = iy;
      }
      rows[ky] = r;
    }
    const int64_t out_offset = ((n * s.oh + oy) * s.ow) * s.c + c0;
    for (int64_t ox = it.x0; ox < it.x1; ++ox) {
      __m512i acc[B];
      for (int b = 0; b < B; ++b) acc[b] = _mm512_setzero_si512();
      for (int ky = 0; ky < KH; ++ky) {
        const uint8_t* q = rows[ky] + (ox - it.x0) * B * 64;
        for (int b = 0; b < B; ++b) acc[b] = _mm512_dpbusd_epi32(acc[b], _mm512_loadu_si512(q + 64 * b), w[ky][b]);
      }
      const int64_t o = out_offset + ox * s.c;
      __m512 f[B];
      for (int b = 0; b < B; ++b) {
        f[b] = _mm512_mul_ps(_mm512_add_ps(_mm512_cvtepi32_ps(acc[b]), bias[b]), scale[b]);
        f[b] = _mm512_min_ps(_mm512_max_ps(f[b], lo), hi);
      }
      if constexpr (B == 4) {
        StoreInLane<D>(f, static_cast<uint8_t*>(a.dst) + o * (D == Out::kF32 ? 4 : 1));
        continue;
      }
      for (int b = 0; b < B; ++b) {
        if constexpr (D == Out::kF32) {
          _mm512_storeu_ps(static_cast<float*>(a.dst) + o + 16 * b, f[b]);
        } else if constexpr (D == Out::kU8) {
          _mm_storeu_si128(reinterpret_cast<__m128i*>(static_cast<uint8_t*>(a.dst) + o + 16 * b),
                           _mm512_cvtusepi32_epi8(_mm512_cvtps_epi32(f[b])));
        } else {
          _mm_storeu_si128(reinterpret_cast<__m128i*>(static_cast<int8_t*>(a.dst) + o + 16 * b),
                           _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(f[b])));
        }
      }
    }
  }
}

#pragma GCC diagnostic pop
#pragma GCC pop_options

using ItemFn = void (*)(const ItemArgs&, uint8_t*, const Item&);

template <int KH, int B>
ItemFn SelectOut(Out d) {
  switch (d) {
    case Out::kU8: return &RunItem<KH, B, Out::kU8>;
    case Out::kS8: return &RunItem<KH, B, Out::kS8>;
    case Out::kF32: return &RunItem<KH, B, Out::kF32>;
  }
  return nullptr;
}

template <int KH>
ItemFn SelectBlock(int64_t block, Out d) {
  if (block == 64) return SelectOut<KH, 4>(d);
  if (block == 32) return SelectOut<KH, 2>(d);
  return SelectOut<KH, 1>(d);
}

ItemFn Select(int64_t kh, int64_t block, Out d) {
  switch (kh) {
    case 1: return SelectBlock<1>(block, d);
    case 2: return SelectBlock<2>(block, d);
    case 3: return SelectBlock<3>(block, d);
    case 4: return SelectBlock<4>(block, d);
    case 5: return SelectBlock<5>(block, d);
    case 6: return SelectBlock<6>(block, d);
    case 7: return SelectBlock<7>(block, d);
  }
  return nullptr;
}

// The channel (offset in its block of 16 B channels) whose taps dword i of the block's quads holds.
int64_t ChannelAt(int64_t block, int64_t i) {
  if (block != 64) return i;
  const int64_t k = i / 16, lane = (i % 16) / 4, j = i % 4;
  return 16 * lane + 4 * k + j;
}

}  // namespace

bool DwConvU8Supports(const DwConvU8Shape& s) {
  return s.n >= 1 && s.c >= 16 && s.c % 16 == 0 && s.h >= 1 && s.w >= 1 && s.oh >= 1 && s.ow >= 1 &&
         s.kh >= 1 && s.kh <= kMaxKh && s.kw >= 1 && s.kw <= 4 && s.stride_h >= 1 && s.stride_w >= 1 &&
         s.dilation_h >= 1 && s.dilation_h <= kMaxDilation && s.dilation_w >= 1 && s.dilation_w <= kMaxDilation &&
         s.pad_top >= 0 && s.pad_left >= 0 && CpuHasAvx512VnniVbmi();
}

bool DwConvU8Preferred(const DwConvU8Shape& s) {
  if (!DwConvU8Supports(s)) return false;
  if (s.c % 64 == 0) return true;
  return s.c % 32 == 0 && s.stride_w == 1;
}

DwConvU8::DwConvU8(const DwConvU8Shape& shape, const int8_t* weights, DwConvU8Epilogue epilogue, int num_threads)
    : s_(shape), dst_(epilogue.dst), num_threads_(std::max(1, num_threads)) {
  Q2I_CHECK(DwConvU8Supports(s_));
  const DwConvU8Epilogue& e = epilogue;
  Q2I_CHECK(static_cast<int64_t>(e.scale.size()) == s_.c);
  Q2I_CHECK(e.bias.empty() || static_cast<int64_t>(e.bias.size()) == s_.c);
  std::tie(lo_, hi_) = BoundsWithinType(e.lo, e.hi, e.dst);
  block_ = s_.c % 64 == 0 ? 64 : s_.c % 32 == 0 ? 32 : 16;
  ring_rows_ = (s_.kh - 1) * s_.dilation_h + 1;
  // Column tiles keep a thread's ring within kRingBudget bytes (L1). Rows are split into bands when there
  // are fewer images than threads.
  tile_w_ = std::clamp<int64_t>(kRingBudget / (ring_rows_ * block_ * 4), 1, s_.ow);
  tiles_ = (s_.ow + tile_w_ - 1) / tile_w_;
  row_bytes_ = tile_w_ * block_ * 4;
  row_chunks_ = std::clamp<int64_t>((num_threads_ + s_.n - 1) / s_.n, 1, s_.oh);
  // Weights, bias and scales in the order of the quads: position i of block b is channel
  // b + ChannelAt(block_, i - b).
  packed_.assign(static_cast<size_t>(s_.kh * s_.c * 4), 0);
  bias_.assign(static_cast<size_t>(s_.c), 0.f);
  scale_.assign(static_cast<size_t>(s_.c), 0.f);
  for (int64_t i = 0; i < s_.c; ++i) {
    const int64_t b = i / block_ * block_, c = b + ChannelAt(block_, i - b);
    const size_t ci = static_cast<size_t>(c), ii = static_cast<size_t>(i);
    for (int64_t ky = 0; ky < s_.kh; ++ky) {
      for (int64_t kx = 0; kx < s_.kw; ++kx) {
        packed_[static_cast<size_t>((ky * s_.c + i) * 4 + kx)] = weights[(c * s_.kh + ky) * s_.kw + kx];
      }
    }
    if (!e.bias.empty()) bias_[ii] = e.bias[ci];
    scale_[ii] = e.scale[ci];
  }
  // One row of padding quads, then each thread's ring, 64-byte aligned.
  buffer_.assign(static_cast<size_t>((1 + num_threads_ * ring_rows_) * row_bytes_ + 64), 0);
  uint8_t* aligned = buffer_.data() + (64 - reinterpret_cast<uintptr_t>(buffer_.data()) % 64);
  zero_row_ = aligned;
  rings_ = aligned + row_bytes_;
}

void DwConvU8::Run(const uint8_t* src, void* dst) const {
  const ItemArgs a{&s_,  packed_.data(), bias_.data(), scale_.data(), lo_, hi_, src, dst, zero_row_,
                   ring_rows_, row_bytes_};
  const ItemFn fn = Select(s_.kh, block_, EpilogueOutOf(dst_));
  const int64_t blocks = s_.c / block_;
  const int64_t items = s_.n * blocks * tiles_ * row_chunks_;
  uint8_t* scratch = rings_;
  const int64_t per_thread = ring_rows_ * row_bytes_;
#pragma omp parallel for schedule(static) num_threads(num_threads_) if (items > 1 && num_threads_ > 1)
  for (int64_t i = 0; i < items; ++i) {
    // Images, then row chunks, then blocks, then column tiles: the static schedule gives each thread whole
    // images or whole bands of rows. (Threads that share rows and split channels or columns write
    // neighbouring cache lines, which the adjacent-line prefetchers then bounce between cores: 2 threads
    // ran no faster than 1.)
    const int64_t tile = i % tiles_, block = i / tiles_ % blocks, band = i / tiles_ / blocks;
    const int64_t chunk = band % row_chunks_;
    const Item it{band / row_chunks_,
                  block * block_,
                  chunk * s_.oh / row_chunks_,
                  (chunk + 1) * s_.oh / row_chunks_,
                  tile * tile_w_,
                  std::min(s_.ow, (tile + 1) * tile_w_)};
    fn(a, scratch + omp_get_thread_num() * per_thread, it);
  }
}

}  // namespace q2i::runtime::kernels
