// Paddle node ids (spec section 4) on a small hand-built program, with the expected ids worked out by
// hand from the rules.
#include "ir/node_ids.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace q2i::ir {
namespace {

void Declare(Program& p, const std::string& name, VarKind kind = VarKind::kLodTensor) {
  Var v;
  v.name = name;
  v.kind = kind;
  ASSERT_TRUE(p.AddVar(v).ok());
}

Op MakeOp(const std::string& type, std::vector<Slot> inputs, std::vector<Slot> outputs) {
  Op op(type);
  op.mutable_inputs() = std::move(inputs);
  op.mutable_outputs() = std::move(outputs);
  return op;
}

// op                                             ids
// 0 feed  X=[feed] -> Out=[x]                    op 0; feed 1; x 2
// 1 elementwise_add Y=[b], X=[x] -> Out=[y]      op 3; inputs sorted X (x seen), Y: b 4; y 5
// 2 relu  X=[y] -> Out=[y]  (in place)           op 6; y seen; new node for y: 7
// 3 concat X=[y, x, c] -> Out=[z]                op 8; c 9; z 10
// 4 custom Y=[z] -> Y=[u], MeanOut=[m]           op 11; z seen; outputs sorted MeanOut m 12, Y u 13
// 5 fetch X=[u] -> Out=[fetch]                   op 14; fetch 15
// vars no op touches, by name: aaa 16, zzz 17
Program HandBuilt() {
  Program p;
  for (const char* n : {"zzz", "x", "b", "y", "c", "z", "u", "m", "aaa"}) Declare(p, n);
  Declare(p, "feed", VarKind::kFeedMinibatch);
  Declare(p, "fetch", VarKind::kFetchList);
  p.AddOp(MakeOp("feed", {{"X", {"feed"}}}, {{"Out", {"x"}}}));
  p.AddOp(MakeOp("elementwise_add", {{"Y", {"b"}}, {"X", {"x"}}}, {{"Out", {"y"}}}));
  p.AddOp(MakeOp("relu", {{"X", {"y"}}}, {{"Out", {"y"}}}));
  p.AddOp(MakeOp("concat", {{"X", {"y", "x", "c"}}}, {{"Out", {"z"}}}));
  p.AddOp(MakeOp("custom", {{"Y", {"z"}}}, {{"Y", {"u"}}, {"MeanOut", {"m"}}}));
  p.AddOp(MakeOp("fetch", {{"X", {"u"}}}, {{"Out", {"fetch"}}}));
  return p;
}

TEST(NodeIdsTest, HandBuiltProgram) {
  Program p = HandBuilt();
  AssignPaddleNodeIds(p);
  const std::vector<int64_t> op_ids = {0, 3, 6, 8, 11, 14};
  ASSERT_EQ(p.num_ops(), op_ids.size());
  for (size_t i = 0; i < op_ids.size(); ++i) EXPECT_EQ(p.op(i).id(), op_ids[i]) << p.op(i).type();
  const std::map<std::string, int64_t> var_ids = {{"feed", 1}, {"x", 2},  {"b", 4},  {"y", 7},     {"c", 9},
                                                  {"z", 10},   {"m", 12}, {"u", 13}, {"fetch", 15}, {"aaa", 16},
                                                  {"zzz", 17}};
  for (const auto& [name, id] : var_ids) EXPECT_EQ(p.FindVar(name)->id, id) << name;
  EXPECT_EQ(p.next_node_id(), 18);
}

TEST(NodeIdsTest, IdsAreStableAndNewNodesGetTheNextNumbers) {
  Program p = HandBuilt();
  AssignPaddleNodeIds(p);
  AssignPaddleNodeIds(p);  // idempotent
  EXPECT_EQ(p.op(3).id(), 8);
  EXPECT_EQ(p.FindVar("y")->id, 7);
  Op* added = p.AddOp(Op("scale"));
  EXPECT_EQ(added->id(), 18);
  Var v;
  v.name = "new_var";
  ASSERT_TRUE(p.AddVar(v).ok());
  EXPECT_EQ(p.FindVar("new_var")->id, 19);
  EXPECT_EQ(p.FindOpById(11)->type(), "custom");
}

TEST(NodeIdsTest, EmptyProgram) {
  Program p;
  AssignPaddleNodeIds(p);
  EXPECT_EQ(p.next_node_id(), 0);
}

}  // namespace
}  // namespace q2i::ir
