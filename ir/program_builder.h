// ProgramBuilder: a small fluent way to build Programs in code (tests, the built-in demo model).
// It declares variables, adds feed ops for inputs (in Paddle's order: last column first) and fetch ops
// for outputs, and assigns Paddle node ids at Build().
//
//   ProgramBuilder b;
//   b.Input("x", {-1, 3, 8, 8});
//   b.Param("w", Tensor::FromVector<float>({4, 3, 3, 3}, values));
//   b.AddOp("conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"y"}}},
//           {{"strides", Attribute::Ints({1, 1})}});
//   b.Output("y");
//   Program p = b.Build();
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "ir/program.h"

namespace q2i::ir {

class ProgramBuilder {
 public:
  using Slots = std::vector<std::pair<std::string, std::vector<std::string>>>;
  using Attrs = std::vector<std::pair<std::string, Attribute>>;

  // A feed target (float32 unless given).
  ProgramBuilder& Input(const std::string& name, std::vector<int64_t> dims, DataType dtype = DataType::kFP32);
  // A persistable variable with data.
  ProgramBuilder& Param(const std::string& name, Tensor value);
  // An op; output variables not yet declared are declared as float32 tensors with unknown dims
  // (`dims` of DeclareVar override).
  ProgramBuilder& AddOp(const std::string& type, const Slots& inputs, const Slots& outputs, const Attrs& attrs = {});
  ProgramBuilder& DeclareVar(const std::string& name, std::vector<int64_t> dims, DataType dtype = DataType::kFP32);
  // A fetch target.
  ProgramBuilder& Output(const std::string& name);

  Program Build();

 private:
  void EnsureVar(const std::string& name);
  std::vector<std::string> inputs_, outputs_;
  std::vector<Op> ops_;
  std::vector<Var> vars_;
  std::vector<std::pair<std::string, Tensor>> params_;
};

}  // namespace q2i::ir
