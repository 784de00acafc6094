// Fuzz target: ParseProgram on arbitrary bytes. Whatever parses must also serialize, re-parse to the
// same program (serialize -> parse -> serialize is a fixpoint), verify, convert to SSA and draw, all
// without crashing; errors are fine.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "converter/program_proto.h"
#include "ir/dot_writer.h"
#include "ir/verifier.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

std::vector<q2i::ir::Slot> Sorted(std::vector<q2i::ir::Slot> slots) {
  std::stable_sort(slots.begin(), slots.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return slots;
}

// Same ops (slots compared in name order: the writer sorts them, as Paddle does) and variables.
bool SamePrograms(const q2i::ir::Program& a, const q2i::ir::Program& b) {
  if (a.num_ops() != b.num_ops() || a.vars().size() != b.vars().size()) return false;
  for (size_t i = 0; i < a.num_ops(); ++i) {
    const auto& x = a.op(i);
    const auto& y = b.op(i);
    if (x.type() != y.type() || x.id() != y.id() || Sorted(x.inputs()) != Sorted(y.inputs()) ||
        Sorted(x.outputs()) != Sorted(y.outputs()) || x.is_target() != y.is_target() ||
        x.attrs().size() != y.attrs().size())
      return false;
    for (const auto& [name, attr] : x.attrs()) {
      const q2i::ir::Attribute* other = y.FindAttr(name);
      // Compare types and text: NaN float attributes are not == to themselves.
      if (other == nullptr || other->type() != attr.type() || other->ToString() != attr.ToString()) return false;
    }
  }
  for (const auto& [name, v] : a.vars()) {
    const q2i::ir::Var* w = b.FindVar(name);
    if (w == nullptr || w->kind != v.kind || w->dtype != v.dtype || w->dims != v.dims || w->id != v.id ||
        w->persistable != v.persistable || w->lod_level != v.lod_level)
      return false;
  }
  return a.FeedNames() == b.FeedNames() && a.FetchNames() == b.FetchNames();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace q2i;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto program = converter::ParseProgram(bytes, "fuzz input");
  if (!program.ok()) {
    FUZZ_CHECK(!program.status().message().empty(), "error without a message");
    return 0;
  }
  auto first = converter::SerializeProgram(*program);
  FUZZ_CHECK(first.ok(), "%s", first.status().ToString().c_str());
  auto again = converter::ParseProgram(*first, "re-serialized fuzz input");
  FUZZ_CHECK(again.ok(), "%s", again.status().ToString().c_str());
  auto second = converter::SerializeProgram(*again);
  FUZZ_CHECK(second.ok(), "%s", second.status().ToString().c_str());
  FUZZ_CHECK(*first == *second, "serialize(parse(serialize(p))) differs from serialize(p): %zu vs %zu bytes",
             first->size(), second->size());
  FUZZ_CHECK(SamePrograms(*program, *again), "program changed on serialize -> parse");
  FUZZ_CHECK(!ir::ToDot(*program).empty(), "empty DOT dump");

  (void)ir::VerifyProgram(*program);
  Status ssa_status = ir::VerifyProgram(*program, {.require_ssa = true});
  ir::Program ssa = program->Clone();
  if (ir::MakeSsa(ssa).ok() && ssa_status.ok()) {
    // MakeSsa leaves an SSA program alone.
    FUZZ_CHECK(ssa.vars().size() == program->vars().size(), "MakeSsa added variables to an SSA program");
  }
  return 0;
}
