// The instruction sets our own x86 kernels need, detected once at run time. Kernels that lack theirs
// leave the op to oneDNN.
#pragma once

namespace q2i::runtime::kernels {

// AVX-512 F/BW/VL/DQ and VNNI (Cascade Lake, Zen 4 and later).
bool CpuHasAvx512Vnni();

// The above and VBMI (Ice Lake, Zen 4 and later).
bool CpuHasAvx512VnniVbmi();

}  // namespace q2i::runtime::kernels
