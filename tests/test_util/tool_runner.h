// Running a built tool from a test: exit code, stdout and stderr.
#pragma once

#include <filesystem>
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

}  // namespace q2i::testing
