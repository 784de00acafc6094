// Every shared model loads, verifies, and survives load -> save -> load in every layout: parameter
// files byte-identical in the same layout, the same program and tensors in the others, and saving is
// deterministic.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "converter/model_io.h"
#include "ir/verifier.h"
#include "tests/converter/model_test_util.h"
#include "tests/test_util/shared_data.h"

namespace q2i::testing {
namespace {
namespace fs = std::filesystem;
using converter::LoadModel;
using converter::ModelLocation;
using converter::ResolvedModelFiles;
using converter::SaveModel;
using converter::SaveOptions;

// Every regular file under `dir`, by relative path, with its bytes.
std::map<std::string, std::string> DirContents(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = ReadWholeFile(e.path());
  return files;
}

ModelLocation At(const fs::path& path) {
  ModelLocation loc;
  loc.path = path;
  return loc;
}

class SharedModelTest : public ::testing::TestWithParam<SharedModel> {};

std::string ModelName(const ::testing::TestParamInfo<SharedModel>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Models, SharedModelTest, ::testing::ValuesIn(SharedModels()), ModelName);

TEST_P(SharedModelTest, LoadsAndVerifies) {
  Q2I_MODEL_DIR_OR_SKIP(dir, GetParam());
  ResolvedModelFiles files;
  auto program = LoadModel(At(dir), &files);
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  EXPECT_EQ(files.params_file.empty(), !GetParam().combined);
  EXPECT_GT(program->num_ops(), 2u);
  EXPECT_FALSE(program->FeedNames().empty());
  EXPECT_FALSE(program->FetchNames().empty());
  for (const auto& name : program->PersistableNames()) EXPECT_NE(program->FindParam(name), nullptr) << name;
  Status st = ir::VerifyProgram(*program);
  EXPECT_TRUE(st.ok()) << st.ToString();

  // In-place updates (batch_norm statistics, fake-quant OutScale) become fresh variables; the result
  // is SSA and still saveable (the same persistable variables, all with data).
  const auto persistables = program->PersistableNames();
  ASSERT_TRUE(ir::MakeSsa(*program).ok());
  st = ir::VerifyProgram(*program, {.require_ssa = true});
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(program->PersistableNames(), persistables);
}

TEST_P(SharedModelTest, ResaveInSameLayoutIsByteIdenticalAndReloadsTheSame) {
  Q2I_MODEL_DIR_OR_SKIP(dir, GetParam());
  ResolvedModelFiles files;
  auto program = LoadModel(At(dir), &files);
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  const fs::path out = ScratchDir("resaved");
  ASSERT_TRUE(SaveModel(*program, out,
                        SaveOptions{.model_filename = files.model_filename, .params_filename = files.params_filename})
                  .ok());
  if (GetParam().combined) {
    EXPECT_TRUE(ReadWholeFile(files.params_file) == ReadWholeFile(out / files.params_filename))
        << files.params_file << " changed on re-save";
  } else {
    for (const auto& name : program->PersistableNames())
      EXPECT_TRUE(ReadWholeFile(dir / name) == ReadWholeFile(out / name)) << "parameter file " << name << " changed";
  }
  // Nothing else was written: the program file plus the parameter file(s).
  const size_t expected_files = 1 + (GetParam().combined ? 1 : program->PersistableNames().size());
  EXPECT_EQ(DirContents(out).size(), expected_files);

  ResolvedModelFiles again_files;
  auto again = LoadModel(At(out), &again_files);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again_files.model_filename, files.model_filename);
  EXPECT_EQ(again_files.params_filename, files.params_filename);
  ExpectSamePrograms(*program, *again);
  ExpectSameParams(*program, *again);
}

TEST_P(SharedModelTest, SavingTwiceGivesIdenticalFiles) {
  Q2I_MODEL_DIR_OR_SKIP(dir, GetParam());
  auto program = LoadModel(At(dir));
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  std::vector<SaveOptions> layouts = {{.model_filename = "__model__", .params_filename = "__params__"}};
  // Separate files too, except for the 100 MB models (their parameter files are compared with the
  // originals by the same-layout test above).
  if (!GetParam().needs_filling) layouts.push_back({.model_filename = "__model__", .params_filename = ""});
  for (const SaveOptions& opts : layouts) {
    SCOPED_TRACE(opts.params_filename.empty() ? "separate" : "combined");
    const fs::path a = ScratchDir("a"), b = ScratchDir("b");
    ASSERT_TRUE(SaveModel(*program, a, opts).ok());
    ASSERT_TRUE(SaveModel(program->Clone(), b, opts).ok());
    auto ca = DirContents(a), cb = DirContents(b);
    EXPECT_EQ(ca.size(), opts.params_filename.empty() ? 1 + program->PersistableNames().size() : 2u);
    EXPECT_TRUE(ca == cb);
    // A reloaded program serializes to the same bytes again.
    auto reloaded = LoadModel(At(a));
    ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
    const fs::path c = ScratchDir("c");
    ASSERT_TRUE(SaveModel(*reloaded, c, opts).ok());
    EXPECT_TRUE(DirContents(c) == ca);
  }
}

struct Layout {
  const char* name;
  SaveOptions options;
  const char* load_suffix;  // appended to the directory for loading: "" or "/x" (a .pdmodel prefix)
};

TEST_P(SharedModelTest, EveryOtherLayoutReloadsTheSameTensors) {
  Q2I_MODEL_DIR_OR_SKIP(dir, GetParam());
  auto program = LoadModel(At(dir));
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  const Layout layouts[] = {
      {"separate", {.model_filename = "__model__", .params_filename = ""}, ""},
      {"dunder_combined", {.model_filename = "__model__", .params_filename = "__params__"}, ""},
      {"model_params", {.model_filename = "model", .params_filename = "params"}, ""},
      {"pdmodel_dir", {.model_filename = "x.pdmodel", .params_filename = "x.pdiparams"}, ""},
      {"pdmodel_prefix", {.model_filename = "x.pdmodel", .params_filename = "x.pdiparams"}, "/x"},
  };
  for (const Layout& layout : layouts) {
    SCOPED_TRACE(layout.name);
    const fs::path out = ScratchDir(layout.name);
    ASSERT_TRUE(SaveModel(*program, out, layout.options).ok());
    ResolvedModelFiles files;
    auto again = LoadModel(At(out.string() + layout.load_suffix), &files);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(files.model_filename, layout.options.model_filename);
    EXPECT_EQ(files.params_filename, layout.options.params_filename);
    ExpectSameParams(*program, *again);
    ExpectSamePrograms(*program, *again);
  }
}

}  // namespace
}  // namespace q2i::testing
