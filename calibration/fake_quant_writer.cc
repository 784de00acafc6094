#include "calibration/fake_quant_writer.h"

#include <algorithm>
#include <cmath>

namespace q2i::calibration {
namespace {

using ir::Attribute;

constexpr double kLevels = 127.0;

StatusOr<std::string> AddTensorVar(ir::Program& program, const std::string& stem, std::vector<int64_t> dims,
                                   bool persistable) {
  ir::Var v;
  v.name = program.UniqueVarName(stem);
  v.dims = std::move(dims);
  v.persistable = persistable;
  const std::string name = v.name;
  Q2I_RETURN_IF_ERROR(program.AddVar(std::move(v)));
  return name;
}

StatusOr<std::string> AddParam(ir::Program& program, const std::string& stem, const std::vector<double>& values) {
  Q2I_ASSIGN_OR_RETURN(std::string name,
                       AddTensorVar(program, stem, {static_cast<int64_t>(values.size())}, /*persistable=*/true));
  std::vector<float> f(values.begin(), values.end());
  program.SetParam(name, ir::Tensor::FromVector<float>({static_cast<int64_t>(f.size())}, f));
  return name;
}

std::vector<int64_t> DimsOf(const ir::Program& program, const std::string& name) {
  const ir::Var* v = program.FindVar(name);
  return v ? v->dims : std::vector<int64_t>{};
}

// Readers of `name` after position `from` (until an op writes it again) read `to` instead.
void RenameLaterReads(ir::Program& program, size_t from, const std::string& name, const std::string& to) {
  for (size_t i = from; i < program.num_ops(); ++i) {
    ir::Op& op = program.op(i);
    op.RenameInput(name, to);
    const auto outs = op.OutputNames();
    if (std::find(outs.begin(), outs.end(), name) != outs.end()) break;
  }
}

int CountReaders(const ir::Program& program, const std::string& name) {
  int n = 0;
  for (const auto& op : program.ops()) {
    const auto ins = op->InputNames();
    n += std::find(ins.begin(), ins.end(), name) != ins.end();
  }
  return n;
}

class Writer {
 public:
  Writer(ir::Program& program, const std::map<std::string, double>& thresholds, const WriterOptions& options)
      : program_(program), thresholds_(thresholds), options_(options) {}

  double ThresholdOf(const std::string& name) const {
    auto it = thresholds_.find(name);
    return it != thresholds_.end() && it->second > 0 && std::isfinite(it->second) ? it->second : 0.0;
  }

  // Returns the reason when the target is not quantized.
  StatusOr<std::string> Quantize(const QuantTarget& t) {
    ir::Op* op = program_.FindOpById(t.op_id);
    if (op == nullptr) return InternalError("quantization target ", t.type, "(id=", t.op_id, ") is not in the program");
    const double t_act = ThresholdOf(t.activation);
    if (t_act == 0) return "no threshold for activation '" + t.activation + "' (all calibration values are 0)";

    // Weight: a private copy when other ops read it, then integer values.
    std::string weight = t.weight;
    if (CountReaders(program_, weight) > 1) {
      const ir::Var* src = program_.FindVar(weight);
      ir::Var copy = *src;
      copy.name = program_.UniqueVarName(weight);
      copy.id = -1;
      copy.quant.reset();
      Q2I_RETURN_IF_ERROR(program_.AddVar(copy));
      program_.SetParam(copy.name, *program_.FindParam(weight));
      op->RenameInput(weight, copy.name);
      weight = copy.name;
    }
    const bool conv = t.type == "conv2d" || t.type == "depthwise_conv2d";
    const int natural_axis = conv ? 0 : 1;
    const bool per_channel =
        options_.weight_quantize_type == WeightQuantizeType::kChannelWiseAbsMax && t.weight_axis == natural_axis;
    Q2I_ASSIGN_OR_RETURN(QuantizedWeight qw,
                         QuantizeWeight(*program_.FindParam(weight), per_channel ? t.weight_axis : -1, weight));
    program_.SetParam(weight, std::move(qw.values));

    // Activation: one fake quantize op per activation variable. When the activation is the output of
    // a target quantized earlier, the op now reads that target's dequantized output.
    const std::string activation = renamed_.count(t.activation) ? renamed_.at(t.activation) : t.activation;
    auto [scale_var, quantized_var] = std::pair<std::string, std::string>();
    if (auto it = act_ops_.find(activation); it != act_ops_.end()) {
      std::tie(scale_var, quantized_var) = it->second;
    } else {
      Q2I_ASSIGN_OR_RETURN(scale_var, AddParam(program_, activation + ".scale", {t_act}));
      Q2I_ASSIGN_OR_RETURN(quantized_var, AddTensorVar(program_, activation + ".quantized",
                                                       DimsOf(program_, activation), false));
      const bool range = options_.activation_quantize_type == ActivationQuantizeType::kRangeAbsMax;
      ir::Op q(range ? "fake_quantize_range_abs_max" : "fake_quantize_moving_average_abs_max");
      q.SetInput("InScale", {scale_var});
      q.SetInput("X", {activation});
      q.SetOutput("Out", {quantized_var});
      q.SetOutput("OutScale", {scale_var});
      q.SetAttr("bit_length", Attribute::Int(8));
      q.SetAttr("is_test", Attribute::Bool(true));
      if (range) {
        q.SetAttr("window_size", Attribute::Int(10000));
      } else {
        q.SetAttr("moving_rate", Attribute::Float(0.9f));
      }
      q.SetAttr("op_role", Attribute::Int(0));
      program_.InsertOp(static_cast<size_t>(program_.IndexOf(op)), std::move(q));
      act_ops_[activation] = {scale_var, quantized_var};
    }
    auto ins = op->Inputs(t.activation_slot);
    std::replace(ins.begin(), ins.end(), activation, quantized_var);
    op->SetInput(t.activation_slot, ins);

    // Dequantize after the op.
    const std::string out = op->Output(t.output_slot);
    Q2I_ASSIGN_OR_RETURN(std::string dequantized,
                         AddTensorVar(program_, out + ".dequantized", DimsOf(program_, out), false));
    ir::Op dq(per_channel ? "fake_channel_wise_dequantize_max_abs" : "fake_dequantize_max_abs");
    if (per_channel) {
      Q2I_ASSIGN_OR_RETURN(std::string weight_scale, AddParam(program_, weight + ".scale", qw.thresholds));
      dq.SetInput("Scales", {weight_scale, scale_var});
      dq.SetInput("X", {out});
      int64_t x_num_col_dims = 1;
      if (t.type == "mul") {
        Q2I_ASSIGN_OR_RETURN(x_num_col_dims, op->GetInt("x_num_col_dims", 1));
      } else if (!conv) {
        x_num_col_dims = std::max<int64_t>(static_cast<int64_t>(DimsOf(program_, out).size()) - 1, 1);
      }
      dq.SetAttr("quant_bits", Attribute::Ints({8, 8}));
      dq.SetAttr("quant_axis", Attribute::Int(natural_axis));
      dq.SetAttr("x_num_col_dims", Attribute::Int(static_cast<int32_t>(x_num_col_dims)));
    } else {
      dq.SetInput("Scale", {scale_var});
      dq.SetInput("X", {out});
      dq.SetAttr("max_range", Attribute::Float(static_cast<float>(kLevels * kLevels / qw.thresholds[0])));
    }
    dq.SetOutput("Out", {dequantized});
    dq.SetAttr("op_role", Attribute::Int(0));
    const size_t pos = static_cast<size_t>(program_.IndexOf(op)) + 1;
    program_.InsertOp(pos, std::move(dq));
    RenameLaterReads(program_, pos + 1, out, dequantized);
    renamed_[out] = dequantized;

    op->SetAttr("quantization_type", Attribute::String("post_" + std::string(AlgoName(options_.algo))));
    op->SetAttr("activation_bits", Attribute::Int(8));
    op->SetAttr("with_quant_attr", Attribute::Bool(true));
    return std::string();
  }

  void SetOutputThresholds(const QuantPlan& plan, WriteSummary& summary) {
    std::map<int64_t, double> out_threshold;
    for (const auto& o : plan.outputs) {
      const double t = ThresholdOf(o.var);
      ir::Op* op = program_.FindOpById(o.op_id);
      if (op == nullptr) continue;
      if (t == 0) {
        summary.unscaled.push_back(o.var);
        continue;
      }
      op->SetAttr(o.slot + std::to_string(o.index) + "_threshold", Attribute::Float(static_cast<float>(t)));
      op->SetAttr("with_quant_attr", Attribute::Bool(true));
      out_threshold[o.op_id] = std::max(out_threshold[o.op_id], t);
      ++summary.out_thresholds;
    }
    for (const auto& [id, t] : out_threshold)
      program_.FindOpById(id)->SetAttr("out_threshold", Attribute::Float(static_cast<float>(t)));
  }

 private:
  ir::Program& program_;
  const std::map<std::string, double>& thresholds_;
  const WriterOptions& options_;
  std::map<std::string, std::pair<std::string, std::string>> act_ops_;  // activation -> (scale, quantized)
  std::map<std::string, std::string> renamed_;  // target output -> its dequantized variable
};

}  // namespace

StatusOr<WeightQuantizeType> ParseWeightQuantizeType(std::string_view name) {
  if (name == "channel_wise_abs_max") return WeightQuantizeType::kChannelWiseAbsMax;
  if (name == "abs_max") return WeightQuantizeType::kAbsMax;
  return InvalidArgument("unknown weight_quantize_type '", name, "' (expected channel_wise_abs_max or abs_max)");
}

StatusOr<ActivationQuantizeType> ParseActivationQuantizeType(std::string_view name) {
  if (name == "moving_average_abs_max") return ActivationQuantizeType::kMovingAverageAbsMax;
  if (name == "range_abs_max") return ActivationQuantizeType::kRangeAbsMax;
  return InvalidArgument("unknown activation_quantize_type '", name,
                         "' (expected moving_average_abs_max or range_abs_max)");
}

StatusOr<QuantizedWeight> QuantizeWeight(const ir::Tensor& weight, int axis, const std::string& name) {
  if (weight.dtype() != ir::DataType::kFP32) return Unsupported("weight '", name, "' is not float32");
  const auto& dims = weight.dims();
  if (axis >= static_cast<int>(dims.size()))
    return InvalidModel("weight '", name, "' of rank ", dims.size(), " has no channel axis ", axis);
  const int64_t channels = axis < 0 ? 1 : dims[static_cast<size_t>(axis)];
  int64_t inner = 1;
  if (axis >= 0)
    for (size_t i = static_cast<size_t>(axis) + 1; i < dims.size(); ++i) inner *= dims[i];
  auto channel_of = [&](int64_t i) { return axis < 0 ? 0 : (i / inner) % channels; };
  const float* w = weight.data<float>();
  QuantizedWeight out;
  out.thresholds.assign(static_cast<size_t>(std::max<int64_t>(channels, 1)), 0.0);
  for (int64_t i = 0; i < weight.numel(); ++i) {
    if (!std::isfinite(w[i])) return InvalidModel("weight '", name, "' holds a non-finite value at element ", i);
    double& m = out.thresholds[static_cast<size_t>(channel_of(i))];
    m = std::max(m, static_cast<double>(std::fabs(w[i])));
  }
  for (double& t : out.thresholds)
    if (t == 0) t = 1.0;
  out.values = ir::Tensor(ir::DataType::kFP32, dims);
  float* q = out.values.data<float>();
  for (int64_t i = 0; i < weight.numel(); ++i) {
    const double t = out.thresholds[static_cast<size_t>(channel_of(i))];
    const double clipped = std::clamp(static_cast<double>(w[i]), -t, t);
    q[i] = static_cast<float>(std::nearbyint(clipped / t * kLevels));
  }
  return out;
}

StatusOr<WriteSummary> WriteFakeQuantProgram(ir::Program& program, const QuantPlan& plan,
                                             const std::map<std::string, double>& thresholds,
                                             const WriterOptions& options) {
  WriteSummary summary;
  summary.skipped = plan.skipped;
  Writer writer(program, thresholds, options);
  for (const auto& t : plan.targets) {
    Q2I_ASSIGN_OR_RETURN(std::string why_not, writer.Quantize(t));
    if (why_not.empty()) {
      summary.quantized.push_back(t);
    } else {
      summary.skipped.push_back({t.op_id, t.type, why_not});
    }
  }
  for (const auto& s : summary.skipped)
    if (ir::Op* op = program.FindOpById(s.op_id)) op->SetAttr("skip_quant", Attribute::Bool(true));
  writer.SetOutputThresholds(plan, summary);
  return summary;
}

}  // namespace q2i::calibration
