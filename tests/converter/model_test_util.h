// Helpers for the converter tests: the shared models, file bytes, program comparison.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ir/program.h"
#include "tests/test_util/shared_data.h"
#include "tests/test_util/tool_runner.h"  // ReadWholeFile

namespace q2i::testing {

struct SharedModel {
  std::string name;
  bool combined;       // .pdmodel/.pdiparams; else __model__ + one file per variable
  bool needs_filling;  // weights missing from ../shared: use FilledModelCopy
};

// Every model in ../shared/models.
const std::vector<SharedModel>& SharedModels();

// Directory of the model: ../shared/models/<name>, or its filled copy under the build tree. Empty
// when the model is not available (the caller skips, or fails in CI).
std::filesystem::path ModelDir(const SharedModel& model);

void WriteBytes(const std::filesystem::path& path, const std::string& bytes);

// A copy of `src` (a directory) at `dst` whose files are symlinks to the originals, so a test can
// replace one file without copying the others.
void LinkCopy(const std::filesystem::path& src, const std::filesystem::path& dst);

// "a contains b" with the text in the failure message.
::testing::AssertionResult Contains(const std::string& text, const std::string& part);

// Same ops (type, slots as sets by name, attributes with their types, node ids), same variables
// (name, kind, dtype, dims, LoD level, persistable, ids), same feed/fetch targets.
void ExpectSamePrograms(const ir::Program& expected, const ir::Program& actual);
// Same parameter names with bytewise-identical tensors.
void ExpectSameParams(const ir::Program& expected, const ir::Program& actual);

}  // namespace q2i::testing

// Skips (or fails in CI) when the model cannot be found.
#define Q2I_MODEL_DIR_OR_SKIP(var, model)                                                         \
  const std::filesystem::path var = ::q2i::testing::ModelDir(model);                              \
  if (var.empty()) {                                                                              \
    if (::q2i::testing::RunningInCi()) FAIL() << "model missing in CI: " << (model).name;         \
    GTEST_SKIP() << "model not available: " << (model).name;                                      \
  }
