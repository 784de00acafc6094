#include "calibration/quant_plan.h"

#include <map>
#include <sstream>

#include "ir/graph_index.h"

namespace q2i::calibration {
namespace {

std::string Join(const std::set<std::string>& s) {
  std::ostringstream os;
  for (const auto& x : s) os << (os.tellp() > 0 ? ", " : "") << x;
  return os.str();
}

bool IsFloatTensorVar(const ir::Var* v) {
  return v != nullptr && v->IsTensor() && v->dtype && *v->dtype == ir::DataType::kFP32;
}

// The activation op that a fused activation stands for; false when we do not know it.
bool ActivationOp(const std::string& act, double alpha, double beta, ir::Op* out) {
  ir::Op op(act);
  if (act == "relu" || act == "sigmoid" || act == "tanh" || act == "hard_swish") {
  } else if (act == "relu6") {
    op.SetAttr("threshold", ir::Attribute::Float(static_cast<float>(alpha > 0 ? alpha : 6.0)));
  } else if (act == "leaky_relu") {
    op.SetAttr("alpha", ir::Attribute::Float(static_cast<float>(alpha)));
  } else if (act == "swish") {
    op.SetAttr("beta", ir::Attribute::Float(static_cast<float>(alpha != 0 ? alpha : 1.0)));
  } else if (act == "hard_sigmoid") {
    op.SetAttr("slope", ir::Attribute::Float(static_cast<float>(alpha != 0 ? alpha : 0.2)));
    op.SetAttr("offset", ir::Attribute::Float(static_cast<float>(beta != 0 ? beta : 0.5)));
  } else {
    return false;
  }
  *out = std::move(op);
  return true;
}

// A new float32 variable shaped like `like`, named after it.
StatusOr<std::string> NewVarLike(ir::Program& program, const std::string& like, const std::string& suffix) {
  const ir::Var* src = program.FindVar(like);
  ir::Var v;
  v.name = program.UniqueVarName(like + suffix);
  if (src != nullptr) {
    v.dims = src->dims;
    v.lod_level = src->lod_level;
  }
  const std::string name = v.name;
  Q2I_RETURN_IF_ERROR(program.AddVar(std::move(v)));
  return name;
}

// Moves a fused bias and activation of `op` (which writes `out_slot`) into an elementwise_add and an
// activation op after it. `bias_axis` is the elementwise_add axis.
Status Unfuse(ir::Program& program, ir::Op& op, const std::string& out_slot, const std::string& bias,
              int64_t bias_axis, const std::optional<ir::Op>& act) {
  const std::string out = op.Output(out_slot);
  size_t pos = static_cast<size_t>(program.IndexOf(&op)) + 1;
  std::string current = out;
  if (!bias.empty() || act) {
    Q2I_ASSIGN_OR_RETURN(current, NewVarLike(program, out, ".product"));
    op.SetOutput(out_slot, {current});
  }
  if (!bias.empty()) {
    ir::Op add("elementwise_add");
    add.SetInput("X", {current});
    add.SetInput("Y", {bias});
    std::string next = out;
    if (act) {
      Q2I_ASSIGN_OR_RETURN(next, NewVarLike(program, out, ".biased"));
    }
    add.SetOutput("Out", {next});
    add.SetAttr("axis", ir::Attribute::Int(static_cast<int32_t>(bias_axis)));
    program.InsertOp(pos++, std::move(add));
    current = next;
  }
  if (act) {
    ir::Op a = *act;
    a.SetInput("X", {current});
    a.SetOutput("Out", {out});
    program.InsertOp(pos, std::move(a));
  }
  return OkStatus();
}

struct Candidate {
  QuantTarget target;
  std::string skip;  // non-empty: not a target, for this reason
};

// Checks `op` and, when it can be a target, unfuses it. Returns the candidate.
StatusOr<Candidate> Examine(ir::Program& program, ir::Op& op, const PlanOptions& options) {
  Candidate c;
  QuantTarget& t = c.target;
  t.op_id = op.id();
  t.type = op.type();
  const std::string& type = op.type();
  if (type == "conv2d" || type == "depthwise_conv2d") {
    t.activation_slot = "Input", t.weight_slot = "Filter", t.output_slot = "Output", t.weight_axis = 0;
  } else if (type == "fc") {
    t.activation_slot = "Input", t.weight_slot = "W", t.output_slot = "Out", t.weight_axis = 1;
  } else {
    t.activation_slot = "X", t.weight_slot = "Y", t.output_slot = "Out", t.weight_axis = 1;
  }
  t.activation = op.Input(t.activation_slot);
  t.weight = op.Input(t.weight_slot);
  t.output = op.Output(t.output_slot);

  Q2I_ASSIGN_OR_RETURN(bool skip_quant, op.GetBool("skip_quant", false));
  if (skip_quant) return Candidate{t, "skip_quant is set in the model"};
  for (const std::string* name : {&t.activation, &t.weight, &t.output})
    if (options.skip_tensors.count(*name)) return Candidate{t, "tensor '" + *name + "' is in the skip list"};
  const ir::Var* w = program.FindVar(t.weight);
  const ir::Tensor* wt = program.FindParam(t.weight);
  if (t.weight.empty() || w == nullptr || !w->persistable || wt == nullptr)
    return Candidate{t, "input " + t.weight_slot + " is not a weight (only ops with a weight are quantized)"};
  if (wt->dtype() != ir::DataType::kFP32)
    return Candidate{t, "weight '" + t.weight + "' is " + std::string(ir::DataTypeName(wt->dtype())) + ", not float32"};
  if (!IsFloatTensorVar(program.FindVar(t.activation)) || program.FindVar(t.activation)->persistable)
    return Candidate{t, "input " + t.activation_slot + " is not a float32 activation"};
  if (!IsFloatTensorVar(program.FindVar(t.output))) return Candidate{t, "output is not float32"};
  if (op.Outputs(t.output_slot).size() != 1) return Candidate{t, "more than one output"};

  if (type == "mul") {
    Q2I_ASSIGN_OR_RETURN(int64_t ycols, op.GetInt("y_num_col_dims", 1));
    if (ycols != 1 || wt->dims().size() != 2) return Candidate{t, "weight is not a [K, N] matrix (y_num_col_dims 1)"};
  } else if (type == "matmul" || type == "matmul_v2") {
    if (wt->dims().size() < 2) return Candidate{t, "weight has rank < 2"};
    Q2I_ASSIGN_OR_RETURN(bool ty, op.GetBool(type == "matmul_v2" ? "trans_y" : "transpose_Y", false));
    if (ty) t.weight_axis = 0;
    if (wt->dims().size() != 2) return Candidate{t, "batched weight (rank > 2)"};
  } else if (type == "fc") {
    if (wt->dims().size() != 2) return Candidate{t, "weight is not a [K, N] matrix"};
    Q2I_ASSIGN_OR_RETURN(bool padded, op.GetBool("padding_weights", false));
    if (padded) return Candidate{t, "padded fc weights"};
    Q2I_ASSIGN_OR_RETURN(std::string act_type, op.GetString("activation_type", ""));
    std::optional<ir::Op> act;
    if (!act_type.empty()) {
      ir::Op a;
      if (!ActivationOp(act_type, 0, 0, &a)) return Candidate{t, "fused activation '" + act_type + "' cannot be unfused"};
      act = std::move(a);
    }
    Q2I_ASSIGN_OR_RETURN(int64_t cols, op.GetInt("in_num_col_dims", 1));
    const std::string bias = op.Input("Bias");
    const ir::Tensor* b = program.FindParam(bias);
    const int64_t axis = b != nullptr && b->dims().size() == 1 ? cols : -1;
    // fc(Input, W, Bias) -> mul(X, Y) [+ elementwise_add] [+ activation]
    std::vector<ir::Slot> ins = {{"X", {t.activation}}, {"Y", {t.weight}}};
    op.mutable_inputs() = ins;
    op.set_type("mul");
    for (const char* a : {"in_num_col_dims", "activation_type", "padding_weights"}) op.RemoveAttr(a);
    op.SetAttr("x_num_col_dims", ir::Attribute::Int(static_cast<int32_t>(cols)));
    op.SetAttr("y_num_col_dims", ir::Attribute::Int(1));
    Q2I_RETURN_IF_ERROR(Unfuse(program, op, "Out", bias, axis, act));
    t.type = "mul", t.activation_slot = "X", t.weight_slot = "Y", t.output = op.Output("Out");
  } else {  // conv2d, depthwise_conv2d
    Q2I_ASSIGN_OR_RETURN(bool residual, op.GetBool("fuse_residual_connection", false));
    if (residual || !op.Input("ResidualData").empty()) return Candidate{t, "conv with a fused residual connection"};
    Q2I_ASSIGN_OR_RETURN(std::string act_type, op.GetString("fuse_activation", ""));
    Q2I_ASSIGN_OR_RETURN(bool fuse_relu, op.GetBool("fuse_relu", false));
    if (act_type.empty() && fuse_relu) act_type = "relu";
    std::optional<ir::Op> act;
    if (!act_type.empty()) {
      Q2I_ASSIGN_OR_RETURN(double alpha, op.GetFloat("fuse_alpha", 0.0));
      Q2I_ASSIGN_OR_RETURN(double beta, op.GetFloat("fuse_beta", 0.0));
      ir::Op a;
      if (!ActivationOp(act_type, alpha, beta, &a)) return Candidate{t, "fused activation '" + act_type + "' cannot be unfused"};
      act = std::move(a);
    }
    const std::string bias = op.Input("Bias");
    if (!bias.empty() || act) {
      Q2I_ASSIGN_OR_RETURN(std::string layout, op.GetString("data_format", "NCHW"));
      op.RemoveInput("Bias");
      op.SetAttr("fuse_activation", ir::Attribute::String(""));
      for (const char* a : {"fuse_relu", "fuse_alpha", "fuse_beta"}) op.RemoveAttr(a);
      Q2I_RETURN_IF_ERROR(Unfuse(program, op, "Output", bias, layout == "NHWC" ? -1 : 1, act));
      t.output = op.Output("Output");
    }
  }
  return c;
}

}  // namespace

const std::set<std::string>& SupportedQuantizableOpTypes() {
  static const std::set<std::string> kTypes = {"conv2d", "depthwise_conv2d", "fc", "matmul", "matmul_v2", "mul"};
  return kTypes;
}

const std::set<std::string>& DefaultQuantizableOpTypes() {
  static const std::set<std::string> kTypes = {"conv2d", "depthwise_conv2d", "mul", "matmul", "matmul_v2", "fc"};
  return kTypes;
}

const std::set<std::string>& OutputScaleOpTypes() {
  static const std::set<std::string> kTypes = {
      "conv2d", "depthwise_conv2d", "conv2d_transpose", "mul", "matmul", "matmul_v2", "fc",
      "relu", "relu6", "leaky_relu", "prelu", "sigmoid", "tanh", "swish", "hard_swish", "hard_sigmoid", "gelu",
      "softmax", "batch_norm", "layer_norm", "elementwise_add", "elementwise_sub", "elementwise_mul",
      "pool2d", "concat", "scale", "slice", "split", "dropout", "clip", "pad2d",
      "reshape", "reshape2", "transpose", "transpose2", "flatten", "flatten2", "flatten_contiguous_range",
      "squeeze2", "unsqueeze2", "nearest_interp", "nearest_interp_v2", "bilinear_interp", "bilinear_interp_v2"};
  return kTypes;
}

StatusOr<QuantPlan> PlanQuantization(ir::Program& program, const PlanOptions& options) {
  for (const auto& t : options.quantizable_op_types)
    if (!SupportedQuantizableOpTypes().count(t))
      return InvalidArgument("cannot quantize op type '", t, "'; supported: ", Join(SupportedQuantizableOpTypes()));
  QuantPlan plan;
  // Snapshot the ops first: Examine inserts ops after the one it unfuses.
  std::vector<ir::Op*> ops;
  for (const auto& op : program.ops()) ops.push_back(op.get());
  for (ir::Op* op : ops) {
    if (!options.quantizable_op_types.count(op->type())) continue;
    Q2I_ASSIGN_OR_RETURN(Candidate c, Examine(program, *op, options));
    if (c.skip.empty()) {
      plan.targets.push_back(std::move(c.target));
    } else {
      plan.skipped.push_back({op->id(), op->type(), c.skip});
    }
  }

  ir::GraphIndex index(program);
  std::set<int64_t> target_ids, activation_producers;
  std::set<std::string> target_activations;
  for (const auto& t : plan.targets) {
    target_ids.insert(t.op_id);
    target_activations.insert(t.activation);
    if (const ir::Op* p = index.Producer(t.activation)) activation_producers.insert(p->id());
  }
  std::set<std::string> seen;
  auto add_tensor = [&](const std::string& name) {
    if (seen.insert(name).second) plan.tensors.push_back(name);
  };
  std::map<int64_t, const QuantTarget*> by_id;
  for (const auto& t : plan.targets) by_id[t.op_id] = &t;
  for (const auto& op : program.ops()) {
    if (op->type() == "feed" || op->type() == "fetch") continue;
    const bool scaled = target_ids.count(op->id()) || activation_producers.count(op->id()) ||
                        OutputScaleOpTypes().count(op->type());
    if (!scaled) continue;
    if (auto it = by_id.find(op->id()); it != by_id.end()) add_tensor(it->second->activation);
    for (const char* slot : {"Out", "Output", "Y"}) {
      const auto& args = op->Outputs(slot);
      for (size_t i = 0; i < args.size(); ++i) {
        const ir::Var* v = program.FindVar(args[i]);
        if (!IsFloatTensorVar(v) || v->persistable || options.skip_tensors.count(args[i])) continue;
        if (index.NumConsumers(args[i]) == 0) continue;  // fetched vars have the fetch op as a consumer
        plan.outputs.push_back({op->id(), slot, static_cast<int>(i), args[i]});
        add_tensor(args[i]);
      }
    }
  }
  return plan;
}

}  // namespace q2i::calibration
