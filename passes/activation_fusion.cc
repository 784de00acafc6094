#include "passes/activation_fusion.h"

#include <cmath>

namespace q2i::passes {

StatusOr<FusedActivation> DescribeActivation(const ir::Op& act, std::string* why) {
  FusedActivation f;
  const std::string& t = act.type();
  if (t == "relu" || t == "sigmoid" || t == "tanh") {
    f.type = t;
  } else if (t == "relu6") {
    Q2I_ASSIGN_OR_RETURN(double th, act.GetFloat("threshold", 6.0));
    f = {t, static_cast<float>(th), 0};
  } else if (t == "leaky_relu") {
    Q2I_ASSIGN_OR_RETURN(double a, act.GetFloat("alpha", 0.02));
    f = {t, static_cast<float>(a), 0};
  } else if (t == "swish") {
    Q2I_ASSIGN_OR_RETURN(double b, act.GetFloat("beta", 1.0));
    f = {t, static_cast<float>(b), 0};
  } else if (t == "hard_swish") {
    Q2I_ASSIGN_OR_RETURN(double th, act.GetFloat("threshold", 6.0));
    Q2I_ASSIGN_OR_RETURN(double sc, act.GetFloat("scale", 6.0));
    Q2I_ASSIGN_OR_RETURN(double off, act.GetFloat("offset", 3.0));
    if (std::abs(th - 6) > 1e-6 || std::abs(sc - 6) > 1e-6 || std::abs(off - 3) > 1e-6) {
      *why = "hard_swish with non-default threshold/scale/offset";
      return FusedActivation{};
    }
    f.type = t;
  } else if (t == "hard_sigmoid") {
    Q2I_ASSIGN_OR_RETURN(double slope, act.GetFloat("slope", 0.2));
    Q2I_ASSIGN_OR_RETURN(double offset, act.GetFloat("offset", 0.5));
    f = {t, static_cast<float>(slope), static_cast<float>(offset)};
  } else {
    *why = "not a fusable activation";
  }
  return f;
}

}  // namespace q2i::passes
