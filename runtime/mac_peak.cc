#include "runtime/mac_peak.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

#include "runtime/kernels/cpu_features.h"

namespace q2i::runtime {
namespace {

constexpr int kChains = 24;       // independent accumulators: enough to hide any latency seen so far
constexpr int64_t kBlock = 4096;  // loop iterations between clock reads

#if defined(__x86_64__)
// `iterations` x 24 instructions on zeroed registers (no denormals, no memory operands).
#define Q2I_CHAINS(op)                                                                                          \
  op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15) op(16) \
      op(17) op(18) op(19) op(20) op(21) op(22) op(23)
#define Q2I_ZERO(r) "vpxord %%zmm" #r ", %%zmm" #r ", %%zmm" #r "\n\t"
#define Q2I_DPBUSD(r) "vpdpbusd %%zmm30, %%zmm31, %%zmm" #r "\n\t"
#define Q2I_FMA(r) "vfmadd231ps %%zmm30, %%zmm31, %%zmm" #r "\n\t"
#define Q2I_CLOBBERS                                                                                             \
  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",      \
      "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm30", \
      "xmm31", "cc"

// One asm loop: zero the registers, then `iterations` x 24 `op` instructions and a counted branch.
#define Q2I_CHAIN_LOOP(op)                                                                            \
  __asm__ volatile(Q2I_CHAINS(Q2I_ZERO) Q2I_ZERO(30) Q2I_ZERO(31) "1:\n\t" Q2I_CHAINS(op) "dec %0\n\t" \
                   "jnz 1b\n\t"                                                                        \
                   : "+r"(iterations)                                                                 \
                   :                                                                                  \
                   : Q2I_CLOBBERS)

__attribute__((target("avx512f,avx512vnni"))) void RunChains(MacKind kind, int64_t iterations) {
  if (kind == MacKind::kInt8) {
    Q2I_CHAIN_LOOP(Q2I_DPBUSD);
  } else {
    Q2I_CHAIN_LOOP(Q2I_FMA);
  }
}
#endif

}  // namespace

StatusOr<double> MeasureMacPeakPerCore(MacKind kind, double seconds) {
  if (!(seconds > 0) || !std::isfinite(seconds)) return InvalidArgument("peak measurement time must be positive");
#if defined(__x86_64__)
  if (!kernels::CpuHasAvx512Vnni()) return Unsupported("this CPU lacks AVX-512 VNNI: no peak to measure");
  using Clock = std::chrono::steady_clock;
  RunChains(kind, kBlock);  // wake the vector units up before timing
  // The best rate of 1 ms slices over the whole time: a slice in which the thread lost its core (a
  // shared VM, tests running beside it) does not pull the peak down.
  const double target = std::max(seconds, 1e-3), slice = 1e-3;
  const double macs_per_iteration = kChains * (kind == MacKind::kInt8 ? 64.0 : 16.0);
  const Clock::time_point start = Clock::now();
  double best = 0;
  for (Clock::time_point t0 = start; std::chrono::duration<double>(t0 - start).count() < target;) {
    int64_t iterations = 0;
    double elapsed = 0;
    do {
      RunChains(kind, kBlock);
      iterations += kBlock;
      elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    } while (elapsed < slice);
    best = std::max(best, static_cast<double>(iterations) * macs_per_iteration / elapsed / 1e9);
    t0 = Clock::now();
  }
  return best;
#else
  (void)kind;
  return Unsupported("the peak is measured with x86 AVX-512 instructions only");
#endif
}

}  // namespace q2i::runtime
