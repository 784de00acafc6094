// Small programs shared by the pass tests (structural and numeric).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ir/program.h"
#include "ir/program_builder.h"

namespace q2i::passes::testgraphs {

// x[1,3,8,8] -> conv2d(4 out, 3x3, pad 1) -> [elementwise_add bias] -> batch_norm -> y
ir::Program ConvBn(bool with_bias_add, bool conv_output_fetched = false);
// x -> conv2d -> elementwise_add(Y = b[4], axis) -> y
ir::Program ConvBias(int axis = 1);
// x -> conv2d(c1) ; x -> conv2d(c2) ; add(c1, c2) -> sum   (broadcast: c1 is [1,4,1,1] pooled)
ir::Program ConvResidual(bool broadcast = false);
// x -> conv2d -> <act> -> y
ir::Program ConvAct(const std::string& act, ir::ProgramBuilder::Attrs attrs);
// x[1,3,8,8] -> conv2d_transpose(4 out, 2x2 stride 2, bias) -> <act> -> y; `second_reader`: the
// deconvolution's output is also fetched.
ir::Program DeconvAct(const std::string& act, bool second_reader = false);
// x[2,8] -> mul(w[8,5]) -> add(b[5]) [-> relu | leaky_relu] -> y
ir::Program MulAdd(bool relu = false, bool leaky = false);
ir::Program MatmulAdd(bool transpose_y);

}  // namespace q2i::passes::testgraphs
