// KernelRegistry: which Kernel implements which op type at which precision. Registration is explicit
// (RegisterFp32Kernels & co. are plain functions called by DefaultKernelRegistry); there are no static
// registrars. Executor::Create looks every op up here and fails naming the first op without a kernel.
#pragma once

#include <compare>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ir/program.h"
#include "runtime/kernel.h"
#include "support/status.h"

namespace q2i::runtime {

enum class KernelPrecision { kFloat, kInt8 };
std::string_view PrecisionName(KernelPrecision p);  // "fp32" | "int8"

struct KernelKey {
  std::string op_type;
  KernelPrecision precision = KernelPrecision::kFloat;
  auto operator<=>(const KernelKey&) const = default;
};

// The key the executor looks up for `op`: int8 for ops the INT8 passes placed (ir::IsInt8Op).
KernelKey KernelKeyFor(const ir::Op& op);

using KernelFactory = std::function<std::unique_ptr<Kernel>()>;

class KernelRegistry {
 public:
  struct Entry {
    std::string impl_name;
    KernelFactory factory;
  };
  // A duplicate key is an InvalidArgument error.
  Status Register(KernelKey key, std::string impl_name, KernelFactory factory);
  const Entry* Find(const KernelKey& key) const;
  std::vector<KernelKey> List() const;

 private:
  std::map<KernelKey, Entry> entries_;
};

// Built-in kernel sets (runtime/kernels/*.cc).
void RegisterFp32Kernels(KernelRegistry& registry);
void RegisterFakeQuantKernels(KernelRegistry& registry);
void RegisterInt8Kernels(KernelRegistry& registry);

// All built-in kernels; built on first use (thread-safe), never modified afterwards.
const KernelRegistry& DefaultKernelRegistry();

}  // namespace q2i::runtime
