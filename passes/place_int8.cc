// place-int8 (Paddle: cpu_quantize_placement_pass, spec 3.11)
//   Marks ops to run in INT8 (`mkldnn_data_type` = "int8"): ops whose type is in --ops_to_quantize (or
//   in Int8SupportedOpTypes() when that list is empty), except ops listed by id in --op_ids_to_skip,
//   ops with skip_quant, and avg pool2d (as Paddle's fluid pipeline). Whether a placed op really runs
//   INT8 is decided by insert-quant-dequant, which needs its scales.
// Errors: an --ops_to_quantize entry we cannot quantize (the message lists the supported types); an
//   --op_ids_to_skip id that is not an op of the program at this point (ids are those of our dumps).
#include <sstream>

#include "passes/passes.h"
#include "passes/quant_tables.h"

namespace q2i::passes {
namespace {

std::string Join(const std::set<std::string>& s) {
  std::ostringstream os;
  for (const auto& x : s) os << (os.tellp() > 0 ? ", " : "") << x;
  return os.str();
}

class PlaceInt8Pass final : public Pass {
 public:
  std::string_view name() const override { return "place-int8"; }
  std::string_view description() const override { return "Choose the ops that run in INT8"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    const auto& options = ctx.options();
    const auto& supported = Int8SupportedOpTypes();
    for (const auto& t : options.ops_to_quantize)
      if (!supported.count(t))
        return InvalidArgument("cannot quantize op type '", t, "'; supported: ", Join(supported));
    for (int64_t id : options.op_ids_to_skip)
      if (program.FindOpById(id) == nullptr)
        return InvalidArgument("--op_ids_to_skip: ", id, " is not the id of an op (see the ids in the ",
                               "int8_*_place_int8.dot dump)");
    bool changed = false;
    for (const auto& op : program.ops()) {
      const std::string& t = op->type();
      const bool wanted = options.ops_to_quantize.empty() ? supported.count(t) > 0 : options.ops_to_quantize.count(t) > 0;
      if (!wanted) continue;
      if (options.op_ids_to_skip.count(op->id())) {
        ctx.AddRemark(*op, "skipped by --op_ids_to_skip");
        continue;
      }
      if (op->GetBool("skip_quant", false).value_or(false)) {
        ctx.AddRemark(*op, "skip_quant set (not quantized in training)");
        continue;
      }
      if (t == "pool2d" && op->GetString("pooling_type", "max").value_or("max") == "avg") {
        ctx.AddRemark(*op, "avg pool2d stays FP32");
        continue;
      }
      op->SetAttr("mkldnn_data_type", ir::Attribute::String("int8"));
      ctx.Count("placed_" + t);
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreatePlaceInt8Pass() { return std::make_unique<PlaceInt8Pass>(); }

}  // namespace q2i::passes
