#include "runtime/kernels/cpu_features.h"

namespace q2i::runtime::kernels {

bool CpuHasAvx512Vnni() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                          __builtin_cpu_supports("avx512vnni");
  return has;
}

bool CpuHasAvx512VnniVbmi() {
  static const bool has = CpuHasAvx512Vnni() && __builtin_cpu_supports("avx512vbmi");
  return has;
}

}  // namespace q2i::runtime::kernels
