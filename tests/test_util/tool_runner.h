// Running a built tool from a test: exit code, stdout and stderr.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace q2i::testing {

struct ToolResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// The whole content of a file ("" when it cannot be read).
std::string ReadWholeFile(const std::filesystem::path& path);

// Runs build/bin/<tool> with `args` (already shell-quoted as needed) in the build directory.
ToolResult RunTool(const std::string& tool, const std::string& args);

// The built-in demo model run through the tools once per test process (make_demo with small datasets,
// quant_post, save_quant_model): its FP32 model fused but not quantized, its fake-quant model and its
// INT8 conversion. Empty paths (and a test failure) when a tool fails.
struct DemoModels {
  std::filesystem::path fp32, quant, int8;
};
const DemoModels& BuiltDemoModels();

// The number printed right after the first `key` in `text` ("speedup=" in "... speedup=3.52"); nullopt
// when the key is missing or no number follows it.
std::optional<double> NumberAfter(const std::string& text, const std::string& key);

}  // namespace q2i::testing
