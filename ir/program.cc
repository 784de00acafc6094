#include "ir/program.h"

#include <algorithm>

#include "support/check.h"

namespace q2i::ir {

namespace {
const std::vector<std::string>& EmptyArgs() {
  static const std::vector<std::string> kEmpty;
  return kEmpty;
}
const std::string& EmptyName() {
  static const std::string kEmpty;
  return kEmpty;
}
const std::vector<std::string>& FindSlot(const std::vector<Slot>& slots, std::string_view name) {
  for (const Slot& s : slots)
    if (s.name == name) return s.args;
  return EmptyArgs();
}
void SetSlot(std::vector<Slot>& slots, std::string_view name, std::vector<std::string> args) {
  for (Slot& s : slots) {
    if (s.name == name) {
      s.args = std::move(args);
      return;
    }
  }
  slots.push_back(Slot{std::string(name), std::move(args)});
}
void RemoveSlot(std::vector<Slot>& slots, std::string_view name) {
  std::erase_if(slots, [&](const Slot& s) { return s.name == name; });
}
int RenameIn(std::vector<Slot>& slots, const std::string& from, const std::string& to) {
  int n = 0;
  for (Slot& s : slots)
    for (std::string& a : s.args)
      if (a == from) {
        a = to;
        ++n;
      }
  return n;
}
std::vector<std::string> AllNames(const std::vector<Slot>& slots) {
  std::vector<std::string> names;
  for (const Slot& s : slots) names.insert(names.end(), s.args.begin(), s.args.end());
  return names;
}
}  // namespace

const std::vector<std::string>& Op::Inputs(std::string_view slot) const { return FindSlot(inputs_, slot); }
const std::vector<std::string>& Op::Outputs(std::string_view slot) const { return FindSlot(outputs_, slot); }
const std::string& Op::Input(std::string_view slot) const {
  const auto& a = Inputs(slot);
  return a.empty() ? EmptyName() : a.front();
}
const std::string& Op::Output(std::string_view slot) const {
  const auto& a = Outputs(slot);
  return a.empty() ? EmptyName() : a.front();
}
void Op::SetInput(std::string_view slot, std::vector<std::string> args) { SetSlot(inputs_, slot, std::move(args)); }
void Op::SetOutput(std::string_view slot, std::vector<std::string> args) { SetSlot(outputs_, slot, std::move(args)); }
void Op::RemoveInput(std::string_view slot) { RemoveSlot(inputs_, slot); }
void Op::RemoveOutput(std::string_view slot) { RemoveSlot(outputs_, slot); }
int Op::RenameInput(const std::string& from, const std::string& to) { return RenameIn(inputs_, from, to); }
int Op::RenameOutput(const std::string& from, const std::string& to) { return RenameIn(outputs_, from, to); }
std::vector<std::string> Op::InputNames() const { return AllNames(inputs_); }
std::vector<std::string> Op::OutputNames() const { return AllNames(outputs_); }

const Attribute* Op::FindAttr(std::string_view name) const {
  auto it = attrs_.find(std::string(name));
  return it == attrs_.end() ? nullptr : &it->second;
}

std::string Op::DebugName() const { return type_ + "(id=" + std::to_string(id_) + ")"; }

bool Op::operator==(const Op& other) const {
  return type_ == other.type_ && inputs_ == other.inputs_ && outputs_ == other.outputs_ &&
         attrs_ == other.attrs_ && is_target_ == other.is_target_;
}

namespace {
template <typename T, typename Getter>
StatusOr<T> GetTyped(const Op& op, std::string_view name, std::optional<T> fallback, Getter get) {
  const Attribute* a = op.FindAttr(name);
  if (a == nullptr) {
    if (fallback) return *fallback;
    return InvalidModel("op ", op.DebugName(), " has no attribute '", name, "'");
  }
  auto v = get(*a);
  if (!v.ok()) return v.status().WithContext("op " + op.DebugName() + " attribute '" + std::string(name) + "'");
  return std::move(v).value();
}
}  // namespace

StatusOr<int64_t> Op::GetInt(std::string_view name, std::optional<int64_t> fallback) const {
  return GetTyped<int64_t>(*this, name, fallback, [](const Attribute& a) { return a.AsInt(); });
}
StatusOr<double> Op::GetFloat(std::string_view name, std::optional<double> fallback) const {
  return GetTyped<double>(*this, name, fallback, [](const Attribute& a) { return a.AsFloat(); });
}
StatusOr<bool> Op::GetBool(std::string_view name, std::optional<bool> fallback) const {
  return GetTyped<bool>(*this, name, fallback, [](const Attribute& a) { return a.AsBool(); });
}
StatusOr<std::string> Op::GetString(std::string_view name, std::optional<std::string> fallback) const {
  return GetTyped<std::string>(*this, name, std::move(fallback), [](const Attribute& a) { return a.AsString(); });
}
StatusOr<std::vector<int64_t>> Op::GetInts(std::string_view name,
                                           std::optional<std::vector<int64_t>> fallback) const {
  return GetTyped<std::vector<int64_t>>(*this, name, std::move(fallback),
                                        [](const Attribute& a) { return a.AsInts(); });
}
StatusOr<std::vector<double>> Op::GetFloats(std::string_view name,
                                            std::optional<std::vector<double>> fallback) const {
  return GetTyped<std::vector<double>>(*this, name, std::move(fallback),
                                       [](const Attribute& a) { return a.AsFloats(); });
}

// ---------------------------------------------------------------------------------------------------

Program Program::Clone() const {
  Program p;
  for (const auto& o : ops_) p.ops_.push_back(std::make_unique<Op>(*o));
  p.vars_ = vars_;
  p.params_ = params_;
  p.meta_ = meta_;
  p.next_node_id_ = next_node_id_;
  return p;
}

Op* Program::AddOp(Op op) { return InsertOp(ops_.size(), std::move(op)); }

Op* Program::InsertOp(size_t index, Op op) {
  Q2I_CHECK(index <= ops_.size());
  if (op.id() < 0) op.set_id(TakeNodeId());
  auto it = ops_.insert(ops_.begin() + static_cast<std::ptrdiff_t>(index), std::make_unique<Op>(std::move(op)));
  return it->get();
}

int64_t Program::IndexOf(const Op* op) const {
  for (size_t i = 0; i < ops_.size(); ++i)
    if (ops_[i].get() == op) return static_cast<int64_t>(i);
  return -1;
}

void Program::RemoveOp(const Op* op) {
  std::erase_if(ops_, [&](const std::unique_ptr<Op>& o) { return o.get() == op; });
}

Op* Program::FindOpById(int64_t id) {
  for (auto& o : ops_)
    if (o->id() == id) return o.get();
  return nullptr;
}

Var* Program::FindVar(std::string_view name) {
  auto it = vars_.find(name);
  return it == vars_.end() ? nullptr : &it->second;
}
const Var* Program::FindVar(std::string_view name) const {
  auto it = vars_.find(name);
  return it == vars_.end() ? nullptr : &it->second;
}

Status Program::AddVar(Var var) {
  if (vars_.count(var.name)) return InvalidModel("variable '", var.name, "' is declared twice");
  if (var.id < 0) var.id = TakeNodeId();
  std::string name = var.name;
  vars_.emplace(std::move(name), std::move(var));
  return OkStatus();
}

void Program::SetVar(Var var) {
  if (var.id < 0) var.id = TakeNodeId();
  std::string name = var.name;
  vars_[name] = std::move(var);
}

void Program::RemoveVar(std::string_view name) {
  auto it = vars_.find(name);
  if (it != vars_.end()) vars_.erase(it);
}

std::string Program::UniqueVarName(std::string_view stem) const {
  std::string base(stem);
  if (!vars_.count(base)) return base;
  for (int i = 0;; ++i) {
    std::string candidate = base + "_" + std::to_string(i);
    if (!vars_.count(candidate)) return candidate;
  }
}

const Tensor* Program::FindParam(std::string_view name) const {
  auto it = params_.find(name);
  return it == params_.end() ? nullptr : &it->second;
}

size_t Program::ParamBytes() const {
  size_t bytes = 0;
  for (const auto& [name, t] : params_) bytes += t.nbytes();
  return bytes;
}

std::vector<std::string> Program::PersistableNames() const {
  std::vector<std::string> names;
  for (const auto& [name, v] : vars_) {
    if (!v.persistable) continue;
    if (v.kind == VarKind::kFeedMinibatch || v.kind == VarKind::kFetchList || v.kind == VarKind::kRaw ||
        v.kind == VarKind::kReader)
      continue;
    names.push_back(name);
  }
  return names;  // std::map order = byte-wise lexicographic, as Paddle sorts
}

namespace {
std::vector<std::string> ColumnTargets(const std::vector<std::unique_ptr<Op>>& ops, std::string_view type,
                                       std::string_view slot) {
  std::vector<std::pair<int64_t, std::string>> cols;
  for (const auto& o : ops) {
    if (o->type() != type) continue;
    auto col = o->GetInt("col", 0);
    const std::string& name = slot == "Out" ? o->Output("Out") : o->Input("X");
    cols.emplace_back(col.ok() ? *col : 0, name);
  }
  std::stable_sort(cols.begin(), cols.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> names;
  for (auto& c : cols) names.push_back(std::move(c.second));
  return names;
}
}  // namespace

std::vector<std::string> Program::FeedNames() const { return ColumnTargets(ops_, "feed", "Out"); }
std::vector<std::string> Program::FetchNames() const { return ColumnTargets(ops_, "fetch", "X"); }

}  // namespace q2i::ir
