// layer_diff as a user runs it on the built-in demo model: fake-quant vs its INT8 conversion compares
// every INT8 conv output in real units, in program order; bad flags and models are one-line errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/test_util/shared_data.h"
#include "tests/test_util/tool_runner.h"

namespace q2i::testing {
namespace {
namespace fs = std::filesystem;

TEST(LayerDiffToolTest, ComparesInt8ConvOutputsInRealUnits) {
  const DemoModels& d = BuiltDemoModels();
  ToolResult r =
      RunTool("layer_diff", "--model_a='" + d.quant.string() + "' --model_b='" + d.int8.string() + "' --seed=3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_NE(line.find("cosine"), std::string::npos) << line;
  int int8_rows = 0, int8_convs = 0, rows = 0;
  for (; std::getline(lines, line); ++rows) {
    // variable, producer "type(id)", optional "int8", cosine, max|diff|
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    ASSERT_TRUE(f.size() == 4 || (f.size() == 5 && f[2] == "int8")) << line;
    const size_t paren = f[1].find('(');
    ASSERT_NE(paren, std::string::npos) << line;
    const double cos = std::stod(f[f.size() - 2]);
    EXPECT_GT(cos, 0.95) << line;  // INT8 reproduces the fake-quant model's quantization
    EXPECT_LE(cos, 1.0 + 1e-9) << line;
    if (f.size() == 5) {
      ++int8_rows;
      int8_convs += f[1].substr(0, paren) == "conv2d";
    }
  }
  EXPECT_GE(int8_convs, 3) << r.out;  // the demo's INT8 convs, compared through their scales
  EXPECT_GT(rows, int8_rows);         // and the FP32 tail (softmax, ...)
}

TEST(LayerDiffToolTest, SameModelIsIdentical) {
  const DemoModels& d = BuiltDemoModels();
  ToolResult r = RunTool("layer_diff", "--model_a='" + d.int8.string() + "' --model_b='" + d.int8.string() +
                                           "' --min_cosine=0.999999");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;  // only the header
}

TEST(LayerDiffToolTest, BadFlagsAreOneLineErrors) {
  ToolResult none = RunTool("layer_diff", "");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("--model_a and --model_b are required"), std::string::npos) << none.err;
  ToolResult missing = RunTool("layer_diff", "--model_a=/nonexistent/a --model_b=/nonexistent/b");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("/nonexistent/a"), std::string::npos) << missing.err;
  const DemoModels& d = BuiltDemoModels();
  ToolResult image = RunTool("layer_diff", "--model_a='" + d.quant.string() + "' --model_b='" + d.int8.string() +
                                               "' --image=/nonexistent.jpg");
  EXPECT_EQ(image.exit_code, 1);
  EXPECT_NE(image.err.find("/nonexistent.jpg"), std::string::npos) << image.err;
}

}  // namespace
}  // namespace q2i::testing
