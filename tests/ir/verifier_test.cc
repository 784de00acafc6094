#include "ir/verifier.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ir/program_builder.h"

namespace q2i::ir {
namespace {

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << part << "' not found in:\n" << text;
}
::testing::AssertionResult Lacks(const std::string& text, const std::string& part) {
  if (text.find(part) == std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << part << "' unexpectedly found in:\n" << text;
}

Tensor Ones(std::vector<int64_t> dims) {
  Tensor t(DataType::kFP32, std::move(dims));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = 1.f;
  return t;
}

// feed(x) -> conv2d(w) -> relu -> fetch
Program ConvRelu() {
  ProgramBuilder b;
  b.Input("x", {1, 3, 8, 8});
  b.Param("w", Ones({4, 3, 3, 3}));
  b.AddOp("conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}, {"Bias", {}}}, {{"Output", {"c"}}});
  b.AddOp("relu", {{"X", {"c"}}}, {{"Out", {"y"}}});
  b.Output("y");
  return b.Build();
}

Op* FindOp(Program& p, const std::string& type) {
  for (size_t i = 0; i < p.num_ops(); ++i)
    if (p.op(i).type() == type) return &p.op(i);
  return nullptr;
}

std::string Violations(const Program& p, bool ssa = false) {
  Status st = VerifyProgram(p, {.require_ssa = ssa});
  return st.ok() ? std::string("OK") : st.message();
}

TEST(VerifierTest, AcceptsWellFormedProgram) {
  Program p = ConvRelu();
  EXPECT_TRUE(VerifyProgram(p).ok()) << Violations(p);
  EXPECT_TRUE(VerifyProgram(p, {.require_ssa = true}).ok()) << Violations(p, true);
}

TEST(VerifierTest, AcceptsSeveralFetchOpsWritingTheFetchVariable) {
  ProgramBuilder b;
  b.Input("x", {2});
  b.AddOp("relu", {{"X", {"x"}}}, {{"Out", {"a"}}});
  b.AddOp("sigmoid", {{"X", {"x"}}}, {{"Out", {"b"}}});
  b.Output("a").Output("b");
  Program p = b.Build();
  EXPECT_EQ(Violations(p, true), "OK");
}

TEST(VerifierTest, AcceptsUndeclaredFeedAndFetchVariables) {
  Program p = ConvRelu();
  p.RemoveVar("feed");
  p.RemoveVar("fetch");
  EXPECT_EQ(Violations(p, true), "OK");
}

TEST(VerifierTest, AcceptsFeedTargetsReadBeforeTheirFeedOp) {
  Program p = ConvRelu();
  // Move the feed op after the conv that reads its output: feed targets are bound up front.
  Op feed = p.op(0);
  p.RemoveOp(&p.op(0));
  p.InsertOp(1, feed);
  ASSERT_EQ(p.op(1).type(), "feed");
  EXPECT_EQ(Violations(p, true), "OK");
}

TEST(VerifierTest, AcceptsPersistableRawVariableWithoutData) {
  ProgramBuilder b;
  b.Input("x", {2});
  b.AddOp("my_custom_op", {{"X", {"x"}}, {"Scope", {"scopes"}}}, {{"Out", {"y"}}});
  b.Output("y");
  Program p = b.Build();
  p.FindVar("scopes")->kind = VarKind::kRaw;
  p.FindVar("scopes")->persistable = true;
  EXPECT_EQ(Violations(p, true), "OK");
}

TEST(VerifierTest, ReportsInputReadBeforeItsProducer) {
  Program p = ConvRelu();
  // relu reads y, which only relu itself (later) writes... make conv read the relu output instead.
  Op* conv = FindOp(p, "conv2d");
  conv->SetInput("Input", {"y"});
  std::string v = Violations(p);
  EXPECT_TRUE(Contains(v, conv->DebugName() + ": input slot 'Input' reads 'y', which is produced only later, by " +
                           FindOp(p, "relu")->DebugName()));
  EXPECT_TRUE(Contains(v, "1 violation:"));
}

TEST(VerifierTest, ReportsInputNeverProduced) {
  Program p = ConvRelu();
  Var ghost;
  ghost.name = "ghost";
  ASSERT_TRUE(p.AddVar(ghost).ok());
  Op* relu = FindOp(p, "relu");
  relu->SetInput("X", {"ghost"});
  EXPECT_TRUE(Contains(Violations(p), relu->DebugName() + ": input slot 'X' reads 'ghost', which no earlier op "
                                       "produces and which is neither a parameter nor a feed variable"));
}

TEST(VerifierTest, ReportsPersistableInputWithoutData) {
  Program p = ConvRelu();
  p.RemoveParam("w");
  Op* conv = FindOp(p, "conv2d");
  EXPECT_TRUE(Contains(Violations(p), conv->DebugName() + ": input slot 'Filter' reads 'w', a persistable "
                                       "variable without tensor data"));
}

TEST(VerifierTest, ReportsDataOnNonPersistableInput) {
  Program p = ConvRelu();
  p.FindVar("w")->persistable = false;
  EXPECT_TRUE(Contains(Violations(p), "reads 'w', which has tensor data but is not persistable"));
}

TEST(VerifierTest, ReportsUndeclaredInputAndOutput) {
  Program p = ConvRelu();
  p.RemoveVar("c");
  std::string v = Violations(p);
  Op* conv = FindOp(p, "conv2d");
  Op* relu = FindOp(p, "relu");
  EXPECT_TRUE(Contains(v, conv->DebugName() + ": output slot 'Output' names undeclared variable 'c'"));
  EXPECT_TRUE(Contains(v, relu->DebugName() + ": input slot 'X' names undeclared variable 'c'"));
  EXPECT_TRUE(Contains(v, "2 violations:"));
}

TEST(VerifierTest, ReportsSecondProducerOnlyWhenSsaIsRequired) {
  ProgramBuilder b;
  b.Input("x", {2});
  b.AddOp("relu", {{"X", {"x"}}}, {{"Out", {"y"}}});
  b.AddOp("sigmoid", {{"X", {"y"}}}, {{"Out", {"y"}}});  // y = sigmoid(y)
  b.Output("y");
  Program p = b.Build();
  EXPECT_EQ(Violations(p), "OK");
  EXPECT_TRUE(Contains(Violations(p, true), FindOp(p, "sigmoid")->DebugName() + ": output slot 'Out' writes 'y', "
                                             "already produced by " + FindOp(p, "relu")->DebugName() + " (not SSA)"));
}

TEST(VerifierTest, ReportsSameNameTwiceInOneOpsOutputs) {
  ProgramBuilder b;
  b.Input("x", {2, 4});
  b.AddOp("split", {{"X", {"x"}}}, {{"Out", {"y", "y"}}});
  b.Output("y");
  Program p = b.Build();
  EXPECT_TRUE(Contains(Violations(p, true), "writes 'y', already produced by this op (not SSA)"));
}

TEST(VerifierTest, ReportsInPlaceParameterUpdateWhenSsaIsRequired) {
  ProgramBuilder b;
  b.Input("x", {1, 2, 4, 4});
  for (const char* n : {"scale", "bias", "mean", "var"}) b.Param(n, Ones({2}));
  b.AddOp("batch_norm",
          {{"X", {"x"}}, {"Scale", {"scale"}}, {"Bias", {"bias"}}, {"Mean", {"mean"}}, {"Variance", {"var"}}},
          {{"Y", {"y"}}, {"MeanOut", {"mean"}}, {"VarianceOut", {"var"}}});
  b.Output("y");
  Program p = b.Build();
  EXPECT_EQ(Violations(p), "OK");
  std::string v = Violations(p, true);
  const std::string bn = FindOp(p, "batch_norm")->DebugName();
  EXPECT_TRUE(Contains(v, bn + ": output slot 'MeanOut' writes 'mean', which is a parameter"));
  EXPECT_TRUE(Contains(v, bn + ": output slot 'VarianceOut' writes 'var', which is a parameter"));
}

TEST(VerifierTest, ReportsWriteToTheFeedVariable) {
  Program p = ConvRelu();
  FindOp(p, "relu")->SetOutput("Out", {"feed"});
  EXPECT_TRUE(Contains(Violations(p, true), "writes 'feed', which is the feed variable (not SSA)"));
}

TEST(VerifierTest, ReportsMissingRequiredSlot) {
  Program p = ConvRelu();
  Op* conv = FindOp(p, "conv2d");
  conv->RemoveInput("Filter");
  EXPECT_TRUE(Contains(Violations(p), conv->DebugName() + ": missing required input slot 'Filter'"));
}

TEST(VerifierTest, RequiredSlotWithOnlyEmptyArgumentsIsMissing) {
  Program p = ConvRelu();
  Op* relu = FindOp(p, "relu");
  relu->SetOutput("Out", {""});
  EXPECT_TRUE(Contains(Violations(p), relu->DebugName() + ": missing required output slot 'Out'"));
}

TEST(VerifierTest, OptionalSlotMayBeEmptyOrAbsent) {
  Program p = ConvRelu();
  Op* conv = FindOp(p, "conv2d");
  conv->SetInput("ResidualData", {});
  EXPECT_EQ(Violations(p, true), "OK");
  conv->RemoveInput("Bias");
  conv->RemoveInput("ResidualData");
  EXPECT_EQ(Violations(p, true), "OK");
}

TEST(VerifierTest, ReportsUnknownSlotOfKnownOp) {
  Program p = ConvRelu();
  Op* relu = FindOp(p, "relu");
  relu->SetInput("Alpha", {"w"});
  EXPECT_TRUE(Contains(Violations(p), relu->DebugName() + ": unknown input slot 'Alpha' for op type 'relu'"));
}

TEST(VerifierTest, ReportsSeveralArgumentsInSingleArgumentSlot) {
  Program p = ConvRelu();
  Op* relu = FindOp(p, "relu");
  relu->SetInput("X", {"c", "x"});
  EXPECT_TRUE(Contains(Violations(p), relu->DebugName() + ": input slot 'X' takes one variable, has 2"));
}

TEST(VerifierTest, VariadicSlotsTakeSeveralArguments) {
  ProgramBuilder b;
  b.Input("a", {1, 2}).Input("c", {1, 2});
  b.AddOp("concat", {{"X", {"a", "c", "a"}}}, {{"Out", {"y"}}}, {{"axis", Attribute::Int(1)}});
  b.Output("y");
  EXPECT_EQ(Violations(b.Build(), true), "OK");
}

TEST(VerifierTest, ReportsDuplicateSlotName) {
  Program p = ConvRelu();
  Op* relu = FindOp(p, "relu");
  relu->mutable_inputs().push_back(Slot{"X", {"c"}});
  EXPECT_TRUE(Contains(Violations(p), relu->DebugName() + ": input slot 'X' appears twice"));
}

TEST(VerifierTest, UnknownOpTypesGetOnlyDataflowChecks) {
  ProgramBuilder b;
  b.Input("x", {2});
  b.AddOp("my_custom_op", {{"Foo", {"x"}}, {"Bar", {}}}, {{"Baz", {"y", "z"}}});
  b.Output("y");
  Program p = b.Build();
  EXPECT_FALSE(IsVerifiedOpType("my_custom_op"));
  EXPECT_EQ(Violations(p, true), "OK");
  Op* custom = FindOp(p, "my_custom_op");
  custom->SetInput("Bar", {"undefined_thing"});
  std::string v = Violations(p, true);
  EXPECT_TRUE(Contains(v, custom->DebugName() + ": input slot 'Bar' names undeclared variable 'undefined_thing'"));
  EXPECT_TRUE(Contains(v, custom->DebugName() + ": input slot 'Bar' reads 'undefined_thing', which no earlier op"));
  EXPECT_TRUE(Lacks(v, "unknown input slot"));
}

TEST(VerifierTest, ReportsAllViolationsAtOnce) {
  Program p = ConvRelu();
  Op* conv = FindOp(p, "conv2d");
  Op* relu = FindOp(p, "relu");
  conv->RemoveInput("Filter");       // missing slot
  relu->SetInput("Gamma", {"w"});    // unknown slot
  relu->SetOutput("Out", {"c"});     // second producer of c
  Status st = VerifyProgram(p, {.require_ssa = true});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidModel);
  EXPECT_TRUE(Contains(st.message(), "program verification failed with 4 violations:"));
  EXPECT_TRUE(Contains(st.message(), "missing required input slot 'Filter'"));
  EXPECT_TRUE(Contains(st.message(), "unknown input slot 'Gamma'"));
  EXPECT_TRUE(Contains(st.message(), "writes 'c', already produced by " + conv->DebugName()));
  // The fetch now reads y, which nothing produces any more.
  EXPECT_TRUE(Contains(st.message(), "input slot 'X' reads 'y'"));
}

TEST(VerifierTest, LongReportsAreCapped) {
  ProgramBuilder b;
  b.Input("x", {2});
  for (int i = 0; i < 300; ++i) b.AddOp("relu", {{"X", {"x"}}}, {{"Out", {"y"}}});
  b.Output("y");
  Status st = VerifyProgram(b.Build(), {.require_ssa = true});
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.message(), "failed with 299 violations"));
  EXPECT_TRUE(Contains(st.message(), "... and 99 more"));
}

TEST(VerifierTest, TableCoversTheSupportedOps) {
  for (const char* type :
       {"conv2d", "depthwise_conv2d", "conv2d_transpose", "batch_norm", "elementwise_add", "elementwise_mul", "relu",
        "pool2d", "mul", "matmul", "matmul_v2", "fc", "softmax", "scale", "reshape2", "transpose2", "concat",
        "fake_quantize_abs_max", "fake_quantize_range_abs_max", "fake_quantize_moving_average_abs_max",
        "fake_quantize_dequantize_abs_max", "fake_quantize_dequantize_moving_average_abs_max",
        "fake_channel_wise_quantize_abs_max", "fake_channel_wise_quantize_dequantize_abs_max",
        "fake_dequantize_max_abs", "fake_channel_wise_dequantize_max_abs", "moving_average_abs_max_scale",
        "quantize_linear", "dequantize_linear", "quantize", "dequantize", "requantize", "feed", "fetch"})
    EXPECT_TRUE(IsVerifiedOpType(type)) << type;
}

// ---- MakeSsa -----------------------------------------------------------------------------------------

TEST(MakeSsaTest, RenamesInPlaceActivationAndRewritesLaterReaders) {
  ProgramBuilder b;
  b.Input("x", {2});
  b.DeclareVar("y", {2, 7});
  b.AddOp("relu", {{"X", {"x"}}}, {{"Out", {"y"}}});
  b.AddOp("sigmoid", {{"X", {"y"}}}, {{"Out", {"y"}}});  // y = sigmoid(y)
  b.AddOp("scale", {{"X", {"y"}}}, {{"Out", {"z"}}});
  b.Output("y").Output("z");
  Program p = b.Build();
  const int64_t sigmoid_id = FindOp(p, "sigmoid")->id();
  const int64_t y_id = p.FindVar("y")->id;
  ASSERT_TRUE(MakeSsa(p).ok());
  EXPECT_EQ(Violations(p, true), "OK");
  Op* sigmoid = FindOp(p, "sigmoid");
  EXPECT_EQ(sigmoid->id(), sigmoid_id);
  EXPECT_EQ(sigmoid->Input("X"), "y");
  EXPECT_EQ(sigmoid->Output("Out"), "y_0");
  EXPECT_EQ(FindOp(p, "scale")->Input("X"), "y_0");
  EXPECT_EQ(p.FetchNames(), (std::vector<std::string>{"y_0", "z"}));
  const Var* fresh = p.FindVar("y_0");
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(fresh->dims, (std::vector<int64_t>{2, 7}));
  EXPECT_FALSE(fresh->persistable);
  EXPECT_GE(fresh->id, 0);
  EXPECT_NE(fresh->id, y_id);
  EXPECT_EQ(p.FindVar("y")->id, y_id);
}

TEST(MakeSsaTest, RenamesBatchNormStatisticsAliasingParameters) {
  ProgramBuilder b;
  b.Input("x", {1, 2, 4, 4});
  for (const char* n : {"scale", "bias", "mean", "var"}) b.Param(n, Ones({2}));
  b.AddOp("batch_norm",
          {{"X", {"x"}}, {"Scale", {"scale"}}, {"Bias", {"bias"}}, {"Mean", {"mean"}}, {"Variance", {"var"}}},
          {{"Y", {"y"}}, {"MeanOut", {"mean"}}, {"VarianceOut", {"var"}}});
  b.Output("y");
  Program p = b.Build();
  const auto persistables = p.PersistableNames();
  ASSERT_TRUE(MakeSsa(p).ok());
  EXPECT_EQ(Violations(p, true), "OK");
  Op* bn = FindOp(p, "batch_norm");
  EXPECT_EQ(bn->Input("Mean"), "mean");
  EXPECT_EQ(bn->Output("MeanOut"), "mean_0");
  EXPECT_EQ(bn->Output("VarianceOut"), "var_0");
  EXPECT_FALSE(p.FindVar("mean_0")->persistable);
  EXPECT_EQ(p.PersistableNames(), persistables);  // still saveable: no persistable var without data
  EXPECT_NE(p.FindParam("mean"), nullptr);
}

TEST(MakeSsaTest, RepeatedInPlaceUpdatesGetSuccessiveNames) {
  ProgramBuilder b;
  b.Input("x", {2});
  b.DeclareVar("x_0", {2});  // taken: fresh names skip it
  b.AddOp("relu", {{"X", {"x"}}}, {{"Out", {"x"}}});
  b.AddOp("scale", {{"X", {"x"}}}, {{"Out", {"a"}}});
  b.AddOp("sigmoid", {{"X", {"x"}}}, {{"Out", {"x"}}});
  b.AddOp("elementwise_add", {{"X", {"x"}}, {"Y", {"a"}}}, {{"Out", {"x"}}});
  b.Output("x");
  Program p = b.Build();
  ASSERT_TRUE(MakeSsa(p).ok());
  EXPECT_EQ(Violations(p, true), "OK");
  EXPECT_EQ(FindOp(p, "relu")->Output("Out"), "x_1");
  EXPECT_EQ(FindOp(p, "scale")->Input("X"), "x_1");
  EXPECT_EQ(FindOp(p, "sigmoid")->Input("X"), "x_1");
  EXPECT_EQ(FindOp(p, "sigmoid")->Output("Out"), "x_2");
  EXPECT_EQ(FindOp(p, "elementwise_add")->Input("X"), "x_2");
  EXPECT_EQ(FindOp(p, "elementwise_add")->Output("Out"), "x_3");
  EXPECT_EQ(p.FetchNames(), std::vector<std::string>{"x_3"});
}

TEST(MakeSsaTest, LeavesSsaProgramsUnchanged) {
  Program p = ConvRelu();
  Program before = p.Clone();
  ASSERT_TRUE(MakeSsa(p).ok());
  ASSERT_EQ(p.num_ops(), before.num_ops());
  for (size_t i = 0; i < p.num_ops(); ++i) EXPECT_TRUE(p.op(i) == before.op(i)) << p.op(i).DebugName();
  EXPECT_EQ(p.vars().size(), before.vars().size());
}

TEST(MakeSsaTest, RefusesRenamesInProgramsWithSubBlocks) {
  ProgramBuilder b;
  b.Input("x", {2});
  b.AddOp("relu", {{"X", {"x"}}}, {{"Out", {"x"}}});
  b.Output("x");
  Program p = b.Build();
  p.meta().other_blocks.push_back("");
  Status st = MakeSsa(p);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_TRUE(Contains(st.message(), "relu(id="));
  EXPECT_TRUE(Contains(st.message(), "'x'"));

  Program ok = ConvRelu();
  ok.meta().other_blocks.push_back("");
  EXPECT_TRUE(MakeSsa(ok).ok());
}

}  // namespace
}  // namespace q2i::ir
