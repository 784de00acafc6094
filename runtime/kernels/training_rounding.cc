#include "runtime/kernels/training_rounding.h"

#include <algorithm>

#include "runtime/kernels/int8_scales.h"

namespace q2i::runtime::kernels {
namespace {

using dnnl::algorithm;

// Round to the grid the values are in units of.
void AppendRound(dnnl::post_ops& ops) { ops.append_eltwise(1.f, algorithm::eltwise_round, 0.f, 0.f); }

// Round, then clip as a signed 8-bit fake quantizer does.
void AppendRoundAndClip(dnnl::post_ops& ops) {
  AppendRound(ops);
  ops.append_eltwise(1.f, algorithm::eltwise_clip, -127.f, 127.f);
}

}  // namespace

float PreSumRescale(const TrainingRounding& r) { return r.pre_residual ? r.sum_units / *r.pre_residual : 1.f; }

float PostSumRescale(const TrainingRounding& r) { return r.post_units / r.sum_units; }

StatusOr<TrainingRounding> ReadTrainingRounding(const ir::Op& op, bool int8_residual, const Activation& act,
                                                float post_units) {
  TrainingRounding r;
  if (op.HasAttr("Scale_pre_residual")) {
    if (!int8_residual) return InvalidModel(op.DebugName(), ": Scale_pre_residual needs an INT8 ResidualData");
    Q2I_ASSIGN_OR_RETURN(float s, PositiveScale(op, "Scale_pre_residual"));
    r.pre_residual = s;
  }
  if (op.HasAttr("Scale_pre_activation")) {
    Q2I_ASSIGN_OR_RETURN(float s, PositiveScale(op, "Scale_pre_activation"));
    r.pre_activation = s;
  }
  if (r.any() && !act.commutes_with_scale) {
    return Unsupported(op.DebugName(), ": Scale_pre_residual / Scale_pre_activation with activation '", act.name,
                       "' (only none, relu, relu6 and leaky_relu)");
  }
  r.post_units = post_units;
  r.sum_units = r.pre_activation.value_or(r.pre_residual.value_or(post_units));
  r.conv_units = r.pre_residual.value_or(r.sum_units);
  return r;
}

void AppendPreSumRounding(dnnl::post_ops& ops, const TrainingRounding& r) {
  if (!r.pre_residual) return;
  AppendRoundAndClip(ops);
  const float rescale = PreSumRescale(r);
  if (rescale != 1.f) ops.append_eltwise(1.f, algorithm::eltwise_linear, rescale, 0.f);
}

void AppendPostSumRoundingAndActivation(dnnl::post_ops& ops, const TrainingRounding& r, const Activation& act) {
  if (!r.any()) {
    AppendActivation(ops, act);
    return;
  }
  // oneDNN 2.6 keeps one injector per eltwise algorithm: a second clip or linear with other parameters
  // would silently reuse the first one's. So the activation takes the rescale to post_units as the
  // eltwise scale, relu6 becomes bounded_relu, and a bare rescale is a linear step (a power of one
  // when the pre-sum rounding already used linear).
  const float rescale = PostSumRescale(r);
  // The pre-activation clip to +-127 joins a following relu or relu6 (lower bound 0): one bounded_relu
  // capped at 127, two instructions fewer per vector. min(max(clip(x, -127, 127), 0), b) equals
  // min(max(x, 0), min(b, 127)) exactly.
  const bool clip_joins = r.pre_activation && act.steps.size() == 1 && act.steps[0].alpha == 0.f &&
                          (act.steps[0].alg == algorithm::eltwise_relu || act.steps[0].alg == algorithm::eltwise_clip);
  if (clip_joins) {
    AppendRound(ops);
  } else if (r.pre_activation) {
    AppendRoundAndClip(ops);
  }
  if (act.empty()) {
    if (rescale == 1.f) return;
    const bool linear_used = PreSumRescale(r) != 1.f;  // by AppendPreSumRounding
    if (linear_used) {
      ops.append_eltwise(1.f, algorithm::eltwise_pow, rescale, 1.f);
    } else {
      ops.append_eltwise(1.f, algorithm::eltwise_linear, rescale, 0.f);
    }
    return;
  }
  for (const EltwiseStep& s : act.steps) {
    if (s.alg == algorithm::eltwise_clip) {  // relu6: [0, bound in post_units]
      const float bound = s.beta / rescale;
      ops.append_eltwise(rescale, algorithm::eltwise_bounded_relu, clip_joins ? std::min(bound, 127.f) : bound, 0.f);
    } else if (clip_joins) {  // relu
      ops.append_eltwise(rescale, algorithm::eltwise_bounded_relu, 127.f, 0.f);
    } else {
      ops.append_eltwise(rescale, s.alg, s.alpha, s.beta);
    }
  }
}

}  // namespace q2i::runtime::kernels
