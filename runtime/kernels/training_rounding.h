// Roundings training did inside what is now one fused INT8 conv (docs/int8_program.md, --double_rounding):
//   Scale_pre_residual:   the conv result is rounded onto that grid (and clipped to +-127) before the
//                         residual is added (training fake-quantized both inputs of the residual add);
//   Scale_pre_activation: the value entering the activation is (training fake-quantized the relu input).
// They become oneDNN post-ops around the sum. The chain works in "units": a value in units of scale S is
// real * S. The output scales bring the accumulator into conv_units (the first rounding grid, else the
// sum's), the residual is added in sum_units (the pre-activation grid, else the pre-residual one, else
// post_units), and the activation result is in post_units (Scale_out).
#pragma once

#include <optional>

#include "runtime/kernels/common.h"

namespace q2i::runtime::kernels {

struct TrainingRounding {
  std::optional<float> pre_residual, pre_activation;
  float conv_units = 1.f, sum_units = 1.f, post_units = 1.f;
  bool any() const { return pre_residual || pre_activation; }
};

// Reads the attributes of an INT8 conv. `post_units`: the units the activation's result is in. Errors
// name the op: a bad scale, Scale_pre_residual without an INT8 residual, or either attribute with an
// activation that does not commute with scaling.
StatusOr<TrainingRounding> ReadTrainingRounding(const ir::Op& op, bool int8_residual, const Activation& act,
                                                float post_units);

// The factor after the pre-residual rounding (into sum_units); 1 when there is none.
float PreSumRescale(const TrainingRounding& r);
// The factor from sum_units to post_units, applied with the activation; 1 without roundings.
float PostSumRescale(const TrainingRounding& r);

// Post-ops before the sum: the pre-residual rounding, ending in sum_units.
void AppendPreSumRounding(dnnl::post_ops& ops, const TrainingRounding& r);
// Post-ops after the sum: the pre-activation rounding, then `act` (whose bounds are in post_units), ending
// in post_units. Each eltwise algorithm appears with one set of parameters (see CheckEltwisePostOps).
void AppendPostSumRoundingAndActivation(dnnl::post_ops& ops, const TrainingRounding& r, const Activation& act);

}  // namespace q2i::runtime::kernels
