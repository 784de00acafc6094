#include "tests/passes/test_graphs.h"

#include "tests/test_util/program_helpers.h"

namespace q2i::passes::testgraphs {
namespace {

using ir::Attribute;
using testing::RandomTensor;

ir::ProgramBuilder::Attrs ConvAttrs() {
  return {{"strides", Attribute::Ints({1, 1})},   {"paddings", Attribute::Ints({1, 1})},
          {"dilations", Attribute::Ints({1, 1})}, {"groups", Attribute::Int(1)},
          {"data_format", Attribute::String("NCHW")}};
}

void Conv(ir::ProgramBuilder& b, const std::string& in, const std::string& w, const std::string& out, uint32_t seed) {
  b.Param(w, RandomTensor({4, 3, 3, 3}, seed));
  b.AddOp("conv2d", {{"Input", {in}}, {"Filter", {w}}}, {{"Output", {out}}}, ConvAttrs());
  b.DeclareVar(out, {1, 4, 8, 8});
}

}  // namespace

ir::Program ConvBn(bool with_bias_add, bool conv_output_fetched) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 3, 8, 8});
  Conv(b, "x", "w", "c", 1);
  std::string bn_in = "c";
  if (with_bias_add) {
    b.Param("cb", RandomTensor({4}, 2));
    b.AddOp("elementwise_add", {{"X", {"c"}}, {"Y", {"cb"}}}, {{"Out", {"c2"}}}, {{"axis", Attribute::Int(1)}});
    b.DeclareVar("c2", {1, 4, 8, 8});
    bn_in = "c2";
  }
  b.Param("scale", RandomTensor({4}, 3, 0.5f, 1.5f));
  b.Param("bias", RandomTensor({4}, 4));
  b.Param("mean", RandomTensor({4}, 5));
  b.Param("var", RandomTensor({4}, 6, 0.5f, 2.0f));
  b.AddOp("batch_norm",
          {{"X", {bn_in}}, {"Scale", {"scale"}}, {"Bias", {"bias"}}, {"Mean", {"mean"}}, {"Variance", {"var"}}},
          {{"Y", {"y"}}, {"MeanOut", {"mean"}}, {"VarianceOut", {"var"}}},
          {{"epsilon", Attribute::Float(1e-5f)}, {"is_test", Attribute::Bool(true)}});
  b.DeclareVar("y", {1, 4, 8, 8});
  b.Output("y");
  if (conv_output_fetched) b.Output("c");
  return b.Build();
}

ir::Program ConvBias(int axis) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 3, 8, 8});
  Conv(b, "x", "w", "c", 1);
  b.Param("b", RandomTensor({4}, 2));
  b.AddOp("elementwise_add", {{"X", {"c"}}, {"Y", {"b"}}}, {{"Out", {"y"}}}, {{"axis", Attribute::Int(axis)}});
  b.DeclareVar("y", {1, 4, 8, 8});
  b.Output("y");
  return b.Build();
}

ir::Program ConvResidual(bool broadcast) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 3, 8, 8});
  Conv(b, "x", "w1", "c1", 1);
  std::string left = "c1";
  if (broadcast) {
    b.AddOp("pool2d", {{"X", {"c1"}}}, {{"Out", {"p"}}},
            {{"pooling_type", Attribute::String("avg")}, {"global_pooling", Attribute::Bool(true)},
             {"ksize", Attribute::Ints({8, 8})}});
    b.DeclareVar("p", {1, 4, 1, 1});
    left = "p";
  }
  Conv(b, "x", "w2", "c2", 2);
  b.AddOp("elementwise_add", {{"X", {left}}, {"Y", {"c2"}}}, {{"Out", {"sum"}}}, {{"axis", Attribute::Int(-1)}});
  b.DeclareVar("sum", {1, 4, 8, 8});
  b.Output("sum");
  return b.Build();
}

ir::Program ConvAct(const std::string& act, ir::ProgramBuilder::Attrs attrs) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 3, 8, 8});
  Conv(b, "x", "w", "c", 1);
  b.AddOp(act, {{"X", {"c"}}}, {{"Out", {"y"}}}, attrs);
  b.DeclareVar("y", {1, 4, 8, 8});
  b.Output("y");
  return b.Build();
}

ir::Program DeconvAct(const std::string& act, bool second_reader) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 3, 8, 8});
  b.Param("w", RandomTensor({3, 4, 2, 2}, 11));
  b.Param("b", RandomTensor({4}, 12));
  b.AddOp("conv2d_transpose", {{"Input", {"x"}}, {"Filter", {"w"}}, {"Bias", {"b"}}}, {{"Output", {"c"}}},
          {{"strides", Attribute::Ints({2, 2})}, {"paddings", Attribute::Ints({0, 0})}});
  b.DeclareVar("c", {1, 4, 16, 16});
  b.AddOp(act, {{"X", {"c"}}}, {{"Out", {"y"}}}, {});
  b.DeclareVar("y", {1, 4, 16, 16});
  b.Output("y");
  if (second_reader) b.Output("c");
  return b.Build();
}

ir::Program MulAdd(bool relu, bool leaky) {
  ir::ProgramBuilder b;
  b.Input("x", {2, 8});
  b.Param("w", RandomTensor({8, 5}, 7));
  b.Param("b", RandomTensor({5}, 8));
  b.AddOp("mul", {{"X", {"x"}}, {"Y", {"w"}}}, {{"Out", {"m"}}},
          {{"x_num_col_dims", Attribute::Int(1)}, {"y_num_col_dims", Attribute::Int(1)}});
  b.DeclareVar("m", {2, 5});
  const bool act = relu || leaky;
  b.AddOp("elementwise_add", {{"X", {"m"}}, {"Y", {"b"}}}, {{"Out", {act ? "a" : "y"}}}, {{"axis", Attribute::Int(1)}});
  if (act) {
    b.DeclareVar("a", {2, 5});
    b.AddOp(relu ? "relu" : "leaky_relu", {{"X", {"a"}}}, {{"Out", {"y"}}});
  }
  b.DeclareVar("y", {2, 5});
  b.Output("y");
  return b.Build();
}

ir::Program MatmulAdd(bool transpose_y) {
  ir::ProgramBuilder b;
  b.Input("x", {2, 8});
  b.Param("w", RandomTensor(transpose_y ? std::vector<int64_t>{5, 8} : std::vector<int64_t>{8, 5}, 7));
  b.Param("b", RandomTensor({5}, 8));
  b.AddOp("matmul", {{"X", {"x"}}, {"Y", {"w"}}}, {{"Out", {"m"}}}, {{"transpose_Y", Attribute::Bool(transpose_y)}});
  b.DeclareVar("m", {2, 5});
  b.AddOp("elementwise_add", {{"X", {"m"}}, {"Y", {"b"}}}, {{"Out", {"y"}}}, {{"axis", Attribute::Int(-1)}});
  b.DeclareVar("y", {2, 5});
  b.Output("y");
  return b.Build();
}

}  // namespace q2i::passes::testgraphs
