// kernel_bench as a user runs it: the two lines of figures for each kernel, and bad options as one-line
// errors. On a CPU without AVX-512 VNNI (VBMI for depthwise) the tool must say so and fail.
#include <gtest/gtest.h>

#include "runtime/kernels/cpu_features.h"
#include "tests/test_util/tool_runner.h"

namespace q2i::testing {
namespace {

TEST(KernelBenchToolTest, PrintsBothKernelsHotAndStreamed) {
  struct Run {
    const char* args;
    bool supported;
  };
  for (const Run& run : {Run{"--kernel=direct --channels=64 --out_channels=128 --size=7", runtime::kernels::CpuHasAvx512Vnni()},
                         Run{"--kernel=depthwise --channels=64 --size=14 --stride=2", runtime::kernels::CpuHasAvx512VnniVbmi()}}) {
    ToolResult r = RunTool("kernel_bench", std::string(run.args) + " --runs=5 --copies=2");
    if (!run.supported) {
      EXPECT_EQ(r.exit_code, 1);
      EXPECT_NE(r.err.find("this CPU lacks"), std::string::npos) << r.err;
      continue;
    }
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("onednn_impl="), std::string::npos) << r.out;
    for (const char* key : {"onednn_hot_ms=", " ours_hot_ms=", " hot_ratio=", " onednn_streamed_ms=",
                            " ours_streamed_ms=", " streamed_ratio="}) {
      EXPECT_GT(NumberAfter(r.out, key).value_or(-1), 0) << key << "\n" << r.out;
    }
  }
}

TEST(KernelBenchToolTest, BadOptionsAreOneLineErrors) {
  ToolResult kind = RunTool("kernel_bench", "--kernel=winograd --runs=1");
  EXPECT_EQ(kind.exit_code, 1);
  EXPECT_NE(kind.err.find("got 'winograd'"), std::string::npos) << kind.err;
  ToolResult zero = RunTool("kernel_bench", "--stride=0 --runs=1");
  EXPECT_EQ(zero.exit_code, 1);
  EXPECT_NE(zero.err.find("must be >= 1"), std::string::npos) << zero.err;
  if (runtime::kernels::CpuHasAvx512Vnni()) {
    ToolResult shape = RunTool("kernel_bench", "--out_channels=30 --runs=1");
    EXPECT_EQ(shape.exit_code, 1);
    EXPECT_NE(shape.err.find("output channels a multiple of 64"), std::string::npos) << shape.err;
  }
}

}  // namespace
}  // namespace q2i::testing
