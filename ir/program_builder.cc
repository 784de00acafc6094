#include "ir/program_builder.h"

#include <algorithm>

#include "ir/node_ids.h"
#include "support/check.h"

namespace q2i::ir {

void ProgramBuilder::EnsureVar(const std::string& name) {
  if (name.empty()) return;
  for (const Var& v : vars_)
    if (v.name == name) return;
  Var v;
  v.name = name;
  vars_.push_back(std::move(v));
}

ProgramBuilder& ProgramBuilder::DeclareVar(const std::string& name, std::vector<int64_t> dims, DataType dtype) {
  EnsureVar(name);
  for (Var& v : vars_)
    if (v.name == name) {
      v.dims = std::move(dims);
      v.dtype = dtype;
    }
  return *this;
}

ProgramBuilder& ProgramBuilder::Input(const std::string& name, std::vector<int64_t> dims, DataType dtype) {
  DeclareVar(name, std::move(dims), dtype);
  inputs_.push_back(name);
  return *this;
}

ProgramBuilder& ProgramBuilder::Param(const std::string& name, Tensor value) {
  DeclareVar(name, value.dims(), value.dtype());
  for (Var& v : vars_)
    if (v.name == name) v.persistable = true;
  params_.emplace_back(name, std::move(value));
  return *this;
}

ProgramBuilder& ProgramBuilder::AddOp(const std::string& type, const Slots& inputs, const Slots& outputs,
                                      const Attrs& attrs) {
  Op op(type);
  for (const auto& [slot, args] : inputs) {
    op.SetInput(slot, args);
    for (const auto& a : args) EnsureVar(a);
  }
  for (const auto& [slot, args] : outputs) {
    op.SetOutput(slot, args);
    for (const auto& a : args) EnsureVar(a);
  }
  for (const auto& [name, value] : attrs) op.SetAttr(name, value);
  ops_.push_back(std::move(op));
  return *this;
}

ProgramBuilder& ProgramBuilder::Output(const std::string& name) {
  outputs_.push_back(name);
  return *this;
}

Program ProgramBuilder::Build() {
  Program p;
  Var feed;
  feed.name = "feed";
  feed.kind = VarKind::kFeedMinibatch;
  feed.dtype.reset();
  feed.persistable = true;
  Var fetch = feed;
  fetch.name = "fetch";
  fetch.kind = VarKind::kFetchList;
  Q2I_CHECK(p.AddVar(feed).ok());
  Q2I_CHECK(p.AddVar(fetch).ok());
  for (const Var& v : vars_) Q2I_CHECK(p.AddVar(v).ok());
  for (int i = static_cast<int>(inputs_.size()) - 1; i >= 0; --i) {
    Op op("feed");
    op.SetInput("X", {"feed"});
    op.SetOutput("Out", {inputs_[static_cast<size_t>(i)]});
    op.SetAttr("col", Attribute::Int(i));
    p.AddOp(std::move(op));
  }
  for (Op& op : ops_) p.AddOp(std::move(op));
  for (size_t i = 0; i < outputs_.size(); ++i) {
    Op op("fetch");
    op.SetInput("X", {outputs_[i]});
    op.SetOutput("Out", {"fetch"});
    op.SetAttr("col", Attribute::Int(static_cast<int32_t>(i)));
    p.AddOp(std::move(op));
  }
  for (auto& [name, t] : params_) p.SetParam(name, std::move(t));
  AssignPaddleNodeIds(p);
  return p;
}

}  // namespace q2i::ir
