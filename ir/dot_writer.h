// DOT export in Paddle's graph_viz style: op nodes labelled `type(id)`, variable nodes `name(id)` plus
// their shape, edges var->op->var, `digraph G { ... } // end G`. Ops are coloured by precision (fp32,
// int8, quantize/dequantize/requantize, fake quant). Output is deterministic: ops in program order,
// variables in order of first appearance.
#pragma once

#include <string>

#include "ir/program.h"

namespace q2i::ir {

struct DotOptions {
  std::string graph_name = "G";
  bool show_params = true;  // draw persistable (weight) variables; feed/fetch are always drawn
};

std::string ToDot(const Program& program, const DotOptions& options = {});

}  // namespace q2i::ir
