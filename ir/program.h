// Program: the in-memory form of a Paddle inference model that passes rewrite and the executor runs.
//
// Block 0 is parsed into Ops and Vars; other blocks are carried through as serialized bytes, untouched.
// Ops refer to variables by name (Paddle's own convention); ir/graph_index.h derives producers and
// consumers. Weights (persistable variables) live in `params` as Tensors. Each op and variable has a
// Paddle-compatible node id (ir/node_ids.h), the number users see in our DOT dumps and pass to
// --op_ids_to_skip.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ir/attribute.h"
#include "ir/dtype.h"
#include "ir/tensor.h"
#include "support/status.h"

namespace q2i::ir {

// Paddle's VarType.Type for the variable itself (not its elements).
enum class VarKind : int32_t {
  kLodTensor = 7,
  kSelectedRows = 8,
  kFeedMinibatch = 9,
  kFetchList = 10,
  kStepScopes = 11,
  kLodRankTable = 12,
  kLodTensorArray = 13,
  kPlaceList = 14,
  kReader = 15,
  kRaw = 17,
  kTuple = 18,
};

// Quantization scale of a tensor, Paddle's "scale-to-one" convention: s = 1 / threshold, one value
// (per tensor) or one per channel. `is_unsigned` marks tensors known to be >= 0 (u8 after relu).
// `signed_grid` (with is_unsigned): stored as u8 but on the grid a signed quantizer gave it in training,
// 127 steps over [0, T] (values 0..127) instead of 255.
struct QuantScale {
  std::vector<double> scales;
  bool is_unsigned = false;
  bool signed_grid = false;
  bool operator==(const QuantScale&) const = default;
};

struct Var {
  std::string name;
  VarKind kind = VarKind::kLodTensor;
  // For kLodTensor / kLodTensorArray / kSelectedRows: element type, dims (-1 unknown) and LoD level.
  std::optional<DataType> dtype = DataType::kFP32;
  std::vector<int64_t> dims;
  int32_t lod_level = 0;
  bool persistable = false;
  bool need_check_feed = false;
  std::optional<bool> is_parameter;
  std::optional<bool> stop_gradient;
  // Serialized VarDesc fields we do not model (VarDesc.attrs, reader/tuple types, 2.x string types,
  // unknown fields): written back verbatim.
  std::string unmodeled;
  // Paddle-compatible node id, -1 when not assigned.
  int64_t id = -1;
  // Set by scale-gathering passes; absent when unknown.
  std::optional<QuantScale> quant;

  bool IsTensor() const { return kind == VarKind::kLodTensor; }
};

struct Slot {
  std::string name;  // "Input", "Filter", "X", ...
  std::vector<std::string> args;
  bool operator==(const Slot&) const = default;
};

class Op {
 public:
  Op() = default;
  explicit Op(std::string type) : type_(std::move(type)) {}

  const std::string& type() const { return type_; }
  void set_type(std::string type) { type_ = std::move(type); }
  int64_t id() const { return id_; }
  void set_id(int64_t id) { id_ = id; }
  std::optional<bool> is_target() const { return is_target_; }
  void set_is_target(std::optional<bool> v) { is_target_ = v; }

  // Slots keep the order they were read in; new slots are appended.
  const std::vector<Slot>& inputs() const { return inputs_; }
  const std::vector<Slot>& outputs() const { return outputs_; }
  std::vector<Slot>& mutable_inputs() { return inputs_; }
  std::vector<Slot>& mutable_outputs() { return outputs_; }

  // Arguments of a slot; empty when the slot is absent.
  const std::vector<std::string>& Inputs(std::string_view slot) const;
  const std::vector<std::string>& Outputs(std::string_view slot) const;
  // First argument of a slot, or "" when absent/empty.
  const std::string& Input(std::string_view slot) const;
  const std::string& Output(std::string_view slot) const;
  bool HasInput(std::string_view slot) const { return !Input(slot).empty(); }
  bool HasOutput(std::string_view slot) const { return !Output(slot).empty(); }
  void SetInput(std::string_view slot, std::vector<std::string> args);
  void SetOutput(std::string_view slot, std::vector<std::string> args);
  void RemoveInput(std::string_view slot);
  void RemoveOutput(std::string_view slot);
  // Every use of `from` in input slots becomes `to`; returns how many were replaced.
  int RenameInput(const std::string& from, const std::string& to);
  int RenameOutput(const std::string& from, const std::string& to);
  // All argument names, in slot order.
  std::vector<std::string> InputNames() const;
  std::vector<std::string> OutputNames() const;

  // Attributes, sorted by name.
  const std::map<std::string, Attribute>& attrs() const { return attrs_; }
  bool HasAttr(std::string_view name) const { return attrs_.count(std::string(name)) > 0; }
  const Attribute* FindAttr(std::string_view name) const;
  void SetAttr(const std::string& name, Attribute value) { attrs_[name] = std::move(value); }
  void RemoveAttr(const std::string& name) { attrs_.erase(name); }

  // Typed getters: error naming the op and attribute when present with a wrong type; `fallback` when
  // absent.
  StatusOr<int64_t> GetInt(std::string_view name, std::optional<int64_t> fallback = std::nullopt) const;
  StatusOr<double> GetFloat(std::string_view name, std::optional<double> fallback = std::nullopt) const;
  StatusOr<bool> GetBool(std::string_view name, std::optional<bool> fallback = std::nullopt) const;
  StatusOr<std::string> GetString(std::string_view name,
                                  std::optional<std::string> fallback = std::nullopt) const;
  StatusOr<std::vector<int64_t>> GetInts(std::string_view name,
                                         std::optional<std::vector<int64_t>> fallback = std::nullopt) const;
  StatusOr<std::vector<double>> GetFloats(std::string_view name,
                                          std::optional<std::vector<double>> fallback = std::nullopt) const;

  // "conv2d(id=12)": how errors and remarks name an op.
  std::string DebugName() const;

  bool operator==(const Op& other) const;

 private:
  std::string type_;
  std::vector<Slot> inputs_;
  std::vector<Slot> outputs_;
  std::map<std::string, Attribute> attrs_;
  std::optional<bool> is_target_;
  int64_t id_ = -1;
};

struct ProgramMeta {
  bool has_version_message = false;                    // ProgramDesc.version present
  std::optional<int64_t> version;                      // ProgramDesc.version.version when set
  std::vector<std::pair<std::string, int32_t>> op_version_map;
  bool has_op_version_map = false;
  int32_t block0_parent_idx = -1;
  std::optional<int32_t> block0_forward_block_idx;
  std::vector<std::string> other_blocks;               // serialized BlockDesc, blocks 1..n
  std::string unmodeled;                               // unknown ProgramDesc fields, verbatim
  std::string block0_unmodeled;                        // unknown BlockDesc fields of block 0
};

using VarMap = std::map<std::string, Var, std::less<>>;
using ParamMap = std::map<std::string, Tensor, std::less<>>;

class Program {
 public:
  Program() = default;
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;
  Program(Program&&) = default;
  Program& operator=(Program&&) = default;

  // Deep copy (tensors share buffers, which are never written in place).
  Program Clone() const;

  // ---- ops, in program (topological) order ----
  const std::vector<std::unique_ptr<Op>>& ops() const { return ops_; }
  size_t num_ops() const { return ops_.size(); }
  Op& op(size_t i) { return *ops_[i]; }
  const Op& op(size_t i) const { return *ops_[i]; }
  // Appends, or inserts before position `index`. New ops get the next node id.
  Op* AddOp(Op op);
  Op* InsertOp(size_t index, Op op);
  // Index of `op` in ops(), or -1.
  int64_t IndexOf(const Op* op) const;
  void RemoveOp(const Op* op);
  // Removes every op for which `pred` is true.
  template <typename Pred>
  size_t RemoveOpsIf(Pred pred) {
    size_t before = ops_.size();
    std::erase_if(ops_, [&](const std::unique_ptr<Op>& o) { return pred(*o); });
    return before - ops_.size();
  }
  Op* FindOpById(int64_t id);

  // ---- variables of block 0, by name (sorted, as Paddle writes them) ----
  const VarMap& vars() const { return vars_; }
  Var* FindVar(std::string_view name);
  const Var* FindVar(std::string_view name) const;
  // Adds the var (assigning a node id); error if the name exists.
  Status AddVar(Var var);
  // Adds or replaces.
  void SetVar(Var var);
  void RemoveVar(std::string_view name);
  // A new variable name "<stem>", or "<stem>_<n>" when taken.
  std::string UniqueVarName(std::string_view stem) const;

  // ---- weights: persistable variables with their data ----
  const ParamMap& params() const { return params_; }
  const Tensor* FindParam(std::string_view name) const;
  // Bytes of all weight data.
  size_t ParamBytes() const;
  void SetParam(const std::string& name, Tensor tensor) { params_[name] = std::move(tensor); }
  void RemoveParam(const std::string& name) { params_.erase(name); }
  // Names of persistable vars that Paddle saves (excludes feed/fetch/raw), sorted.
  std::vector<std::string> PersistableNames() const;

  // ---- feed/fetch targets, in `col` order, read from the feed/fetch ops ----
  std::vector<std::string> FeedNames() const;
  std::vector<std::string> FetchNames() const;

  ProgramMeta& meta() { return meta_; }
  const ProgramMeta& meta() const { return meta_; }

  // Node ids: the next id handed to a new op or var.
  int64_t next_node_id() const { return next_node_id_; }
  void set_next_node_id(int64_t id) { next_node_id_ = id; }
  int64_t TakeNodeId() { return next_node_id_++; }

 private:
  std::vector<std::unique_ptr<Op>> ops_;
  VarMap vars_;
  ParamMap params_;
  ProgramMeta meta_;
  int64_t next_node_id_ = 0;
};

}  // namespace q2i::ir
