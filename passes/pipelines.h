// The named pipelines the tools run (one home for pass order, spec section 3):
//   INT8: make-ssa, mark-skip-quant, collect-scales, remove-fake-quant, dequantize-weights, [FP32 optimization],
//         compute-weight-scales, mark-unsigned, propagate-scales, place-int8, insert-quant-dequant,
//         squash-quant, [quantize-weights], dce, finalize
//   FP32: make-ssa, collect-scales, remove-fake-quant, dequantize-weights, [FP32 optimization], dce, finalize
//   FP32 optimization: canonicalize-conv, remove-dropout, fuse-conv-bn, fuse-conv-bias,
//         fuse-conv-residual, fuse-conv-activation, fuse-fc, fuse-fc-activation
#pragma once

#include <string>

#include "passes/pass_manager.h"

namespace q2i::passes {

struct PipelineOptions {
  bool save_int8_weights = false;  // add quantize-weights
  std::string stop_after;          // non-empty: end the pipeline with the pass of this name (tests)
};

void AddFp32OptimizationPasses(PassManager& pm);
void BuildInt8Pipeline(PassManager& pm, const PipelineOptions& options = {});
// The FP32 baseline of a fake-quant (or plain FP32) model: cleaned and fused, not quantized.
void BuildFp32Pipeline(PassManager& pm);

// The verifier the tools run after every pass (dataflow, single producer per name, op slots).
Status VerifyAfterPass(const ir::Program& program);

// After an INT8 pipeline run: per op type how many ops run INT8 out of how many, and the reasons the
// others stayed FP32 (from the remarks).
std::string Int8Summary(const ir::Program& program, const PassContext& ctx);

}  // namespace q2i::passes
