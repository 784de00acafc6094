#include "demo/demo_model.h"

#include <cmath>
#include <random>
#include <string>

#include "ir/program_builder.h"

namespace q2i::demo {
namespace {

using ir::Attribute;

class Builder {
 public:
  explicit Builder(uint32_t seed) : gen_(seed) {}

  ir::ProgramBuilder& b() { return b_; }

  ir::Tensor Normal(std::vector<int64_t> dims, double stddev, double mean = 0) {
    ir::Tensor t(ir::DataType::kFP32, std::move(dims));
    std::normal_distribution<double> d(mean, stddev);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(d(gen_));
    return t;
  }
  ir::Tensor Uniform(std::vector<int64_t> dims, double lo, double hi) {
    ir::Tensor t(ir::DataType::kFP32, std::move(dims));
    std::uniform_real_distribution<double> d(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(d(gen_));
    return t;
  }

  // conv(k x k, stride) + batch_norm [+ relu]; returns the output name.
  std::string ConvBn(const std::string& in, int64_t cin, int64_t cout, int64_t k, int64_t stride, bool relu,
                     int64_t hw_out) {
    const std::string n = "conv" + std::to_string(++count_);
    b_.Param(n + "_weights", Normal({cout, cin, k, k}, std::sqrt(2.0 / static_cast<double>(cin * k * k))));
    b_.AddOp("conv2d", {{"Input", {in}}, {"Filter", {n + "_weights"}}}, {{"Output", {n + ".tmp_0"}}},
             {{"strides", Attribute::Ints({static_cast<int32_t>(stride), static_cast<int32_t>(stride)})},
              {"paddings", Attribute::Ints({static_cast<int32_t>(k / 2), static_cast<int32_t>(k / 2)})},
              {"dilations", Attribute::Ints({1, 1})}, {"groups", Attribute::Int(1)},
              {"data_format", Attribute::String("NCHW")}, {"padding_algorithm", Attribute::String("EXPLICIT")}});
    const std::vector<int64_t> dims = {-1, cout, hw_out, hw_out};
    b_.DeclareVar(n + ".tmp_0", dims);
    b_.Param(n + "_bn_scale", Uniform({cout}, 0.8, 1.2));
    b_.Param(n + "_bn_offset", Normal({cout}, 0.1));
    b_.Param(n + "_bn_mean", Normal({cout}, 0.1));
    b_.Param(n + "_bn_variance", Uniform({cout}, 0.8, 1.5));
    const std::string y = n + ".bn";
    b_.AddOp("batch_norm",
             {{"X", {n + ".tmp_0"}}, {"Scale", {n + "_bn_scale"}}, {"Bias", {n + "_bn_offset"}},
              {"Mean", {n + "_bn_mean"}}, {"Variance", {n + "_bn_variance"}}},
             {{"Y", {y}}, {"MeanOut", {n + "_bn_mean"}}, {"VarianceOut", {n + "_bn_variance"}}},
             {{"epsilon", Attribute::Float(1e-5f)}, {"is_test", Attribute::Bool(true)},
              {"data_layout", Attribute::String("NCHW")}});
    b_.DeclareVar(y, dims);
    if (!relu) return y;
    b_.AddOp("relu", {{"X", {y}}}, {{"Out", {n + ".relu"}}});
    b_.DeclareVar(n + ".relu", dims);
    return n + ".relu";
  }

  std::string Add(const std::string& a, const std::string& c, int64_t channels, int64_t hw) {
    const std::string n = "res" + std::to_string(++count_);
    const std::vector<int64_t> dims = {-1, channels, hw, hw};
    b_.AddOp("elementwise_add", {{"X", {a}}, {"Y", {c}}}, {{"Out", {n + ".add"}}}, {{"axis", Attribute::Int(-1)}});
    b_.DeclareVar(n + ".add", dims);
    b_.AddOp("relu", {{"X", {n + ".add"}}}, {{"Out", {n + ".relu"}}});
    b_.DeclareVar(n + ".relu", dims);
    return n + ".relu";
  }

  // Basic residual block; a 1x1 projection shortcut when the shape changes.
  std::string Block(const std::string& in, int64_t cin, int64_t cout, int64_t stride, int64_t hw_out) {
    std::string a = ConvBn(in, cin, cout, 3, stride, true, hw_out);
    std::string c = ConvBn(a, cout, cout, 3, 1, false, hw_out);
    std::string shortcut = (cin == cout && stride == 1) ? in : ConvBn(in, cin, cout, 1, stride, false, hw_out);
    return Add(shortcut, c, cout, hw_out);
  }

 private:
  ir::ProgramBuilder b_;
  std::mt19937 gen_;
  int count_ = 0;
};

}  // namespace

ir::Program BuildDemoResNet(uint32_t seed) {
  Builder m(seed);
  auto& b = m.b();
  b.Input("image", {-1, 3, kDemoImageSize, kDemoImageSize});
  std::string x = m.ConvBn("image", 3, 16, 3, 1, true, 32);
  x = m.Block(x, 16, 16, 1, 32);
  x = m.Block(x, 16, 32, 2, 16);
  x = m.Block(x, 32, kDemoFeatures, 2, 8);
  b.AddOp("pool2d", {{"X", {x}}}, {{"Out", {"pool_out"}}},
          {{"pooling_type", Attribute::String("avg")}, {"global_pooling", Attribute::Bool(true)},
           {"ksize", Attribute::Ints({8, 8})}, {"strides", Attribute::Ints({1, 1})},
           {"paddings", Attribute::Ints({0, 0})}, {"exclusive", Attribute::Bool(true)},
           {"adaptive", Attribute::Bool(false)}, {"ceil_mode", Attribute::Bool(false)}});
  b.DeclareVar("pool_out", {-1, kDemoFeatures, 1, 1});
  b.AddOp("reshape2", {{"X", {"pool_out"}}}, {{"Out", {kFeatureVar}}, {"XShape", {"pool_out.xshape"}}},
          {{"shape", Attribute::Ints({-1, kDemoFeatures})}});
  b.DeclareVar(kFeatureVar, {-1, kDemoFeatures});
  b.Param(kClassifierWeight, ir::Tensor(ir::DataType::kFP32, {kDemoFeatures, kDemoClasses}));
  b.Param(kClassifierBias, ir::Tensor(ir::DataType::kFP32, {kDemoClasses}));
  b.AddOp("mul", {{"X", {kFeatureVar}}, {"Y", {kClassifierWeight}}}, {{"Out", {"fc_0.tmp_0"}}},
          {{"x_num_col_dims", Attribute::Int(1)}, {"y_num_col_dims", Attribute::Int(1)}});
  b.DeclareVar("fc_0.tmp_0", {-1, kDemoClasses});
  b.AddOp("elementwise_add", {{"X", {"fc_0.tmp_0"}}, {"Y", {kClassifierBias}}}, {{"Out", {"fc_0.tmp_1"}}},
          {{"axis", Attribute::Int(1)}});
  b.DeclareVar("fc_0.tmp_1", {-1, kDemoClasses});
  b.AddOp("softmax", {{"X", {"fc_0.tmp_1"}}}, {{"Out", {"softmax_0.tmp_0"}}}, {{"axis", Attribute::Int(-1)}});
  b.DeclareVar("softmax_0.tmp_0", {-1, kDemoClasses});
  b.Output("softmax_0.tmp_0");
  return b.Build();
}

}  // namespace q2i::demo
