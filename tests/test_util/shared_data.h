// Locating ../shared (models, data) for model-level tests.
//
// The directory is $Q2I_SHARED_DIR when set, else <source>/../shared. A test that needs a file calls
// Q2I_REQUIRE_SHARED(path): when the file is missing the test is skipped on a developer machine but
// FAILS when CI=true, so CI can never pass by silently skipping model tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace q2i::testing {

std::filesystem::path SharedDir();
std::filesystem::path SharedPath(const std::string& relative);
bool RunningInCi();
// A scratch directory under the build tree, unique per test, emptied on creation.
std::filesystem::path ScratchDir(const std::string& name);
// Copies ../shared/models/<name> into the build tree (once) and runs its fill_missing_weights.py on
// the copy when it has one. Returns the copy's path, or an empty path when that fails.
std::filesystem::path FilledModelCopy(const std::string& name);

}  // namespace q2i::testing

#define Q2I_REQUIRE_SHARED(relative)                                                              \
  do {                                                                                            \
    if (!std::filesystem::exists(::q2i::testing::SharedPath(relative))) {                         \
      if (::q2i::testing::RunningInCi()) {                                                        \
        FAIL() << "required shared file missing in CI: " << ::q2i::testing::SharedPath(relative); \
      } else {                                                                                    \
        GTEST_SKIP() << "shared file missing: " << ::q2i::testing::SharedPath(relative);          \
      }                                                                                           \
    }                                                                                             \
  } while (0)
