// Facts about the shared models that the READMEs state and model_info prints: op censuses, fake-quant
// counts, feed/fetch targets, Paddle node ids (spec section 4).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "converter/model_io.h"
#include "ir/op_kinds.h"
#include "tests/converter/model_test_util.h"
#include "tests/test_util/shared_data.h"

namespace q2i::testing {
namespace {
namespace fs = std::filesystem;

StatusOr<ir::Program> Load(const fs::path& dir) {
  converter::ModelLocation loc;
  loc.path = dir;
  return converter::LoadModel(loc);
}

std::map<std::string, int> Census(const ir::Program& p) {
  std::map<std::string, int> census;
  for (const auto& op : p.ops()) ++census[op->type()];
  return census;
}

int FakeQuantOps(const ir::Program& p) {
  int n = 0;
  for (const auto& op : p.ops()) n += ir::IsFakeQuantOp(op->type()) ? 1 : 0;
  return n;
}

TEST(ModelFactsTest, OcrClsSlimHas108FakeQuantOps) {
  Q2I_REQUIRE_SHARED("models/ocr_cls_slim/inference.pdmodel");
  auto p = Load(SharedPath("models/ocr_cls_slim"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->num_ops(), 294u);
  EXPECT_EQ(FakeQuantOps(*p), 108);
  EXPECT_EQ(p->params().size(), 321u);
  EXPECT_EQ(p->FeedNames(), std::vector<std::string>{"x"});
  EXPECT_EQ(p->FetchNames(), std::vector<std::string>{"save_infer_model/scale_0.tmp_0"});
}

TEST(ModelFactsTest, Resnet50QatCensusMatchesTheReadme) {
  Q2I_REQUIRE_SHARED("models/resnet50_qat_v1/__model__");
  fs::path dir = ModelDir({"resnet50_qat_v1", false, true});
  ASSERT_FALSE(dir.empty()) << "cannot fill resnet50_qat_v1";
  auto p = Load(dir);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const std::map<std::string, int> expected = {
      {"conv2d", 53},
      {"mul", 1},
      {"elementwise_add", 70},
      {"relu", 49},
      {"pool2d", 2},
      {"softmax", 1},
      {"scale", 1},
      {"feed", 1},
      {"fetch", 1},
      {"fake_quantize_moving_average_abs_max", 50},
      {"fake_dequantize_max_abs", 54},
      {"fake_quantize_dequantize_moving_average_abs_max", 84},
  };
  EXPECT_EQ(Census(*p), expected);
  EXPECT_EQ(p->num_ops(), 367u);
  EXPECT_EQ(FakeQuantOps(*p), 50 + 54 + 84);
  EXPECT_EQ(p->params().size(), 242u);
  EXPECT_EQ(p->FeedNames(), std::vector<std::string>{"image"});
  EXPECT_EQ(p->FetchNames(), std::vector<std::string>{"save_infer_model/scale_0.tmp_0"});
}

TEST(ModelFactsTest, LenetShapeAndCensus) {
  Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/__model__");
  auto p = Load(SharedPath("models/lenet_mnist_fp32"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->num_ops(), 14u);
  EXPECT_EQ(FakeQuantOps(*p), 0);
  EXPECT_EQ(p->params().size(), 6u);
  ASSERT_NE(p->FindVar("image"), nullptr);
  EXPECT_EQ(p->FindVar("image")->dims, (std::vector<int64_t>{-1, 1, 28, 28}));
  EXPECT_EQ(p->FetchNames(), std::vector<std::string>{"scale_0.tmp_0"});
}

// Ids derived by hand from spec section 4: one counter; per op in program order the op node, then a
// var node for each input name not seen before (slots sorted by name), then a new var node for every
// output; a Var keeps the id of its latest node.
TEST(ModelFactsTest, LenetPaddleNodeIds) {
  Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/__model__");
  auto p = Load(SharedPath("models/lenet_mnist_fp32"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const std::vector<std::pair<std::string, int64_t>> op_ids = {
      {"feed", 0},    {"conv2d", 3},           {"elementwise_add", 6}, {"relu", 9},   {"pool2d", 11},
      {"conv2d", 13}, {"elementwise_add", 16}, {"relu", 19},          {"pool2d", 21}, {"mul", 23},
      {"elementwise_add", 26}, {"softmax", 29}, {"scale", 31},        {"fetch", 33},
  };
  ASSERT_EQ(p->num_ops(), op_ids.size());
  for (size_t i = 0; i < op_ids.size(); ++i) {
    EXPECT_EQ(p->op(i).type(), op_ids[i].first) << "op #" << i;
    EXPECT_EQ(p->op(i).id(), op_ids[i].second) << "op #" << i;
  }
  const std::map<std::string, int64_t> var_ids = {
      {"feed", 1},             {"image", 2},          {"conv2d_0.w_0", 4},    {"conv2d_0.tmp_0", 5},
      {"conv2d_0.b_0", 7},     {"conv2d_0.tmp_1", 8}, {"conv2d_0.tmp_1-1", 10}, {"pool2d_0.tmp_0", 12},
      {"conv2d_1.w_0", 14},    {"conv2d_1.tmp_0", 15}, {"conv2d_1.b_0", 17},  {"conv2d_1.tmp_1", 18},
      {"conv2d_1.tmp_1-1", 20}, {"pool2d_1.tmp_0", 22}, {"fc_0.w_0", 24},     {"fc_0.tmp_0", 25},
      {"fc_0.b_0", 27},        {"fc_0.tmp_1", 28},    {"fc_0.tmp_2", 30},     {"scale_0.tmp_0", 32},
      {"fetch", 34},
  };
  ASSERT_EQ(p->vars().size(), var_ids.size());
  for (const auto& [name, id] : var_ids) {
    ASSERT_NE(p->FindVar(name), nullptr) << name;
    EXPECT_EQ(p->FindVar(name)->id, id) << name;
  }
  EXPECT_EQ(p->next_node_id(), 35);
  EXPECT_EQ(p->FindOpById(23)->type(), "mul");
}

TEST(ModelFactsTest, NodeIdsAreUniqueOnEverySharedModel) {
  for (const SharedModel& m : SharedModels()) {
    if (m.needs_filling) continue;
    Q2I_MODEL_DIR_OR_SKIP(dir, m);
    auto p = Load(dir);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    std::map<int64_t, std::string> seen;
    for (const auto& op : p->ops()) {
      EXPECT_TRUE(seen.emplace(op->id(), op->DebugName()).second) << m.name << ": id " << op->id() << " reused";
    }
    for (const auto& [name, v] : p->vars()) {
      EXPECT_GE(v.id, 0) << name;
      EXPECT_LT(v.id, p->next_node_id()) << name;
      EXPECT_TRUE(seen.emplace(v.id, name).second) << m.name << ": id " << v.id << " of " << name << " reused by "
                                                   << seen[v.id];
    }
    EXPECT_EQ(p->op(0).id(), 0) << m.name;
  }
}

}  // namespace
}  // namespace q2i::testing
