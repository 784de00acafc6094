// benchmark as a user runs it on the built-in demo model: the summary line, --profile, --floor, and
// bad flags or models as one-line errors.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/test_util/shared_data.h"
#include "tests/test_util/tool_runner.h"

namespace q2i::testing {
namespace {
namespace fs = std::filesystem;

std::string ModelArgs() {
  return "--fp32_model='" + BuiltDemoModels().fp32.string() + "' --int8_model='" + BuiltDemoModels().int8.string() +
         "' ";
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

TEST(BenchmarkToolTest, PrintsMediansAndRatio) {
  ToolResult r = RunTool("benchmark", ModelArgs() + "--repeat=5 --warmup=1 --batch_size=2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* key : {"fp32_ms=", " int8_ms=", " speedup="}) {
    EXPECT_GT(NumberAfter(r.out, key).value_or(-1), 0) << key;
  }
  EXPECT_NE(r.out.find("batch_size=2 num_threads=1 repeat=5"), std::string::npos) << r.out;
}

TEST(BenchmarkToolTest, ProfileAndFloorCoverEveryConvolution) {
  ToolResult r = RunTool("benchmark", ModelArgs() + "--repeat=3 --warmup=1 --profile --floor --floor_repeat=2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("--- int8 profile"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("conv2d[int8]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reorders executed:"), std::string::npos);
  EXPECT_EQ(Count(r.out, "\nkernel variants: "), 2) << r.out;  // one per model
  // Every conv2d of the INT8 model appears once in the floor table of each model.
  ToolResult info = RunTool("model_info", "--model_dir='" + BuiltDemoModels().int8.string() + "'");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const int convs = static_cast<int>(NumberAfter(info.out, "conv2d: ").value_or(0));
  EXPECT_GT(convs, 3);
  EXPECT_EQ(Count(r.out, "\nconv2d(id="), 2 * convs) << r.out;
  for (const char* key : {"int8_floor_ms=", " cold_weights_ms=", " sequence_ms=", " weights_mb=", " weights_read_ms=",
                          "int8 conv_kernels_ms / (floor_ms + weights_read_ms) = ",
                          "int8 conv_kernels_ms=", "fp32_floor_ms=", "floor_speedup=", " cold_speedup="}) {
    EXPECT_GT(NumberAfter(r.out, key).value_or(-1), 0) << key << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("floor_speedup="), std::string::npos);
  // Each model's multiply-adds against the core's measured peak, or why there is none.
  for (const std::string& m : {std::string("fp32"), std::string("int8")}) {
    if (r.out.find("\n" + m + " peak: unavailable") != std::string::npos) continue;
    const size_t at = r.out.find("\n" + m + " macs=");
    ASSERT_NE(at, std::string::npos) << m << "\n" << r.out;
    const std::string line = r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
    for (const char* key : {" macs=", " peak_ms=", " floor at ", ", conv kernels at "}) {
      EXPECT_GT(NumberAfter(line, key).value_or(-1), 0) << key << "\n" << line;
    }
  }
}

TEST(BenchmarkToolTest, ConvImplBothTimesTheInt8ModelBothWays) {
  ToolResult r = RunTool("benchmark", ModelArgs() + "--repeat=4 --warmup=1 --conv_impl=both");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("conv_impl=both"), std::string::npos) << r.out;
  for (const char* key : {"int8_ms=", "int8_library_ms=", " speedup_library=", " tuned_gain="}) {
    EXPECT_GT(NumberAfter(r.out, key).value_or(-1), 0) << key << "\n" << r.out;
  }
  ToolResult library = RunTool("benchmark", ModelArgs() + "--repeat=2 --warmup=0 --conv_impl=library");
  ASSERT_EQ(library.exit_code, 0) << library.err;
  EXPECT_EQ(library.out.find("int8_library_ms="), std::string::npos) << library.out;
}

TEST(BenchmarkToolTest, BadFlagsAndModelsAreOneLineErrors) {
  ToolResult missing = RunTool("benchmark", "--fp32_model='" + BuiltDemoModels().fp32.string() + "'");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("--int8_model is required"), std::string::npos) << missing.err;
  ToolResult zero = RunTool("benchmark", ModelArgs() + "--batch_size=0");
  EXPECT_EQ(zero.exit_code, 1);
  EXPECT_NE(zero.err.find("--batch_size"), std::string::npos) << zero.err;
  ToolResult nodir = RunTool("benchmark", "--fp32_model=/nonexistent/m --int8_model=/nonexistent/m");
  EXPECT_EQ(nodir.exit_code, 1);
  EXPECT_NE(nodir.err.find("/nonexistent/m"), std::string::npos) << nodir.err;
  ToolResult shape = RunTool("benchmark", ModelArgs() + "--input_shape=3,x,32");
  EXPECT_EQ(shape.exit_code, 1);
  EXPECT_NE(shape.err.find("--input_shape"), std::string::npos) << shape.err;
  ToolResult impl = RunTool("benchmark", ModelArgs() + "--conv_impl=fastest");
  EXPECT_EQ(impl.exit_code, 1);
  EXPECT_NE(impl.err.find("--conv_impl"), std::string::npos) << impl.err;
  EXPECT_NE(impl.err.find("got 'fastest'"), std::string::npos) << impl.err;
}

}  // namespace
}  // namespace q2i::testing
