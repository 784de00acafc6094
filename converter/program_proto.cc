#include "converter/program_proto.h"

#include <algorithm>
#include <cstdint>
#include <set>

#include "framework.pb.h"
#include "ir/node_ids.h"

namespace q2i::converter {
namespace pb = paddle::framework::proto;
namespace {

StatusOr<ir::Attribute> AttrFromProto(const pb::OpDesc::Attr& a) {
  using ir::Attribute;
  switch (a.type()) {
    case pb::INT: return Attribute::Int(a.i());
    case pb::FLOAT: return Attribute::Float(a.f());
    case pb::STRING: return Attribute::String(a.s());
    case pb::INTS: return Attribute::Ints({a.ints().begin(), a.ints().end()});
    case pb::FLOATS: return Attribute::Floats({a.floats().begin(), a.floats().end()});
    case pb::STRINGS: return Attribute::Strings({a.strings().begin(), a.strings().end()});
    case pb::BOOLEAN: return Attribute::Bool(a.b());
    case pb::BOOLEANS: return Attribute::Bools({a.bools().begin(), a.bools().end()});
    case pb::BLOCK: return Attribute::Block(a.block_idx());
    case pb::LONG: return Attribute::Long(a.l());
    case pb::BLOCKS: return Attribute::Blocks({a.blocks_idx().begin(), a.blocks_idx().end()});
    case pb::LONGS: return Attribute::Longs({a.longs().begin(), a.longs().end()});
    case pb::FLOAT64S: return Attribute::Float64s({a.float64s().begin(), a.float64s().end()});
    case pb::VAR: return Attribute::Var(a.var_name());
    case pb::VARS: return Attribute::Vars({a.vars_name().begin(), a.vars_name().end()});
    case pb::FLOAT64: return Attribute::Float64(a.float64());
    default:
      return Unsupported("attribute '", a.name(), "' has type ", static_cast<int>(a.type()),
                         " (SCALAR/SCALARS of Paddle >= 2.5 are not supported)");
  }
}

void AttrToProto(const std::string& name, const ir::Attribute& attr, pb::OpDesc::Attr* a) {
  a->set_name(name);
  a->set_type(static_cast<pb::AttrType>(attr.type()));
  const auto& v = attr.value();
  switch (attr.type()) {
    case ir::AttrType::kInt: a->set_i(std::get<int32_t>(v)); break;
    case ir::AttrType::kFloat: a->set_f(std::get<float>(v)); break;
    case ir::AttrType::kString: a->set_s(std::get<std::string>(v)); break;
    case ir::AttrType::kInts: for (auto x : std::get<std::vector<int32_t>>(v)) a->add_ints(x); break;
    case ir::AttrType::kFloats: for (auto x : std::get<std::vector<float>>(v)) a->add_floats(x); break;
    case ir::AttrType::kStrings: for (const auto& x : std::get<std::vector<std::string>>(v)) a->add_strings(x); break;
    case ir::AttrType::kBoolean: a->set_b(std::get<bool>(v)); break;
    case ir::AttrType::kBooleans: for (bool x : std::get<std::vector<bool>>(v)) a->add_bools(x); break;
    case ir::AttrType::kBlock: a->set_block_idx(std::get<int32_t>(v)); break;
    case ir::AttrType::kLong: a->set_l(std::get<int64_t>(v)); break;
    case ir::AttrType::kBlocks: for (auto x : std::get<std::vector<int32_t>>(v)) a->add_blocks_idx(x); break;
    case ir::AttrType::kLongs: for (auto x : std::get<std::vector<int64_t>>(v)) a->add_longs(x); break;
    case ir::AttrType::kFloat64s: for (auto x : std::get<std::vector<double>>(v)) a->add_float64s(x); break;
    case ir::AttrType::kVar: a->set_var_name(std::get<std::string>(v)); break;
    case ir::AttrType::kVars: for (const auto& x : std::get<std::vector<std::string>>(v)) a->add_vars_name(x); break;
    case ir::AttrType::kFloat64: a->set_float64(std::get<double>(v)); break;
  }
}

// Merges fields serialized earlier (possibly lacking required fields) into `msg`.
template <typename Message>
void MergePartial(const std::string& bytes, Message* msg) {
  Message extra;
  if (extra.ParsePartialFromString(bytes)) msg->MergeFrom(extra);
}

bool HasTensorDesc(ir::VarKind kind) {
  return kind == ir::VarKind::kLodTensor || kind == ir::VarKind::kLodTensorArray ||
         kind == ir::VarKind::kSelectedRows;
}

StatusOr<ir::Var> VarFromProto(const pb::VarDesc& vd) {
  ir::Var v;
  v.name = vd.name();
  v.kind = static_cast<ir::VarKind>(vd.type().type());
  v.persistable = vd.persistable();
  v.need_check_feed = vd.need_check_feed();
  if (vd.has_is_parameter()) v.is_parameter = vd.is_parameter();
  if (vd.has_stop_gradient()) v.stop_gradient = vd.stop_gradient();
  v.dtype.reset();
  pb::VarDesc rest = vd;
  rest.clear_name();
  rest.clear_persistable();
  rest.clear_need_check_feed();
  rest.clear_is_parameter();
  rest.clear_stop_gradient();
  pb::VarType* rt = rest.mutable_type();
  rt->clear_type();
  const pb::VarType::TensorDesc* td = nullptr;
  if (v.kind == ir::VarKind::kLodTensor && vd.type().has_lod_tensor()) {
    td = &vd.type().lod_tensor().tensor();
    v.lod_level = vd.type().lod_tensor().lod_level();
    rt->clear_lod_tensor();
  } else if (v.kind == ir::VarKind::kLodTensorArray && vd.type().has_tensor_array()) {
    td = &vd.type().tensor_array().tensor();
    v.lod_level = vd.type().tensor_array().lod_level();
    rt->clear_tensor_array();
  } else if (v.kind == ir::VarKind::kSelectedRows && vd.type().has_selected_rows()) {
    td = &vd.type().selected_rows();
    rt->clear_selected_rows();
  }
  if (td != nullptr) {
    auto dt = ir::DataTypeFromInt(static_cast<int32_t>(td->data_type()));
    if (!dt) return InvalidModel("variable '", v.name, "' has unknown data type ", static_cast<int>(td->data_type()));
    v.dtype = *dt;
    v.dims.assign(td->dims().begin(), td->dims().end());
    for (int64_t d : v.dims)
      if (d < -1) return InvalidModel("variable '", v.name, "' has invalid dimension ", d);
  }
  if (rt->ByteSizeLong() == 0 && rt->unknown_fields().empty()) rest.clear_type();
  v.unmodeled = rest.SerializePartialAsString();
  return v;
}

void VarToProto(const ir::Var& v, pb::VarDesc* vd) {
  if (!v.unmodeled.empty()) MergePartial(v.unmodeled, vd);
  vd->set_name(v.name);
  pb::VarType* t = vd->mutable_type();
  t->set_type(static_cast<pb::VarType::Type>(v.kind));
  if (HasTensorDesc(v.kind) && v.dtype) {
    pb::VarType::TensorDesc* td = nullptr;
    if (v.kind == ir::VarKind::kLodTensor) {
      auto* lt = t->mutable_lod_tensor();
      if (v.lod_level != 0) lt->set_lod_level(v.lod_level);
      td = lt->mutable_tensor();
    } else if (v.kind == ir::VarKind::kLodTensorArray) {
      auto* ta = t->mutable_tensor_array();
      if (v.lod_level != 0) ta->set_lod_level(v.lod_level);
      td = ta->mutable_tensor();
    } else {
      td = t->mutable_selected_rows();
    }
    td->set_data_type(static_cast<pb::VarType::Type>(*v.dtype));
    for (int64_t d : v.dims) td->add_dims(d);
  }
  if (v.persistable) vd->set_persistable(true);
  if (v.need_check_feed) vd->set_need_check_feed(true);
  if (v.is_parameter) vd->set_is_parameter(*v.is_parameter);
  if (v.stop_gradient) vd->set_stop_gradient(*v.stop_gradient);
}

StatusOr<ir::Op> OpFromProto(const pb::OpDesc& od, int index) {
  ir::Op op(od.type());
  auto ctx = [&] { return "op #" + std::to_string(index) + " (" + od.type() + ")"; };
  if (od.type().empty()) return InvalidModel("op #", index, " has an empty type");
  for (const auto& in : od.inputs())
    op.mutable_inputs().push_back(ir::Slot{in.parameter(), {in.arguments().begin(), in.arguments().end()}});
  for (const auto& out : od.outputs())
    op.mutable_outputs().push_back(ir::Slot{out.parameter(), {out.arguments().begin(), out.arguments().end()}});
  for (const auto& a : od.attrs()) {
    if (op.HasAttr(a.name())) return InvalidModel(ctx(), ": attribute '", a.name(), "' appears twice");
    auto attr = AttrFromProto(a);
    if (!attr.ok()) return attr.status().WithContext(ctx());
    op.SetAttr(a.name(), std::move(attr).value());
  }
  if (od.has_is_target()) op.set_is_target(od.is_target());
  if (!od.unknown_fields().empty()) return Unsupported(ctx(), ": op carries fields this tool does not know");
  return op;
}

void OpToProto(const ir::Op& op, pb::OpDesc* od) {
  od->set_type(op.type());
  auto sorted = [](std::vector<ir::Slot> slots) {
    std::stable_sort(slots.begin(), slots.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return slots;
  };
  for (const auto& s : sorted(op.inputs())) {
    auto* v = od->add_inputs();
    v->set_parameter(s.name);
    for (const auto& a : s.args) v->add_arguments(a);
  }
  for (const auto& s : sorted(op.outputs())) {
    auto* v = od->add_outputs();
    v->set_parameter(s.name);
    for (const auto& a : s.args) v->add_arguments(a);
  }
  for (const auto& [name, attr] : op.attrs()) AttrToProto(name, attr, od->add_attrs());
  if (op.is_target()) od->set_is_target(*op.is_target());
}

}  // namespace

StatusOr<ir::Program> ParseProgram(std::string_view bytes, std::string_view what) {
  if (bytes.empty()) return InvalidModel(what, ": program file is empty");
  if (bytes.size() > static_cast<size_t>(INT32_MAX))
    return InvalidModel(what, ": program file of ", bytes.size(), " bytes is larger than protobuf allows (2 GiB)");
  pb::ProgramDesc desc;
  // ParsePartial + IsInitialized instead of ParseFromArray: the latter logs to stderr on its own.
  if (!desc.ParsePartialFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return InvalidModel(what, ": not a valid Paddle ProgramDesc (corrupt or truncated protobuf, ", bytes.size(),
                        " bytes)");
  if (!desc.IsInitialized())
    return InvalidModel(what, ": not a valid Paddle ProgramDesc (required fields missing: ",
                        desc.InitializationErrorString(), ")");
  if (desc.blocks_size() == 0) return InvalidModel(what, ": program has no blocks");
  ir::Program program;
  ir::ProgramMeta& meta = program.meta();
  meta.has_version_message = desc.has_version();
  if (desc.has_version() && desc.version().has_version()) meta.version = desc.version().version();
  meta.has_op_version_map = desc.has_op_version_map();
  for (const auto& p : desc.op_version_map().pair()) meta.op_version_map.emplace_back(p.op_name(), p.op_version().version());
  {
    pb::ProgramDesc rest = desc;
    rest.clear_blocks();
    rest.clear_version();
    rest.clear_op_version_map();
    meta.unmodeled = rest.SerializeAsString();
  }
  const pb::BlockDesc& block = desc.blocks(0);
  if (block.idx() != 0) return InvalidModel(what, ": first block has idx ", block.idx(), ", expected 0");
  meta.block0_parent_idx = block.parent_idx();
  if (block.has_forward_block_idx()) meta.block0_forward_block_idx = block.forward_block_idx();
  {
    pb::BlockDesc rest;
    rest.mutable_unknown_fields()->MergeFrom(block.unknown_fields());
    meta.block0_unmodeled = rest.SerializePartialAsString();
  }
  for (int b = 1; b < desc.blocks_size(); ++b) meta.other_blocks.push_back(desc.blocks(b).SerializeAsString());

  for (const auto& vd : block.vars()) {
    auto var = VarFromProto(vd);
    if (!var.ok()) return var.status().WithContext(std::string(what));
    Status st = program.AddVar(std::move(var).value());
    if (!st.ok()) return st.WithContext(std::string(what));
  }
  for (int i = 0; i < block.ops_size(); ++i) {
    auto op = OpFromProto(block.ops(i), i);
    if (!op.ok()) return op.status().WithContext(std::string(what));
    program.AddOp(std::move(op).value());
  }
  ir::AssignPaddleNodeIds(program);
  return program;
}

StatusOr<std::string> SerializeProgram(const ir::Program& program) {
  pb::ProgramDesc desc;
  const ir::ProgramMeta& meta = program.meta();
  if (!meta.unmodeled.empty()) desc.MergeFromString(meta.unmodeled);
  pb::BlockDesc* block = desc.add_blocks();
  if (!meta.block0_unmodeled.empty()) MergePartial(meta.block0_unmodeled, block);
  block->set_idx(0);
  block->set_parent_idx(meta.block0_parent_idx);
  for (const auto& [name, var] : program.vars()) VarToProto(var, block->add_vars());
  for (const auto& op : program.ops()) OpToProto(*op, block->add_ops());
  if (meta.block0_forward_block_idx) block->set_forward_block_idx(*meta.block0_forward_block_idx);
  for (const auto& b : meta.other_blocks) {
    if (!desc.add_blocks()->ParseFromString(b)) return InternalError("cannot re-encode a carried sub-block");
  }
  if (meta.has_version_message || meta.version) {
    auto* v = desc.mutable_version();
    if (meta.version) v->set_version(*meta.version);
  }
  if (meta.has_op_version_map || !meta.op_version_map.empty()) {
    auto* m = desc.mutable_op_version_map();
    for (const auto& [name, ver] : meta.op_version_map) {
      auto* p = m->add_pair();
      p->set_op_name(name);
      p->mutable_op_version()->set_version(ver);
    }
  }
  std::string out;
  if (!desc.SerializePartialToString(&out)) return InternalError("cannot serialize the program");
  return out;
}

}  // namespace q2i::converter
