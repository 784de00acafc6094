#include "runtime/kernels/register.h"

namespace q2i::runtime {

void RegisterFp32Kernels(KernelRegistry& r) {
  const auto p = KernelPrecision::kFloat;
  kernels::RegisterConvKernels(r, p);
  kernels::RegisterPoolKernels(r, p);
  kernels::RegisterActivationKernels(r);
  kernels::RegisterElementwiseKernels(r, p);
  kernels::RegisterMatMulKernels(r, p);
  kernels::RegisterNormKernels(r);
  kernels::RegisterShapeKernels(r, p);
  kernels::RegisterInterpKernels(r, p);
  kernels::RegisterAccuracyKernels(r);
}

void RegisterFakeQuantKernels(KernelRegistry& r) { kernels::RegisterFakeQuantKernelSet(r); }

void RegisterInt8Kernels(KernelRegistry& r) {
  const auto p = KernelPrecision::kInt8;
  kernels::RegisterConvKernels(r, p);
  kernels::RegisterPoolKernels(r, p);
  kernels::RegisterElementwiseKernels(r, p);
  kernels::RegisterMatMulKernels(r, p);
  kernels::RegisterShapeKernels(r, p);
  kernels::RegisterInterpKernels(r, p);
  kernels::RegisterQuantKernels(r);
}

}  // namespace q2i::runtime
