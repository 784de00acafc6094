#include "runtime/kernel_registry.h"

#include "ir/op_kinds.h"
#include "support/check.h"

namespace q2i::runtime {

std::string_view PrecisionName(KernelPrecision p) { return p == KernelPrecision::kInt8 ? "int8" : "fp32"; }

KernelKey KernelKeyFor(const ir::Op& op) {
  return {op.type(), ir::IsInt8Op(op) ? KernelPrecision::kInt8 : KernelPrecision::kFloat};
}

Status KernelRegistry::Register(KernelKey key, std::string impl_name, KernelFactory factory) {
  if (entries_.count(key)) {
    return InvalidArgument("kernel for ", key.op_type, " [", PrecisionName(key.precision), "] registered twice (",
                           entries_[key].impl_name, ", ", impl_name, ")");
  }
  entries_.emplace(std::move(key), Entry{std::move(impl_name), std::move(factory)});
  return OkStatus();
}

const KernelRegistry::Entry* KernelRegistry::Find(const KernelKey& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<KernelKey> KernelRegistry::List() const {
  std::vector<KernelKey> keys;
  for (const auto& [k, e] : entries_) keys.push_back(k);
  return keys;
}

const KernelRegistry& DefaultKernelRegistry() {
  static const KernelRegistry* registry = [] {
    auto* r = new KernelRegistry();
    RegisterFp32Kernels(*r);
    RegisterFakeQuantKernels(*r);
    RegisterInt8Kernels(*r);
    return r;
  }();
  return *registry;
}

}  // namespace q2i::runtime
