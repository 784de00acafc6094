#include "ir/dot_writer.h"

#include <map>
#include <set>
#include <sstream>

#include "ir/op_kinds.h"

namespace q2i::ir {
namespace {

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

const char* OpFill(const Op& op) {
  if (IsFakeQuantOp(op.type())) return "#c62828";     // fake quant: red
  if (IsQuantBoundaryOp(op.type())) return "#ef6c00";  // quantize/dequantize/requantize: orange
  if (IsInt8Op(op)) return "#2e7d32";                  // int8: green
  return "#303A3A";                                    // fp32: Paddle's dark grey
}

std::string VarLabel(const Program& p, const std::string& name, int64_t id) {
  std::string label = Escape(name) + "(" + std::to_string(id) + ")";
  const Var* v = p.FindVar(name);
  if (v != nullptr && v->IsTensor() && !v->dims.empty()) {
    label += "\\n";
    for (size_t i = 0; i < v->dims.size(); ++i) {
      if (i) label += ',';
      label += std::to_string(v->dims[i]);
    }
  }
  if (v != nullptr && v->quant && !v->quant->scales.empty()) {
    std::ostringstream s;
    s << "\\n" << (v->quant->is_unsigned ? (v->quant->signed_grid ? "u8/127" : "u8") : "s8")
      << " scale=" << v->quant->scales[0];
    if (v->quant->scales.size() > 1) s << " (+" << v->quant->scales.size() - 1 << ")";
    label += s.str();
  }
  return label;
}

}  // namespace

std::string ToDot(const Program& program, const DotOptions& options) {
  std::ostringstream nodes, edges;
  std::map<std::string, std::string> var_node;  // var name -> node name
  int64_t fallback = program.next_node_id();
  auto var_ref = [&](const std::string& name) -> const std::string& {
    auto it = var_node.find(name);
    if (it != var_node.end()) return it->second;
    const Var* v = program.FindVar(name);
    int64_t id = (v != nullptr && v->id >= 0) ? v->id : fallback++;
    std::string node = "node_v" + std::to_string(id);
    bool persistable = v != nullptr && v->persistable;
    nodes << "   " << node << "[label=\"" << VarLabel(program, name, id) << "\" shape=\"box\" fontname=\"Arial\" ";
    if (persistable) {
      nodes << "style=\"rounded,filled,bold\" color=\"#148b97\" fontcolor=\"#ffffff\"]\n";
    } else {
      nodes << "style=\"rounded,filled,bold\" fillcolor=\"#999999\" color=\"#dddddd\"]\n";
    }
    return var_node.emplace(name, node).first->second;
  };
  auto hidden = [&](const std::string& name) {
    if (options.show_params) return false;
    const Var* v = program.FindVar(name);
    return v != nullptr && v->persistable && v->kind != VarKind::kFeedMinibatch && v->kind != VarKind::kFetchList;
  };
  for (const auto& op : program.ops()) {
    std::string node = "node_o" + std::to_string(op->id());
    nodes << "   " << node << "[label=\"" << Escape(op->type()) << "(" << op->id()
          << ")\" shape=\"box\" style=\"rounded,filled,bold\" fontname=\"Arial\" fillcolor=\"" << OpFill(*op)
          << "\" color=\"" << OpFill(*op) << "\" fontcolor=\"#ffffff\" width=\"1.3\" height=\"0.84\"]\n";
    std::set<std::string> seen_in;
    for (const auto& name : op->InputNames()) {
      if (name.empty() || hidden(name) || !seen_in.insert(name).second) continue;
      edges << "   " << var_ref(name) << "->" << node << "\n";
    }
    for (const auto& name : op->OutputNames()) {
      if (name.empty() || hidden(name)) continue;
      edges << "   " << node << "->" << var_ref(name) << "\n";
    }
  }
  std::ostringstream out;
  out << "digraph " << options.graph_name << " {\n" << nodes.str() << edges.str() << "} // end " << options.graph_name;
  return out.str();
}

}  // namespace q2i::ir
