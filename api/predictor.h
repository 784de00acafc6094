// Predictor: the C++ API for running a Paddle inference model (FP32, fake-quant or INT8) with the
// quant2int8 runtime.
//
//   q2i::api::PredictorConfig config;
//   config.model_dir = "models/squeezenet1_1_fp32";
//   config.num_threads = 2;
//   auto predictor = q2i::api::Predictor::Create(config);        // StatusOr<std::unique_ptr<Predictor>>
//   (*predictor)->SetInput("image", tensor);                      // float32 NCHW ir::Tensor
//   (*predictor)->Run();
//   auto probs = (*predictor)->GetOutput(0);
//
// A Predictor is used by one thread at a time. Clone() gives another predictor sharing the loaded
// program and weights (read-only), for use from another thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ir/program.h"
#include "ir/tensor.h"
#include "runtime/executor.h"
#include "support/status.h"

namespace q2i::api {

struct PredictorConfig {
  // A model directory, a "<dir>/<name>" prefix of <name>.pdmodel/.pdiparams, or a .pdmodel file.
  std::filesystem::path model_dir;
  std::string model_filename;   // optional, inside model_dir (e.g. "__model__", "inference.pdmodel")
  std::string params_filename;  // optional combined params file (e.g. "__params__")
  int num_threads = 0;          // > 0: OpenMP threads used by Run() (in the calling thread)
  bool profile = false;         // per-op timing, see executor().profile()
  runtime::ConvImplPolicy conv_impl = runtime::ConvImplPolicy::kTuned;  // docs/runtime.md, "Kernel choice"
};

struct TensorSpec {
  std::string name;
  ir::DataType dtype = ir::DataType::kFP32;
  std::vector<int64_t> dims;  // as declared in the model: -1 for dims fixed only at run time
};

class Predictor {
 public:
  static StatusOr<std::unique_ptr<Predictor>> Create(const PredictorConfig& config);
  // From an already loaded program (shared, never modified); config.model_dir is ignored.
  static StatusOr<std::unique_ptr<Predictor>> Create(std::shared_ptr<const ir::Program> program,
                                                     const PredictorConfig& config = {});

  // Another predictor on the same program (its own executor and buffers).
  StatusOr<std::unique_ptr<Predictor>> Clone() const;

  const std::vector<std::string>& GetInputNames() const;
  const std::vector<std::string>& GetOutputNames() const;
  // Declared element types and dims of the inputs / outputs.
  std::vector<TensorSpec> GetInputSpecs() const;
  std::vector<TensorSpec> GetOutputSpecs() const;

  // Inputs are kept until replaced; all must be set before Run().
  Status SetInput(const std::string& name, ir::Tensor tensor);
  Status SetInput(size_t index, ir::Tensor tensor);
  Status Run();
  // Outputs of the last Run(), dense row-major. The tensors share their buffers with the predictor:
  // the next Run() with the same output shapes writes into them (Clone() a tensor to keep it).
  StatusOr<ir::Tensor> GetOutput(const std::string& name) const;
  StatusOr<ir::Tensor> GetOutput(size_t index) const;
  // Convenience: set every input in GetInputNames() order, run, return every output.
  StatusOr<std::vector<ir::Tensor>> Run(const std::vector<ir::Tensor>& inputs);

  const std::shared_ptr<const ir::Program>& program() const { return program_; }
  runtime::Executor& executor() { return *executor_; }
  const PredictorConfig& config() const { return config_; }

 private:
  Predictor() = default;
  PredictorConfig config_;
  std::shared_ptr<const ir::Program> program_;
  std::unique_ptr<runtime::Executor> executor_;
  std::vector<ir::Tensor> inputs_;
  std::vector<bool> input_set_;
  std::vector<ir::Tensor> outputs_;
  bool has_outputs_ = false;
};

}  // namespace q2i::api
