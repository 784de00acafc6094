// The "which ops" tables of the quantization passes, kept apart from the rewrites that use them.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace q2i::passes {

// Fake ops the remove-fake-quant pass deletes (consumers of the output are rewired to the input).
bool IsRemovableFakeOp(std::string_view type);
// Fake ops that carry an activation threshold in `InScale` (spec 3.3).
bool IsInputScaleFakeOp(std::string_view type);
// fake_dequantize_max_abs / fake_channel_wise_dequantize_max_abs (spec 3.2).
bool IsFakeDequantOp(std::string_view type);

// Ops with a weight input that Quant2 dequantizes and quantizes: slot name and the output-channel axis
// of the weight ("" when `type` has none).
struct WeightSlot {
  std::string slot;
  int channel_axis = 0;
};
bool WeightSlotOf(std::string_view type, WeightSlot* out);

// Op types our INT8 placement accepts (the runtime has INT8 kernels for them).
const std::set<std::string>& Int8SupportedOpTypes();
// Ops whose output has the same scale as their input (spec 3.10): slot names of the data input and output.
bool IsScalePreservingOp(std::string_view type, std::string* in_slot, std::string* out_slot);
// Activation op types that can be fused into conv2d / fc (as `fuse_activation` / `activation_type`).
bool IsFusableActivation(std::string_view type);

}  // namespace q2i::passes
