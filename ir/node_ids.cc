#include "ir/node_ids.h"

#include <algorithm>
#include <map>

namespace q2i::ir {

void AssignPaddleNodeIds(Program& program) {
  int64_t next = 0;
  std::map<std::string, int64_t, std::less<>> latest;
  for (size_t i = 0; i < program.num_ops(); ++i) {
    Op& op = program.op(i);
    op.set_id(next++);
    std::vector<const Slot*> inputs;
    for (const Slot& s : op.inputs()) inputs.push_back(&s);
    std::stable_sort(inputs.begin(), inputs.end(), [](const Slot* a, const Slot* b) { return a->name < b->name; });
    for (const Slot* s : inputs)
      for (const std::string& name : s->args)
        if (!latest.count(name)) latest[name] = next++;
    std::vector<const Slot*> outputs;
    for (const Slot& s : op.outputs()) outputs.push_back(&s);
    std::stable_sort(outputs.begin(), outputs.end(), [](const Slot* a, const Slot* b) { return a->name < b->name; });
    for (const Slot* s : outputs)
      for (const std::string& name : s->args) latest[name] = next++;
  }
  for (const auto& [name, var] : program.vars())
    if (!latest.count(name)) latest[name] = next++;
  for (const auto& [name, id] : latest)
    if (Var* v = program.FindVar(name)) v->id = id;
  program.set_next_node_id(next);
}

}  // namespace q2i::ir
