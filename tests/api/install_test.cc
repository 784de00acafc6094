// Installs the package into a temporary prefix and builds + runs tests/api/consumer against it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/test_util/shared_data.h"

namespace q2i::testing {
namespace {

int Shell(const std::string& cmd, const std::filesystem::path& log) {
  const std::string full = cmd + " > '" + log.string() + "' 2>&1";
  return std::system(full.c_str());
}

std::string ReadFile(const std::filesystem::path& p) {
  FILE* f = std::fopen(p.c_str(), "r");
  if (!f) return "";
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

TEST(InstallTest, SeparateProjectFindsAndLinksThePackage) {
  namespace fs = std::filesystem;
  const fs::path scratch = ScratchDir("install");
  const fs::path prefix = scratch / "prefix", build = scratch / "consumer_build", log = scratch / "log.txt";
  ASSERT_EQ(Shell("cmake --install '" + std::string(Q2I_BINARY_DIR) + "' --component quant2int8_dev --prefix '" +
                      prefix.string() + "'",
                  log),
            0)
      << ReadFile(log);
  ASSERT_TRUE(fs::exists(prefix / "include/api/predictor.h"));
  ASSERT_TRUE(fs::exists(prefix / "lib/cmake/quant2int8/quant2int8Config.cmake"));
  EXPECT_FALSE(fs::exists(prefix / "include/proto"));
  std::string flags;
#if defined(__SANITIZE_ADDRESS__)
  flags = " -DCMAKE_CXX_FLAGS='-fsanitize=address,undefined' -DCMAKE_EXE_LINKER_FLAGS='-fsanitize=address,undefined'";
#endif
  ASSERT_EQ(Shell("cmake -S '" + std::string(Q2I_SOURCE_DIR) + "/tests/api/consumer' -B '" + build.string() +
                      "' -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH='" + prefix.string() + "'" + flags,
                  log),
            0)
      << ReadFile(log);
  ASSERT_EQ(Shell("cmake --build '" + build.string() + "' -j2", log), 0) << ReadFile(log);
  std::string run = "'" + (build / "consumer").string() + "'";
  if (fs::exists(SharedPath("models/lenet_mnist_fp32/__model__"))) run += " '" + SharedPath("models/lenet_mnist_fp32").string() + "'";
  ASSERT_EQ(Shell(run, log), 0) << ReadFile(log);
  const std::string out = ReadFile(log);
  EXPECT_NE(out.find("tiny:"), std::string::npos) << out;
}

}  // namespace
}  // namespace q2i::testing
