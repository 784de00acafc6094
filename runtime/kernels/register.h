// Per-file registration functions of the built-in kernels (called from register.cc).
#pragma once

#include <memory>
#include <string>

#include "runtime/kernel_registry.h"
#include "support/check.h"

namespace q2i::runtime::kernels {

// Registers or aborts: a duplicate built-in registration is our bug.
template <typename K, typename... Args>
void Reg(KernelRegistry& r, const std::string& type, KernelPrecision precision, const std::string& impl, Args... args) {
  Status s = r.Register({type, precision}, impl, [=] { return std::unique_ptr<Kernel>(new K(args...)); });
  Q2I_CHECK(s.ok());
}

void RegisterConvKernels(KernelRegistry& r, KernelPrecision precision);
void RegisterPoolKernels(KernelRegistry& r, KernelPrecision precision);
void RegisterActivationKernels(KernelRegistry& r);
void RegisterElementwiseKernels(KernelRegistry& r, KernelPrecision precision);
void RegisterMatMulKernels(KernelRegistry& r, KernelPrecision precision);
void RegisterNormKernels(KernelRegistry& r);
void RegisterShapeKernels(KernelRegistry& r, KernelPrecision precision);
void RegisterInterpKernels(KernelRegistry& r, KernelPrecision precision);
void RegisterFakeQuantKernelSet(KernelRegistry& r);
void RegisterQuantKernels(KernelRegistry& r);
void RegisterAccuracyKernels(KernelRegistry& r);

}  // namespace q2i::runtime::kernels
