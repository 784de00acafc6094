#include "api/predictor.h"

#include <algorithm>

#include "converter/model_io.h"

namespace q2i::api {

StatusOr<std::unique_ptr<Predictor>> Predictor::Create(const PredictorConfig& config) {
  if (config.model_dir.empty()) return InvalidArgument("PredictorConfig.model_dir is empty");
  converter::ModelLocation location{config.model_dir, config.model_filename, config.params_filename};
  auto program = converter::LoadModel(location);
  if (!program.ok()) return program.status();
  return Create(std::make_shared<const ir::Program>(std::move(program).value()), config);
}

StatusOr<std::unique_ptr<Predictor>> Predictor::Create(std::shared_ptr<const ir::Program> program,
                                                       const PredictorConfig& config) {
  if (!program) return InvalidArgument("Predictor::Create: null program");
  runtime::ExecutorOptions options;
  options.num_threads = config.num_threads;
  options.profile = config.profile;
  options.conv_impl = config.conv_impl;
  Q2I_ASSIGN_OR_RETURN(auto executor, runtime::Executor::Create(program, options));
  std::unique_ptr<Predictor> p(new Predictor());
  p->config_ = config;
  p->program_ = std::move(program);
  p->executor_ = std::move(executor);
  p->inputs_.resize(p->executor_->feed_names().size());
  p->input_set_.assign(p->inputs_.size(), false);
  return p;
}

StatusOr<std::unique_ptr<Predictor>> Predictor::Clone() const { return Create(program_, config_); }

const std::vector<std::string>& Predictor::GetInputNames() const { return executor_->feed_names(); }
const std::vector<std::string>& Predictor::GetOutputNames() const { return executor_->fetch_names(); }

namespace {
std::vector<TensorSpec> Specs(const ir::Program& program, const std::vector<std::string>& names) {
  std::vector<TensorSpec> specs;
  for (const std::string& name : names) {
    TensorSpec s;
    s.name = name;
    if (const ir::Var* v = program.FindVar(name)) {
      if (v->dtype) s.dtype = *v->dtype;
      s.dims = v->dims;
    }
    specs.push_back(std::move(s));
  }
  return specs;
}
}  // namespace

std::vector<TensorSpec> Predictor::GetInputSpecs() const { return Specs(*program_, GetInputNames()); }
std::vector<TensorSpec> Predictor::GetOutputSpecs() const {
  std::vector<TensorSpec> specs = Specs(*program_, GetOutputNames());
  if (has_outputs_) {
    for (size_t i = 0; i < specs.size() && i < outputs_.size(); ++i) {
      specs[i].dims = outputs_[i].dims();
      specs[i].dtype = outputs_[i].dtype();
    }
  }
  return specs;
}

Status Predictor::SetInput(size_t index, ir::Tensor tensor) {
  if (index >= inputs_.size()) {
    return InvalidArgument("SetInput: index ", index, " out of range (", inputs_.size(), " inputs)");
  }
  if (tensor.empty() && tensor.numel() != 0) {
    return InvalidArgument("SetInput: input '", GetInputNames()[index], "' is an empty tensor");
  }
  const std::vector<int64_t> declared = GetInputSpecs()[index].dims;
  if (!declared.empty() && declared.size() != tensor.dims().size()) {
    return InvalidArgument("SetInput: input '", GetInputNames()[index], "' expects rank ", declared.size(), " (",
                           ir::DimsToString(declared), "), got ", ir::DimsToString(tensor.dims()));
  }
  // Declared sizes are not enforced: models often declare H/W they accept in other sizes.
  inputs_[index] = std::move(tensor);
  input_set_[index] = true;
  return OkStatus();
}

Status Predictor::SetInput(const std::string& name, ir::Tensor tensor) {
  const auto& names = GetInputNames();
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return NotFound("SetInput: the model has no input '", name, "'");
  return SetInput(static_cast<size_t>(it - names.begin()), std::move(tensor));
}

Status Predictor::Run() {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (!input_set_[i]) return InvalidArgument("Run: input '", GetInputNames()[i], "' was not set");
  }
  has_outputs_ = false;
  Q2I_RETURN_IF_ERROR(executor_->Run(inputs_, outputs_));
  has_outputs_ = true;
  return OkStatus();
}

StatusOr<ir::Tensor> Predictor::GetOutput(size_t index) const {
  if (!has_outputs_) return InvalidArgument("GetOutput: Run() has not succeeded yet");
  if (index >= outputs_.size()) return InvalidArgument("GetOutput: index ", index, " out of range");
  return outputs_[index];
}

StatusOr<ir::Tensor> Predictor::GetOutput(const std::string& name) const {
  const auto& names = GetOutputNames();
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return NotFound("GetOutput: the model has no output '", name, "'");
  return GetOutput(static_cast<size_t>(it - names.begin()));
}

StatusOr<std::vector<ir::Tensor>> Predictor::Run(const std::vector<ir::Tensor>& inputs) {
  if (inputs.size() != inputs_.size()) {
    return InvalidArgument("Run: expected ", inputs_.size(), " inputs, got ", inputs.size());
  }
  for (size_t i = 0; i < inputs.size(); ++i) Q2I_RETURN_IF_ERROR(SetInput(i, inputs[i]));
  Q2I_RETURN_IF_ERROR(Run());
  return outputs_;
}

}  // namespace q2i::api
