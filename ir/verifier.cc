#include "ir/verifier.h"

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace q2i::ir {
namespace {

// ---- the op table ----------------------------------------------------------------------------------
//
// One entry per op type we support: its input and output slots, written as a space-separated list.
// A plain name is required and holds exactly one argument; suffixes: `?` optional (0 or 1 argument),
// `*` optional and variadic (any number), `+` required and variadic (at least one).

struct OpTableEntry {
  const char* type;
  const char* inputs;
  const char* outputs;
};

constexpr const char* kUnary = "X";
constexpr const char* kOut = "Out";
constexpr const char* kConvIn = "Input Filter Bias? ResidualData?";
constexpr const char* kFakeMovingIn = "X InScale InAccum? InState?";
constexpr const char* kFakeMovingOut = "Out OutScale OutState? OutAccum?";

constexpr OpTableEntry kOpTable[] = {
    // feed / fetch
    {"feed", "X", "Out"},
    {"fetch", "X", "Out"},
    // convolutions
    {"conv2d", kConvIn, "Output"},
    {"depthwise_conv2d", kConvIn, "Output"},
    {"conv2d_transpose", "Input Filter Bias?", "Output"},
    {"depthwise_conv2d_transpose", "Input Filter Bias?", "Output"},
    // normalization
    {"batch_norm", "X Scale Bias Mean Variance MomentumTensor?",
     "Y MeanOut? VarianceOut? SavedMean? SavedVariance? ReserveSpace?"},
    {"layer_norm", "X Scale? Bias?", "Y Mean? Variance?"},
    // elementwise binary
    {"elementwise_add", "X Y", kOut},
    {"elementwise_sub", "X Y", kOut},
    {"elementwise_mul", "X Y", kOut},
    {"elementwise_div", "X Y", kOut},
    {"elementwise_max", "X Y", kOut},
    {"elementwise_min", "X Y", kOut},
    {"elementwise_pow", "X Y", kOut},
    // activations
    {"relu", kUnary, kOut},
    {"relu6", kUnary, kOut},
    {"leaky_relu", kUnary, kOut},
    {"sigmoid", kUnary, kOut},
    {"tanh", kUnary, kOut},
    {"hard_swish", kUnary, kOut},
    {"hard_sigmoid", kUnary, kOut},
    {"swish", kUnary, kOut},
    {"gelu", kUnary, kOut},
    {"sqrt", kUnary, kOut},
    {"abs", kUnary, kOut},
    {"exp", kUnary, kOut},
    // pooling, softmax, matrix products
    {"pool2d", kUnary, kOut},
    {"softmax", kUnary, kOut},
    {"mul", "X Y", kOut},
    {"matmul", "X Y", kOut},
    {"matmul_v2", "X Y", kOut},
    {"fc", "Input W Bias?", kOut},
    // shape and data movement
    {"scale", "X ScaleTensor?", kOut},
    {"reshape2", "X Shape? ShapeTensor*", "Out XShape?"},
    {"transpose2", kUnary, "Out XShape?"},
    {"flatten2", kUnary, "Out XShape?"},
    {"flatten_contiguous_range", kUnary, "Out XShape?"},
    {"squeeze2", "X AxesTensor? AxesTensorList*", "Out XShape?"},
    {"unsqueeze2", "X AxesTensor? AxesTensorList*", "Out XShape?"},
    {"concat", "X+ AxisTensor?", kOut},
    {"split", "X AxisTensor? SectionsTensorList*", "Out+"},
    {"sum", "X+", kOut},
    {"dropout", "X Seed?", "Out Mask?"},
    {"shape", "Input", kOut},
    {"slice", "Input StartsTensor? EndsTensor? StartsTensorList* EndsTensorList*", kOut},
    {"fill_constant", "ValueTensor? ShapeTensor? ShapeTensorList*", kOut},
    {"nearest_interp", "X OutSize? SizeTensor* Scale?", kOut},
    {"bilinear_interp", "X OutSize? SizeTensor* Scale?", kOut},
    {"nearest_interp_v2", "X OutSize? SizeTensor* Scale?", kOut},
    {"bilinear_interp_v2", "X OutSize? SizeTensor* Scale?", kOut},
    // fake quantization (spec section 2)
    {"fake_quantize_abs_max", kUnary, "Out OutScale"},
    {"fake_quantize_range_abs_max", "X InScale Iter?", "Out OutScale OutScales?"},
    {"fake_quantize_moving_average_abs_max", kFakeMovingIn, kFakeMovingOut},
    {"fake_quantize_dequantize_abs_max", kUnary, "Out OutScale"},
    {"fake_quantize_dequantize_moving_average_abs_max", kFakeMovingIn, kFakeMovingOut},
    {"fake_channel_wise_quantize_abs_max", kUnary, "Out OutScale"},
    {"fake_channel_wise_quantize_dequantize_abs_max", kUnary, "Out OutScale"},
    {"fake_dequantize_max_abs", "X Scale", kOut},
    {"fake_channel_wise_dequantize_max_abs", "X Scales+", kOut},
    {"moving_average_abs_max_scale", "X InAccum? InState?", "Out? OutScale OutState? OutAccum?"},
    {"quantize_linear", "X Scale ZeroPoint? InAccum? InState?", "Y OutScale? OutState? OutAccum?"},
    {"dequantize_linear", "X Scale ZeroPoint?", "Y"},
    // INT8 boundary ops of a converted program
    {"quantize", "Input", "Output"},
    {"dequantize", "Input", "Output"},
    {"requantize", "Input", "Output"},
};

struct SlotRule {
  std::string name;
  bool required = true;
  bool variadic = false;
};

struct OpRules {
  std::vector<SlotRule> inputs;
  std::vector<SlotRule> outputs;
};

std::vector<SlotRule> ParseSlotRules(const char* spec) {
  std::vector<SlotRule> rules;
  std::istringstream in(spec);
  std::string word;
  while (in >> word) {
    SlotRule r;
    char last = word.back();
    if (last == '?' || last == '*' || last == '+') word.pop_back();
    r.name = word;
    r.required = last != '?' && last != '*';
    r.variadic = last == '*' || last == '+';
    rules.push_back(std::move(r));
  }
  return rules;
}

const std::map<std::string, OpRules, std::less<>>& OpTable() {
  static const auto* table = [] {
    auto* t = new std::map<std::string, OpRules, std::less<>>();
    for (const OpTableEntry& e : kOpTable) (*t)[e.type] = OpRules{ParseSlotRules(e.inputs), ParseSlotRules(e.outputs)};
    return t;
  }();
  return *table;
}

// ---- helpers ---------------------------------------------------------------------------------------

size_t CountNonEmpty(const std::vector<std::string>& args) {
  size_t n = 0;
  for (const auto& a : args) n += a.empty() ? 0 : 1;
  return n;
}

// Feed variables: the X of feed ops and FEED_MINIBATCH variables; fetch variables: the Out of fetch
// ops and FETCH_LIST variables.
struct FeedFetch {
  std::set<std::string, std::less<>> feed, fetch;
  std::set<std::string, std::less<>> feed_targets;  // the Out of feed ops: model inputs
  bool Contains(std::string_view name) const { return feed.count(name) > 0 || fetch.count(name) > 0; }
};

FeedFetch FeedFetchVars(const Program& program) {
  FeedFetch ff;
  for (const auto& op : program.ops()) {
    if (op->type() == "feed") {
      for (const auto& a : op->Inputs("X")) ff.feed.insert(a);
      for (const auto& a : op->Outputs("Out")) ff.feed_targets.insert(a);
    }
    if (op->type() == "fetch") {
      for (const auto& a : op->Outputs("Out")) ff.fetch.insert(a);
    }
  }
  for (const auto& [name, var] : program.vars()) {
    if (var.kind == VarKind::kFeedMinibatch) ff.feed.insert(name);
    if (var.kind == VarKind::kFetchList) ff.fetch.insert(name);
  }
  return ff;
}

// Persistable kinds Paddle does not save: such variables legitimately have no tensor.
bool IsUnsavedPersistableKind(VarKind kind) {
  return kind == VarKind::kFeedMinibatch || kind == VarKind::kFetchList || kind == VarKind::kRaw ||
         kind == VarKind::kReader;
}

void CheckSlots(const Op& op, const std::vector<Slot>& slots, const std::vector<SlotRule>* rules,
                const char* direction, std::vector<std::string>* violations) {
  std::set<std::string> seen;
  for (const Slot& s : slots) {
    if (!seen.insert(s.name).second)
      violations->push_back(op.DebugName() + ": " + direction + " slot '" + s.name + "' appears twice");
  }
  if (rules == nullptr) return;
  for (const Slot& s : slots) {
    const SlotRule* rule = nullptr;
    for (const SlotRule& r : *rules)
      if (r.name == s.name) rule = &r;
    if (rule == nullptr) {
      violations->push_back(op.DebugName() + ": unknown " + direction + " slot '" + s.name + "' for op type '" +
                            op.type() + "'");
      continue;
    }
    size_t n = CountNonEmpty(s.args);
    if (!rule->variadic && n > 1)
      violations->push_back(op.DebugName() + ": " + direction + " slot '" + s.name + "' takes one variable, has " +
                            std::to_string(n));
  }
  for (const SlotRule& r : *rules) {
    if (!r.required) continue;
    size_t n = 0;
    for (const Slot& s : slots)
      if (s.name == r.name) n += CountNonEmpty(s.args);
    if (n == 0)
      violations->push_back(op.DebugName() + ": missing required " + direction + " slot '" + r.name + "'");
  }
}

}  // namespace

bool IsVerifiedOpType(std::string_view type) { return OpTable().count(type) > 0; }

Status VerifyProgram(const Program& program, const VerifyOptions& options) {
  std::vector<std::string> violations;
  const auto feed_fetch = FeedFetchVars(program);
  auto is_feed_fetch = [&](const std::string& name) { return feed_fetch.Contains(name); };

  // First producer of every name, to tell "read before its producer" from "never produced".
  std::map<std::string, const Op*, std::less<>> first_producer;
  for (const auto& op : program.ops())
    for (const auto& name : op->OutputNames())
      if (!name.empty()) first_producer.emplace(name, op.get());

  std::map<std::string, const Op*, std::less<>> produced;  // produced by an op seen so far
  for (const auto& op_ptr : program.ops()) {
    const Op& op = *op_ptr;
    const std::string& who = op.DebugName();
    const bool is_feed = op.type() == "feed";
    const bool is_fetch = op.type() == "fetch";

    // Slots of known ops; duplicate slot names for every op.
    auto rules = OpTable().find(op.type());
    const OpRules* r = rules == OpTable().end() ? nullptr : &rules->second;
    CheckSlots(op, op.inputs(), r ? &r->inputs : nullptr, "input", &violations);
    CheckSlots(op, op.outputs(), r ? &r->outputs : nullptr, "output", &violations);

    std::set<std::string> undeclared_reported;
    auto check_declared = [&](const std::string& slot, const std::string& name, const char* direction) {
      if (program.FindVar(name) != nullptr || is_feed_fetch(name)) return;
      if (!undeclared_reported.insert(name).second) return;
      violations.push_back(who + ": " + direction + " slot '" + slot + "' names undeclared variable '" + name + "'");
    };

    // Inputs: declared, and defined before use.
    for (const Slot& s : op.inputs()) {
      for (const std::string& name : s.args) {
        if (name.empty()) continue;
        check_declared(s.name, name, "input");
        if (produced.count(name)) continue;
        if (is_feed && s.name == "X") continue;  // the feed variable feeds read
        if (feed_fetch.feed_targets.count(name)) continue;  // a model input, bound before the program runs
        if (is_feed_fetch(name) && !first_producer.count(name)) continue;
        const Var* v = program.FindVar(name);
        const bool has_data = program.FindParam(name) != nullptr;
        if (has_data && (v == nullptr || v->persistable)) continue;
        if (v != nullptr && v->persistable && IsUnsavedPersistableKind(v->kind)) continue;
        std::string msg = who + ": input slot '" + s.name + "' reads '" + name + "', ";
        auto later = first_producer.find(name);
        if (later != first_producer.end()) {
          msg += "which is produced only later, by " + later->second->DebugName();
        } else if (v != nullptr && v->persistable) {
          msg += "a persistable variable without tensor data";
        } else if (has_data) {
          msg += "which has tensor data but is not persistable";
        } else {
          msg += "which no earlier op produces and which is neither a parameter nor a feed variable";
        }
        violations.push_back(std::move(msg));
      }
    }

    // Outputs: declared, and (with require_ssa) a single producer.
    for (const Slot& s : op.outputs()) {
      for (const std::string& name : s.args) {
        if (name.empty()) continue;
        check_declared(s.name, name, "output");
        if (options.require_ssa && !(is_fetch && feed_fetch.fetch.count(name))) {
          std::string prefix = who + ": output slot '" + s.name + "' writes '" + name + "', ";
          auto earlier = produced.find(name);
          if (earlier != produced.end()) {
            violations.push_back(prefix + "already produced by " +
                                 (earlier->second == &op ? std::string("this op") : earlier->second->DebugName()) +
                                 " (not SSA)");
          } else if (program.FindParam(name) != nullptr) {
            violations.push_back(prefix + "which is a parameter (in-place update; not SSA)");
          } else if (feed_fetch.feed.count(name)) {
            violations.push_back(prefix + "which is the feed variable (not SSA)");
          }
        }
        produced.emplace(name, &op);
      }
    }
  }

  if (violations.empty()) return OkStatus();
  constexpr size_t kMaxListed = 200;
  std::ostringstream msg;
  msg << "program verification failed with " << violations.size() << " violation"
      << (violations.size() == 1 ? "" : "s") << ":";
  for (size_t i = 0; i < violations.size() && i < kMaxListed; ++i) msg << "\n  " << violations[i];
  if (violations.size() > kMaxListed) msg << "\n  ... and " << violations.size() - kMaxListed << " more";
  return InvalidModel(msg.str());
}

Status MakeSsa(Program& program) {
  const auto feed_fetch = FeedFetchVars(program);
  std::set<std::string> used;  // every argument name, so that fresh names collide with none
  for (const auto& op : program.ops()) {
    for (auto& n : op->InputNames()) used.insert(n);
    for (auto& n : op->OutputNames()) used.insert(n);
  }
  std::set<std::string> defined;
  std::map<std::string, std::string> latest;  // original name -> the name of its newest version
  for (size_t i = 0; i < program.num_ops(); ++i) {
    Op& op = program.op(i);
    for (Slot& s : op.mutable_inputs())
      for (std::string& name : s.args) {
        auto it = latest.find(name);
        if (it != latest.end()) name = it->second;
      }
    const bool is_fetch = op.type() == "fetch";
    for (Slot& s : op.mutable_outputs()) {
      for (std::string& name : s.args) {
        if (name.empty()) continue;
        if (is_fetch && feed_fetch.fetch.count(name)) continue;
        const Var* var = program.FindVar(name);
        const bool clash =
            defined.count(name) > 0 || program.FindParam(name) != nullptr || feed_fetch.feed.count(name) > 0;
        if (!clash) {
          defined.insert(name);
          continue;
        }
        if (!program.meta().other_blocks.empty())
          return Unsupported(op.DebugName(), ": output slot '", s.name, "' writes '", name,
                             "' in place, and the program has sub-blocks that may read it by name; cannot make it SSA");
        std::string fresh = program.UniqueVarName(name);
        for (int n = 0; used.count(fresh); ++n) fresh = program.UniqueVarName(name + "_ssa" + std::to_string(n));
        Var copy;
        if (var != nullptr) copy = *var;
        copy.name = fresh;
        copy.persistable = false;
        copy.is_parameter.reset();
        copy.id = -1;
        if (copy.kind == VarKind::kFeedMinibatch || copy.kind == VarKind::kFetchList) {
          copy.kind = VarKind::kLodTensor;
          copy.dtype = DataType::kFP32;
        }
        Q2I_RETURN_IF_ERROR(program.AddVar(std::move(copy)));
        used.insert(fresh);
        defined.insert(fresh);
        latest[name] = fresh;
        name = fresh;
      }
    }
  }
  return OkStatus();
}

}  // namespace q2i::ir
