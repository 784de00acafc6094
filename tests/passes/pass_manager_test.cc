// PassManager: order, change flags, verifier after each pass, DOT dumps named int8_<NN>_<pass>.dot.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "passes/pass_manager.h"
#include "passes/passes.h"
#include "passes/pipelines.h"
#include "tests/passes/test_graphs.h"
#include "tests/test_util/shared_data.h"

namespace q2i::passes {
namespace {
namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(PipelineTest, StopAfterEndsWithThatPass) {
  PassManager full;
  BuildInt8Pipeline(full);
  EXPECT_EQ(full.passes().back()->name(), "finalize");
  PassManager part;
  BuildInt8Pipeline(part, {.save_int8_weights = false, .stop_after = "place-int8"});
  ASSERT_LT(part.passes().size(), full.passes().size());
  EXPECT_EQ(part.passes().back()->name(), "place-int8");
  for (size_t i = 0; i < part.passes().size(); ++i) EXPECT_EQ(part.passes()[i]->name(), full.passes()[i]->name());
  PassManager unknown;
  BuildInt8Pipeline(unknown, {.save_int8_weights = false, .stop_after = "no-such-pass"});
  EXPECT_EQ(unknown.passes().size(), full.passes().size());
}

TEST(PassManagerTest, RunsPassesInOrderAndRecordsChanges) {
  ir::Program p = testgraphs::ConvBn(false);
  PassManager pm;
  pm.Add(CreateFuseConvBnPass());
  pm.Add(CreateFuseConvBnPass());
  PassContext ctx;
  ASSERT_TRUE(pm.Run(p, ctx).ok());
  ASSERT_EQ(pm.records().size(), 2u);
  EXPECT_TRUE(pm.records()[0].changed);
  EXPECT_FALSE(pm.records()[1].changed);
  EXPECT_NE(pm.StatsReport(ctx).find("fuse-conv-bn"), std::string::npos);
}

TEST(PassManagerTest, VerifierFailureNamesThePass) {
  ir::Program p = testgraphs::ConvBn(false);
  PassManagerOptions o;
  o.verifier = [](const ir::Program& prog) {
    return prog.num_ops() < 4 ? InvalidModel("too few ops") : OkStatus();
  };
  PassManager pm(o);
  pm.Add(CreateFuseConvBnPass());
  PassContext ctx;
  Status st = pm.Run(p, ctx);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("after pass 'fuse-conv-bn'"), std::string::npos) << st.message();
}

TEST(PassManagerTest, DumpsAfterEveryPassDeterministicallyAndRenderable) {
  fs::path dir = testing::ScratchDir("dumps");
  std::string first;
  for (int run = 0; run < 2; ++run) {
    ir::Program p = testgraphs::ConvBn(true);
    PassManagerOptions o;
    o.dump_dir = (dir / std::to_string(run)).string();
    o.dump_svg = false;
    PassManager pm(o);
    BuildInt8Pipeline(pm);
    PassContext ctx;
    ASSERT_TRUE(pm.Run(p, ctx).ok());
    EXPECT_TRUE(fs::exists(dir / std::to_string(run) / "quant_orig.dot"));
    EXPECT_TRUE(fs::exists(dir / std::to_string(run) / "int8_01_mark_skip_quant.dot"));
    EXPECT_TRUE(fs::exists(dir / std::to_string(run) / "int8_07_fuse_conv_bn.dot"));
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir / std::to_string(run))) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::string all;
    for (const auto& f : files) all += f.filename().string() + "\n" + Slurp(f);
    if (run == 0) {
      first = all;
    } else {
      EXPECT_EQ(first, all);  // byte-identical dumps for the same input
    }
  }
  if (std::system("command -v dot > /dev/null 2>&1") == 0 || testing::RunningInCi()) {
    for (const auto& e : fs::directory_iterator(dir / "0")) {
      std::string cmd = "dot -Tsvg '" + e.path().string() + "' -o /dev/null";
      EXPECT_EQ(std::system(cmd.c_str()), 0) << e.path();
    }
  }
}

}  // namespace
}  // namespace q2i::passes
