// Running a built tool from a test: exit code, stdout and stderr.
#pragma once

#include <string>

namespace q2i::testing {

struct ToolResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs build/bin/<tool> with `args` (already shell-quoted as needed) in the build directory.
ToolResult RunTool(const std::string& tool, const std::string& args);

}  // namespace q2i::testing
