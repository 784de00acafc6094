#include "tests/test_util/tool_runner.h"

#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/test_util/shared_data.h"

namespace q2i::testing {
namespace fs = std::filesystem;

std::string ReadWholeFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ToolResult RunTool(const std::string& tool, const std::string& args) {
  fs::path dir = ScratchDir("tool_" + tool);
  fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  std::string cmd = "'" + std::string(Q2I_BINARY_DIR) + "/bin/" + tool + "' " + args + " > '" + out.string() +
                    "' 2> '" + err.string() + "'";
  int status = std::system(cmd.c_str());
  ToolResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadWholeFile(out);
  r.err = ReadWholeFile(err);
  return r;
}

const DemoModels& BuiltDemoModels() {
  static const DemoModels models = [] {
    const fs::path d = ScratchDir("built_demo_models");
    const std::string q = "'" + d.string();
    DemoModels m;
    const ToolResult demo = RunTool("make_demo", "--output_dir=" + q + "' --calib_images=20 --test_images=10");
    EXPECT_EQ(demo.exit_code, 0) << demo.err;
    const ToolResult ptq = RunTool("quant_post", "--model_dir=" + q + "/fp32_model' --calib_data=" + q +
                                                     "/calib.bin' --batch_size=10 --batch_num=2 --progress=false "
                                                     "--save_model_path=" + q + "/quant'");
    EXPECT_EQ(ptq.exit_code, 0) << ptq.err;
    const ToolResult conv = RunTool("save_quant_model", "--quant_model_path=" + q + "/quant' --int8_model_save_path=" +
                                                            q + "/int8' --fp32_model_save_path=" + q + "/fp32'");
    EXPECT_EQ(conv.exit_code, 0) << conv.err;
    if (demo.exit_code == 0 && ptq.exit_code == 0 && conv.exit_code == 0) m = {d / "fp32", d / "quant", d / "int8"};
    return m;
  }();
  return models;
}

std::optional<double> NumberAfter(const std::string& text, const std::string& key) {
  const size_t at = text.find(key);
  if (at == std::string::npos) return std::nullopt;
  const char* begin = text.c_str() + at + key.size();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (end == begin) return std::nullopt;
  return v;
}

}  // namespace q2i::testing
