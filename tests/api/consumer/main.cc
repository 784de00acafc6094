// Uses only the installed headers and libraries: builds a tiny program in memory and runs it through
// the Predictor; with a model directory argument, also loads that model and runs a constant input.
#include <cstdio>

#include "api/predictor.h"
#include "ir/program_builder.h"

int main(int argc, char** argv) {
  using namespace q2i;
  ir::ProgramBuilder b;
  b.Input("x", {-1, 4});
  b.AddOp("relu", {{"X", {"x"}}}, {{"Out", {"y"}}});
  b.AddOp("softmax", {{"X", {"y"}}}, {{"Out", {"z"}}}, {{"axis", ir::Attribute::Int(-1)}});
  b.Output("z");
  auto predictor = api::Predictor::Create(std::make_shared<const ir::Program>(b.Build()));
  if (!predictor.ok()) {
    std::fprintf(stderr, "%s\n", predictor.status().ToString().c_str());
    return 1;
  }
  auto out = (*predictor)->Run({ir::Tensor::FromVector<float>({1, 4}, {-1.f, 0.f, 0.f, 0.f})});
  if (!out.ok() || (*out)[0].numel() != 4) return 2;
  std::printf("tiny: %.4f %.4f\n", (*out)[0].data<float>()[0], (*out)[0].data<float>()[1]);
  if (argc > 1) {
    api::PredictorConfig config;
    config.model_dir = argv[1];
    auto model = api::Predictor::Create(config);
    if (!model.ok()) {
      std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
      return 3;
    }
    std::vector<int64_t> dims = (*model)->GetInputSpecs()[0].dims;
    for (auto& d : dims) d = d < 0 ? 1 : d;
    ir::Tensor x(ir::DataType::kFP32, dims);
    auto r = (*model)->Run({x});
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      return 4;
    }
    std::printf("model output %s\n", ir::DimsToString((*r)[0].dims()).c_str());
  }
  return 0;
}
