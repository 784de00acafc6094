// Factories of every pass, in pipeline order. Each pass's contract is the comment at the top of its
// .cc file; docs/passes.md lists them with their Paddle analogues.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "passes/pass.h"

namespace q2i::passes {

// -- scale gathering and fake-op removal (spec 3.1-3.6)
std::unique_ptr<Pass> CreateMakeSsaPass();             // make-ssa
std::unique_ptr<Pass> CreateMarkSkipQuantPass();       // mark-skip-quant
std::unique_ptr<Pass> CreateCollectScalesPass();       // collect-scales
std::unique_ptr<Pass> CreateRemoveFakeQuantPass();     // remove-fake-quant
std::unique_ptr<Pass> CreateDequantizeWeightsPass();   // dequantize-weights
// -- FP32 optimization (spec 3.7)
std::unique_ptr<Pass> CreateCanonicalizeConvPass();    // canonicalize-conv
std::unique_ptr<Pass> CreateRemoveDropoutPass();       // remove-dropout
std::unique_ptr<Pass> CreateFuseConvBnPass();          // fuse-conv-bn
std::unique_ptr<Pass> CreateFuseConvBiasPass();        // fuse-conv-bias
std::unique_ptr<Pass> CreateFuseConvResidualPass();    // fuse-conv-residual
std::unique_ptr<Pass> CreateFuseConvActivationPass();  // fuse-conv-activation
std::unique_ptr<Pass> CreateFuseFcPass();              // fuse-fc
std::unique_ptr<Pass> CreateFuseFcActivationPass();    // fuse-fc-activation
// -- INT8 (spec 3.8-3.11)
std::unique_ptr<Pass> CreateComputeWeightScalesPass(); // compute-weight-scales
std::unique_ptr<Pass> CreateMarkUnsignedPass();        // mark-unsigned
std::unique_ptr<Pass> CreatePropagateScalesPass();     // propagate-scales
std::unique_ptr<Pass> CreatePlaceInt8Pass();           // place-int8
std::unique_ptr<Pass> CreateInsertQuantDequantPass();  // insert-quant-dequant
std::unique_ptr<Pass> CreateSquashQuantPass();         // squash-quant
std::unique_ptr<Pass> CreateQuantizeWeightsPass();     // quantize-weights (optional)
// -- cleanup
std::unique_ptr<Pass> CreateDeadCodeEliminationPass(); // dce
std::unique_ptr<Pass> CreateFinalizePass();            // finalize

}  // namespace q2i::passes
