#include "tests/tools/tool_runner.h"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/test_util/shared_data.h"

namespace q2i::testing {
namespace fs = std::filesystem;

namespace {
std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

ToolResult RunTool(const std::string& tool, const std::string& args) {
  fs::path dir = ScratchDir("tool_" + tool);
  fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  std::string cmd = "'" + std::string(Q2I_BINARY_DIR) + "/bin/" + tool + "' " + args + " > '" + out.string() +
                    "' 2> '" + err.string() + "'";
  int status = std::system(cmd.c_str());
  ToolResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = Slurp(out);
  r.err = Slurp(err);
  return r;
}

}  // namespace q2i::testing
