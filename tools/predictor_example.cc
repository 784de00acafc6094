// predictor_example: loads a model with the Predictor API, runs one random input and prints the output
// shape and the top-1 index of the first output.
//
//   predictor_example --model_dir=models/squeezenet1_1_fp32 [--input_shape=1,3,227,227] [--num_threads=2]
#include <gflags/gflags.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <sstream>

#include "api/predictor.h"

DEFINE_string(model_dir, "", "Model directory (or <prefix> of .pdmodel/.pdiparams, or a .pdmodel file)");
DEFINE_string(model_filename, "", "Program file name inside --model_dir (default: detect)");
DEFINE_string(params_filename, "", "Combined params file name inside --model_dir (default: detect)");
DEFINE_string(input_shape, "", "Input dims, e.g. 1,3,224,224 (default: the declared dims, -1 -> 1)");
DEFINE_int32(num_threads, 1, "OpenMP threads");
DEFINE_int32(seed, 0, "Random input seed");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "predictor_example: error: %s\n", message.c_str());
  return 1;
}

bool ParseDims(const std::string& text, std::vector<int64_t>* dims) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      long long v = std::stoll(item, &used);
      if (used != item.size() || v <= 0) return false;
      dims->push_back(v);
    } catch (...) {
      return false;
    }
  }
  return !dims->empty();
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("Runs one random input through a model and prints the output shape and top-1 index");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_model_dir.empty()) return Fail("--model_dir is required");
  if (FLAGS_num_threads < 1) return Fail("--num_threads must be >= 1");
  q2i::api::PredictorConfig config;
  config.model_dir = FLAGS_model_dir;
  config.model_filename = FLAGS_model_filename;
  config.params_filename = FLAGS_params_filename;
  config.num_threads = FLAGS_num_threads;
  auto predictor = q2i::api::Predictor::Create(config);
  if (!predictor.ok()) return Fail(predictor.status().ToString());
  auto& p = **predictor;
  const auto specs = p.GetInputSpecs();
  std::vector<q2i::ir::Tensor> inputs;
  std::mt19937 gen(static_cast<uint32_t>(FLAGS_seed));
  std::uniform_real_distribution<float> dist(0.f, 1.f);
  for (size_t i = 0; i < specs.size(); ++i) {
    std::vector<int64_t> dims;
    if (i == 0 && !FLAGS_input_shape.empty()) {
      if (!ParseDims(FLAGS_input_shape, &dims)) return Fail("--input_shape '" + FLAGS_input_shape + "' is not a list of positive ints");
    } else {
      dims = specs[i].dims;
      for (auto& d : dims) d = d < 0 ? 1 : d;
    }
    if (specs[i].dtype != q2i::ir::DataType::kFP32) {
      return Fail("input '" + specs[i].name + "' is " + std::string(q2i::ir::DataTypeName(specs[i].dtype)) +
                  "; only float32 inputs are generated");
    }
    q2i::ir::Tensor t(q2i::ir::DataType::kFP32, dims);
    for (int64_t k = 0; k < t.numel(); ++k) t.data<float>()[k] = dist(gen);
    inputs.push_back(t);
    std::printf("input %s %s\n", specs[i].name.c_str(), q2i::ir::DimsToString(dims).c_str());
  }
  auto outputs = p.Run(inputs);
  if (!outputs.ok()) return Fail(outputs.status().ToString());
  const q2i::ir::Tensor& out = (*outputs)[0];
  std::printf("output %s %s\n", p.GetOutputNames()[0].c_str(), q2i::ir::DimsToString(out.dims()).c_str());
  if (out.dtype() == q2i::ir::DataType::kFP32 && out.numel() > 0) {
    const int64_t per = out.dims().empty() ? out.numel() : out.numel() / out.dims()[0];
    const float* v = out.data<float>();
    const int64_t top = std::max_element(v, v + per) - v;
    std::printf("top-1 index: %lld (value %.6f)\n", static_cast<long long>(top), v[top]);
  }
  return 0;
}
