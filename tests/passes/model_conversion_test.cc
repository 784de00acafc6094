// The INT8 pipeline on the real fake-quant models in ../shared: every fake op goes, every conv with
// scales runs INT8, conversion is deterministic, and --op_ids_to_skip makes exactly the named op FP32.
#include <gtest/gtest.h>

#include "converter/model_io.h"
#include "converter/program_proto.h"
#include "converter/tensor_io.h"
#include "ir/op_kinds.h"
#include "passes/pipelines.h"
#include "tests/test_util/shared_data.h"

namespace q2i::passes {
namespace {

ir::Program Load(const std::filesystem::path& dir) {
  auto p = converter::LoadModel({.path = dir, .model_filename = "", .params_filename = ""});
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(p).value() : ir::Program();
}

Status Convert(ir::Program& p, QuantizeOptions options = {}, bool int8_weights = false) {
  PassManagerOptions o;
  o.verifier = VerifyAfterPass;  // every pass must leave a valid SSA program
  PassManager pm(o);
  BuildInt8Pipeline(pm, {.save_int8_weights = int8_weights, .stop_after = ""});
  PassContext ctx(std::move(options));
  return pm.Run(p, ctx);
}

std::string Bytes(const ir::Program& p) {
  std::string out = converter::SerializeProgram(p).value();
  for (const auto& [name, t] : p.params()) {
    out += name;
    converter::AppendTensorRecord(t, &out);
  }
  return out;
}

bool IsInt8(const ir::Op& op) { return op.GetString("mkldnn_data_type", "").value_or("") == "int8"; }

void ExpectConverted(const ir::Program& p, int expected_convs) {
  int convs = 0, int8_convs = 0;
  for (const auto& op : p.ops()) {
    EXPECT_FALSE(ir::IsFakeQuantOp(op->type())) << op->DebugName();
    if (op->type() == "conv2d") {
      ++convs;
      int8_convs += IsInt8(*op);
    }
  }
  EXPECT_EQ(convs, expected_convs);
  EXPECT_EQ(int8_convs, expected_convs);
}

TEST(ModelConversionTest, OcrClassifierAllConvsInt8) {
  Q2I_REQUIRE_SHARED("models/ocr_cls_slim/inference.pdmodel");
  ir::Program p = Load(testing::SharedPath("models/ocr_cls_slim"));
  ASSERT_TRUE(Convert(p).ok());
  ExpectConverted(p, 53);
}

TEST(ModelConversionTest, OcrDetectorAllConvsInt8) {
  Q2I_REQUIRE_SHARED("models/ocr_det_v3_slim/inference.pdmodel");
  ir::Program p = Load(testing::SharedPath("models/ocr_det_v3_slim"));
  ASSERT_TRUE(Convert(p).ok());
  ExpectConverted(p, 72);  // conv2d_transpose is not quantized in this model
}

TEST(ModelConversionTest, ResNet50AllConvsInt8AndDeterministic) {
  Q2I_REQUIRE_SHARED("models/resnet50_qat_v1/__model__");
  auto dir = testing::FilledModelCopy("resnet50_qat_v1");
  ASSERT_FALSE(dir.empty());
  ir::Program a = Load(dir);
  ir::Program b = a.Clone();
  ASSERT_TRUE(Convert(a).ok());
  ASSERT_TRUE(Convert(b).ok());
  ExpectConverted(a, 53);
  EXPECT_EQ(Bytes(a), Bytes(b));
}

TEST(ModelConversionTest, OpIdsToSkipMakesExactlyThatOpFp32) {
  Q2I_REQUIRE_SHARED("models/ocr_cls_slim/inference.pdmodel");
  ir::Program base = Load(testing::SharedPath("models/ocr_cls_slim"));
  ir::Program first = base.Clone();
  ASSERT_TRUE(Convert(first).ok());
  int64_t victim = -1;
  for (const auto& op : first.ops())
    if (op->type() == "conv2d" && IsInt8(*op)) victim = op->id();  // the last INT8 conv
  ASSERT_GE(victim, 0);
  ir::Program second = base.Clone();
  ASSERT_TRUE(Convert(second, QuantizeOptions{{}, {victim}}).ok());
  int differing = 0;
  for (const auto& op : second.ops()) {
    if (op->type() != "conv2d" && op->type() != "fc") continue;
    bool was_int8 = false;
    for (const auto& o : first.ops())
      if (o->id() == op->id()) was_int8 = IsInt8(*o);
    if (was_int8 != IsInt8(*op)) {
      ++differing;
      EXPECT_EQ(op->id(), victim);
    }
  }
  EXPECT_EQ(differing, 1);
}

TEST(ModelConversionTest, UnknownSkipIdIsAnError) {
  Q2I_REQUIRE_SHARED("models/ocr_cls_slim/inference.pdmodel");
  ir::Program p = Load(testing::SharedPath("models/ocr_cls_slim"));
  Status st = Convert(p, QuantizeOptions{{}, {123456}});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("123456"), std::string::npos);
}

TEST(ModelConversionTest, Int8WeightsAreSmaller) {
  Q2I_REQUIRE_SHARED("models/ocr_det_v3_slim/inference.pdmodel");
  ir::Program a = Load(testing::SharedPath("models/ocr_det_v3_slim"));
  ir::Program b = a.Clone();
  ASSERT_TRUE(Convert(a).ok());
  ASSERT_TRUE(Convert(b, {}, /*int8_weights=*/true).ok());
  const size_t fp32_bytes = a.ParamBytes(), int8_bytes = b.ParamBytes();
  EXPECT_LT(int8_bytes * 3, fp32_bytes) << fp32_bytes << " vs " << int8_bytes;
}

}  // namespace
}  // namespace q2i::passes
