// ResolveModelFiles: layout detection for every layout, explicit file names, and the errors.
#include <gtest/gtest.h>

#include <filesystem>

#include "converter/model_io.h"
#include "tests/converter/model_test_util.h"
#include "tests/test_util/shared_data.h"

namespace q2i::testing {
namespace {
namespace fs = std::filesystem;
using converter::ModelLocation;
using converter::ResolveModelFiles;
using converter::ResolvedModelFiles;

ModelLocation At(const fs::path& path, std::string model = "", std::string params = "") {
  ModelLocation loc;
  loc.path = path;
  loc.model_filename = std::move(model);
  loc.params_filename = std::move(params);
  return loc;
}

void Touch(const fs::path& p) { WriteBytes(p, "x"); }

ResolvedModelFiles Resolve(const ModelLocation& loc) {
  auto r = ResolveModelFiles(loc);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : ResolvedModelFiles{};
}

TEST(ResolveModelFilesTest, SeparateParams) {
  fs::path d = ScratchDir("m");
  Touch(d / "__model__");
  Touch(d / "conv_w");
  ResolvedModelFiles r = Resolve(At(d));
  EXPECT_EQ(r.program_file, d / "__model__");
  EXPECT_TRUE(r.params_file.empty());
  EXPECT_EQ(r.params_dir, d);
  EXPECT_EQ(r.model_filename, "__model__");
  EXPECT_EQ(r.params_filename, "");
}

TEST(ResolveModelFilesTest, DunderCombined) {
  fs::path d = ScratchDir("m");
  Touch(d / "__model__");
  Touch(d / "__params__");
  ResolvedModelFiles r = Resolve(At(d));
  EXPECT_EQ(r.program_file, d / "__model__");
  EXPECT_EQ(r.params_file, d / "__params__");
  EXPECT_EQ(r.model_filename, "__model__");
  EXPECT_EQ(r.params_filename, "__params__");
}

TEST(ResolveModelFilesTest, ModelAndParams) {
  fs::path d = ScratchDir("m");
  Touch(d / "model");
  Touch(d / "params");
  ResolvedModelFiles r = Resolve(At(d));
  EXPECT_EQ(r.program_file, d / "model");
  EXPECT_EQ(r.params_file, d / "params");
  EXPECT_EQ(r.model_filename, "model");
  EXPECT_EQ(r.params_filename, "params");
}

TEST(ResolveModelFilesTest, PdmodelAsDirectoryFileOrPrefix) {
  fs::path d = ScratchDir("m");
  Touch(d / "inference.pdmodel");
  Touch(d / "inference.pdiparams");
  for (const fs::path& p : {d, d / "inference.pdmodel", d / "inference"}) {
    SCOPED_TRACE(p.string());
    ResolvedModelFiles r = Resolve(At(p));
    EXPECT_EQ(r.program_file, d / "inference.pdmodel");
    EXPECT_EQ(r.params_file, d / "inference.pdiparams");
    EXPECT_EQ(r.model_filename, "inference.pdmodel");
    EXPECT_EQ(r.params_filename, "inference.pdiparams");
  }
}

TEST(ResolveModelFilesTest, SharedModelsAreDetected) {
  for (const SharedModel& m : SharedModels()) {
    if (m.needs_filling) continue;  // same layout as lenet; no need to copy 100 MB here
    Q2I_MODEL_DIR_OR_SKIP(dir, m);
    ResolvedModelFiles r = Resolve(At(dir));
    EXPECT_EQ(r.model_filename, m.combined ? "inference.pdmodel" : "__model__") << m.name;
    EXPECT_EQ(r.params_filename, m.combined ? "inference.pdiparams" : "") << m.name;
  }
}

TEST(ResolveModelFilesTest, ExplicitFileNamesWin) {
  fs::path d = ScratchDir("m");
  Touch(d / "__model__");
  Touch(d / "__params__");
  Touch(d / "prog.bin");
  Touch(d / "weights.bin");
  ResolvedModelFiles r = Resolve(At(d, "prog.bin", "weights.bin"));
  EXPECT_EQ(r.program_file, d / "prog.bin");
  EXPECT_EQ(r.params_file, d / "weights.bin");
  EXPECT_EQ(r.model_filename, "prog.bin");
  EXPECT_EQ(r.params_filename, "weights.bin");
  // A model file name alone means separate parameter files, even next to a __params__ file.
  r = Resolve(At(d, "__model__"));
  EXPECT_EQ(r.program_file, d / "__model__");
  EXPECT_TRUE(r.params_file.empty());
  EXPECT_EQ(r.params_dir, d);
  // Explicit names are not checked for existence here (LoadModel reports the missing file).
  r = Resolve(At(d, "nope", "nope2"));
  EXPECT_EQ(r.program_file, d / "nope");
}

TEST(ResolveModelFilesTest, Errors) {
  fs::path d = ScratchDir("m");
  auto missing = ResolveModelFiles(At(d / "does_not_exist"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(missing.status().message(), (d / "does_not_exist").string()));

  auto empty_dir = ResolveModelFiles(At(d));
  EXPECT_EQ(empty_dir.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(empty_dir.status().message(), d.string()));

  auto no_path = ResolveModelFiles(At(""));
  EXPECT_EQ(no_path.status().code(), StatusCode::kInvalidArgument);

  auto params_only = ResolveModelFiles(At(d, "", "params"));
  EXPECT_EQ(params_only.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(params_only.status().message(), "--model_filename"));

  auto explicit_missing_dir = ResolveModelFiles(At(d / "nodir", "model", "params"));
  EXPECT_EQ(explicit_missing_dir.status().code(), StatusCode::kNotFound);

  Touch(d / "a.pdmodel");
  Touch(d / "b.pdmodel");
  auto ambiguous = ResolveModelFiles(At(d));
  EXPECT_EQ(ambiguous.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(ambiguous.status().message(), "several .pdmodel"));

  // model without params is not the model/params layout.
  fs::path e = ScratchDir("e");
  Touch(e / "model");
  EXPECT_EQ(ResolveModelFiles(At(e)).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace q2i::testing
