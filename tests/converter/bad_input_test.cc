// Bad model files: each gives an error Status whose message names the file (and the variable, for
// parameters), never a crash.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "converter/model_io.h"
#include "converter/tensor_io.h"
#include "ir/program_builder.h"
#include "tests/converter/model_test_util.h"
#include "tests/test_util/shared_data.h"

// Designated initializers that leave fields at their defaults are the point of RecordParts below.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace q2i::testing {
namespace {
namespace fs = std::filesystem;
using converter::LoadModel;
using converter::ModelLocation;

constexpr int kFP32 = 5, kFP64 = 6, kSizeT = 19;

ModelLocation At(const fs::path& path, std::string model = "", std::string params = "") {
  ModelLocation loc;
  loc.path = path;
  loc.model_filename = std::move(model);
  loc.params_filename = std::move(params);
  return loc;
}

// ---- crafting LoDTensor records (spec 1.3) ----

std::string Varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) {
    s += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  s += static_cast<char>(v);
  return s;
}

std::string TensorDesc(int dtype, const std::vector<int64_t>& dims) {
  std::string s = "\x08" + Varint(static_cast<uint64_t>(dtype));
  for (int64_t d : dims) s += "\x10" + Varint(static_cast<uint64_t>(d));
  return s;
}

template <typename T>
std::string Pod(T v) {
  std::string s(sizeof(T), '\0');
  std::memcpy(s.data(), &v, sizeof(T));
  return s;
}

struct RecordParts {
  uint32_t version = 0;
  std::vector<std::string> lod_levels;  // raw bytes of each level
  uint32_t tensor_version = 0;
  std::string desc;
  int32_t desc_size = -2;  // -2: the real size
  std::string data;
};

std::string Record(const RecordParts& r) {
  std::string s = Pod(r.version) + Pod<uint64_t>(r.lod_levels.size());
  for (const auto& level : r.lod_levels) s += Pod<uint64_t>(level.size()) + level;
  s += Pod(r.tensor_version);
  s += Pod<int32_t>(r.desc_size == -2 ? static_cast<int32_t>(r.desc.size()) : r.desc_size);
  return s + r.desc + r.data;
}

std::string Floats(size_t n) { return std::string(n * 4, '\x01'); }

// ---- fixtures ----

// A private copy of lenet (separate layout: __model__ + 6 parameter files).
fs::path LenetCopy() {
  fs::path src = SharedPath("models/lenet_mnist_fp32");
  fs::path dst = ScratchDir("lenet");
  fs::copy(src, dst, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  for (const auto& e : fs::recursive_directory_iterator(dst))
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  return dst;
}

// The same model in the combined layout (__model__ + __params__).
fs::path LenetCombined() {
  auto p = LoadModel(At(SharedPath("models/lenet_mnist_fp32")));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  fs::path dst = ScratchDir("lenet_combined");
  EXPECT_TRUE(converter::SaveModel(*p, dst, {.model_filename = "__model__", .params_filename = "__params__"}).ok());
  return dst;
}

// Loads `dir` expecting an error whose message names every string of `parts`.
void ExpectLoadError(const ModelLocation& loc, StatusCode code, const std::vector<std::string>& parts) {
  auto p = LoadModel(loc);
  ASSERT_FALSE(p.ok()) << "loaded a bad model at " << loc.path;
  EXPECT_EQ(p.status().code(), code) << p.status().ToString();
  for (const auto& part : parts) EXPECT_TRUE(Contains(p.status().message(), part));
  EXPECT_EQ(p.status().message().find('\n'), std::string::npos) << "multi-line message: " << p.status().message();
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override { Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/__model__"); }
};

// ---- the program file ----

TEST_F(BadInputTest, EmptyProgramFile) {
  fs::path d = LenetCopy();
  WriteBytes(d / "__model__", "");
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {(d / "__model__").string(), "empty"});
}

TEST_F(BadInputTest, TruncatedProgramFile) {
  fs::path d = LenetCopy();
  const std::string bytes = ReadWholeFile(d / "__model__");
  for (size_t size : {size_t{1}, size_t{10}, bytes.size() / 3, bytes.size() / 2, bytes.size() - 1}) {
    SCOPED_TRACE(size);
    WriteBytes(d / "__model__", bytes.substr(0, size));
    ExpectLoadError(At(d), StatusCode::kInvalidModel, {(d / "__model__").string()});
  }
}

TEST_F(BadInputTest, GarbageProgramFile) {
  fs::path d = LenetCopy();
  std::string garbage;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 4096; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    garbage += static_cast<char>(x >> 56);
  }
  WriteBytes(d / "__model__", garbage);
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {(d / "__model__").string()});
  WriteBytes(d / "__model__", "this is not a protobuf\n");
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {(d / "__model__").string()});
}

TEST_F(BadInputTest, ProgramFileMissingRequiredFields) {
  fs::path d = LenetCopy();
  WriteBytes(d / "__model__", std::string("\x0a\x00", 2));  // one BlockDesc without idx and parent_idx
  ExpectLoadError(At(d), StatusCode::kInvalidModel,
                  {(d / "__model__").string(), "required fields missing", "blocks[0].idx"});
}

TEST_F(BadInputTest, MissingProgramFile) {
  fs::path d = LenetCopy();
  ExpectLoadError(At(d, "prog.bin"), StatusCode::kNotFound, {(d / "prog.bin").string()});
}

// ---- separate parameter files ----

TEST_F(BadInputTest, MissingParamFile) {
  fs::path d = LenetCopy();
  fs::remove(d / "conv2d_1.w_0");
  ExpectLoadError(At(d), StatusCode::kNotFound, {(d / "conv2d_1.w_0").string(), "'conv2d_1.w_0'"});
}

TEST_F(BadInputTest, ShortParamFile) {
  fs::path d = LenetCopy();
  const std::string bytes = ReadWholeFile(d / "conv2d_1.w_0");
  for (size_t size : {size_t{0}, size_t{3}, size_t{15}, size_t{30}, bytes.size() / 2, bytes.size() - 1}) {
    SCOPED_TRACE(size);
    WriteBytes(d / "conv2d_1.w_0", bytes.substr(0, size));
    ExpectLoadError(At(d), StatusCode::kInvalidModel, {(d / "conv2d_1.w_0").string(), "'conv2d_1.w_0'"});
  }
}

TEST_F(BadInputTest, TooLongParamFile) {
  fs::path d = LenetCopy();
  WriteBytes(d / "conv2d_1.w_0", ReadWholeFile(d / "conv2d_1.w_0") + "abcd");
  ExpectLoadError(At(d), StatusCode::kInvalidModel,
                  {(d / "conv2d_1.w_0").string(), "'conv2d_1.w_0'", "4 unexpected bytes"});
}

TEST_F(BadInputTest, WrongVersions) {
  fs::path d = LenetCopy();
  const std::string file = (d / "conv2d_0.b_0").string();
  WriteBytes(file, Record({.version = 1, .desc = TensorDesc(kFP32, {20}), .data = Floats(20)}));
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "'conv2d_0.b_0'", "LoDTensor version 1"});
  WriteBytes(file, Record({.tensor_version = 7, .desc = TensorDesc(kFP32, {20}), .data = Floats(20)}));
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "'conv2d_0.b_0'", "tensor version 7"});
  // And the well-formed record of the same shape loads.
  WriteBytes(file, Record({.desc = TensorDesc(kFP32, {20}), .data = Floats(20)}));
  EXPECT_TRUE(LoadModel(At(d)).ok());
}

TEST_F(BadInputTest, UnknownDtype) {
  fs::path d = LenetCopy();
  const std::string file = (d / "conv2d_0.b_0").string();
  WriteBytes(file, Record({.desc = TensorDesc(kSizeT, {20}), .data = Floats(40)}));
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "'conv2d_0.b_0'", "unknown tensor data type 19"});
  // Not a VarType.Type at all: the required enum is dropped and the TensorDesc does not parse.
  WriteBytes(file, Record({.desc = TensorDesc(99, {20}), .data = Floats(20)}));
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "'conv2d_0.b_0'", "TensorDesc"});
}

TEST_F(BadInputTest, DimsProductOverflows) {
  fs::path d = LenetCopy();
  const std::string file = (d / "conv2d_0.b_0").string();
  WriteBytes(file, Record({.desc = TensorDesc(kFP32, {int64_t{1} << 40, int64_t{1} << 40}), .data = Floats(20)}));
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "'conv2d_0.b_0'", "more than"});
  WriteBytes(file, Record({.desc = TensorDesc(kFP32, {INT64_MAX, 2}), .data = Floats(20)}));
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "'conv2d_0.b_0'"});
  WriteBytes(file, Record({.desc = TensorDesc(kFP32, {-4, -5}), .data = Floats(20)}));
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "'conv2d_0.b_0'", "negative dimension"});
}

TEST_F(BadInputTest, DimsDisagreeWithTheData) {
  fs::path d = LenetCopy();
  const std::string file = (d / "conv2d_0.b_0").string();
  WriteBytes(file, Record({.desc = TensorDesc(kFP32, {21}), .data = Floats(20)}));  // needs more data
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "'conv2d_0.b_0'", "needs 84 bytes of data, only 80 left"});
  WriteBytes(file, Record({.desc = TensorDesc(kFP32, {19}), .data = Floats(20)}));  // data left over
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "'conv2d_0.b_0'", "4 unexpected bytes"});
}

TEST_F(BadInputTest, TensorDisagreesWithTheVarDesc) {
  fs::path d = LenetCopy();
  const std::string file = (d / "conv2d_0.b_0").string();  // declared float32 [20]
  WriteBytes(file, Record({.desc = TensorDesc(kFP32, {10}), .data = Floats(10)}));
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "'conv2d_0.b_0'", "[10]", "declares [20]"});
  WriteBytes(file, Record({.desc = TensorDesc(kFP64, {20}), .data = Floats(40)}));
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "'conv2d_0.b_0'", "float64", "float32"});
}

TEST_F(BadInputTest, MalformedRecordHeaders) {
  fs::path d = LenetCopy();
  const std::string file = (d / "conv2d_0.b_0").string();
  const std::string desc = TensorDesc(kFP32, {20});
  struct Case {
    const char* what;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"implausible LoD level count", Pod<uint32_t>(0) + Pod<uint64_t>(1ull << 40)},
      {"not a multiple of 8", Record({.lod_levels = {"abc"}, .desc = desc, .data = Floats(20)})},
      {"truncated", Pod<uint32_t>(0) + Pod<uint64_t>(1) + Pod<uint64_t>(1ull << 60)},
      {"implausible TensorDesc size -1", Record({.desc = desc, .desc_size = -1, .data = Floats(20)})},
      {"TensorDesc of 1000 bytes", Record({.desc = desc, .desc_size = 1000, .data = ""})},
      {"corrupt TensorDesc", Record({.desc = "\xff\xff\xff", .data = Floats(20)})},
      {"corrupt TensorDesc", Record({.desc = "", .data = Floats(20)})},  // data_type is required
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    WriteBytes(file, c.bytes);
    ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "'conv2d_0.b_0'", c.what});
  }
  // A record with a LoD level (ignored for parameters) is still fine.
  WriteBytes(file, Record({.lod_levels = {Pod<uint64_t>(0) + Pod<uint64_t>(20)}, .desc = desc, .data = Floats(20)}));
  EXPECT_TRUE(LoadModel(At(d)).ok());
}

TEST_F(BadInputTest, ParseTensorRecordNeverReadsPastTheEnd) {
  const std::string good = Record({.desc = TensorDesc(kFP32, {2, 3}), .data = Floats(6)});
  for (size_t n = 0; n < good.size(); ++n) {
    size_t offset = 0;
    auto t = converter::ParseTensorRecord(std::string_view(good.data(), n), &offset, "f (variable 'v')");
    EXPECT_FALSE(t.ok()) << n;
    EXPECT_EQ(offset, 0u);
    EXPECT_TRUE(Contains(t.status().message(), "f (variable 'v')"));
  }
  size_t offset = 0;
  auto t = converter::ParseTensorRecord(good, &offset, "f");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(offset, good.size());
  EXPECT_EQ(t->dims(), (std::vector<int64_t>{2, 3}));
}

// ---- a combined parameter file ----

TEST_F(BadInputTest, CombinedFileWithBytesLeftOver) {
  fs::path d = LenetCombined();
  const std::string file = (d / "__params__").string();
  WriteBytes(file, ReadWholeFile(file) + "xyz");
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "3 bytes left over", "'fc_0.w_0'"});
}

TEST_F(BadInputTest, CombinedFileTooShort) {
  fs::path d = LenetCombined();
  const std::string file = (d / "__params__").string();
  const std::string bytes = ReadWholeFile(file);
  // Records are in name order: conv2d_0.b_0, conv2d_0.w_0, conv2d_1.b_0, conv2d_1.w_0, fc_0.b_0, fc_0.w_0.
  const size_t last_record = 4 + 8 + 4 + 4 + TensorDesc(kFP32, {800, 10}).size() + 800 * 10 * 4;
  WriteBytes(file, bytes.substr(0, bytes.size() - last_record));  // ends exactly before the last record
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "ends before variable 'fc_0.w_0'"});
  WriteBytes(file, bytes.substr(0, bytes.size() - 100));  // inside the last record
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "'fc_0.w_0'", "needs 32000 bytes of data, only 31900 left"});
  WriteBytes(file, "");
  ExpectLoadError(At(d), StatusCode::kInvalidModel, {file, "ends before variable 'conv2d_0.b_0'"});
}

TEST_F(BadInputTest, MissingCombinedFile) {
  fs::path d = LenetCombined();
  fs::remove(d / "__params__");
  // Without __params__ the directory is detected as separate-params: the first parameter is missing.
  ExpectLoadError(At(d), StatusCode::kNotFound, {(d / "conv2d_0.b_0").string(), "'conv2d_0.b_0'"});
  ExpectLoadError(At(d, "__model__", "__params__"), StatusCode::kNotFound, {(d / "__params__").string()});
}

// ---- variable names that are not file names ----

TEST_F(BadInputTest, ParameterNamesThatLeaveTheModelDirectory) {
  for (const std::string name : {"../escape", "/abs/escape", "a/../../escape", "a//b/", "."}) {
    SCOPED_TRACE(name);
    ir::ProgramBuilder b;
    b.Input("x", {1});
    b.Param(name, ir::Tensor::FromVector<float>({1}, {1.f}));
    b.AddOp("elementwise_add", {{"X", {"x"}}, {"Y", {name}}}, {{"Out", {"y"}}});
    b.Output("y");
    ir::Program p = b.Build();
    fs::path d = ScratchDir("named");
    // Separate files: refused on save, nothing written.
    Status st = converter::SaveModel(p, d / "sep", {.model_filename = "__model__", .params_filename = ""});
    EXPECT_EQ(st.code(), StatusCode::kInvalidModel) << st.ToString();
    EXPECT_TRUE(Contains(st.message(), "'" + name + "'"));
    EXPECT_FALSE(fs::exists(d / "sep"));
    EXPECT_FALSE(fs::exists(d / "escape"));
    // Combined: fine; but loading that program as separate files is refused.
    ASSERT_TRUE(converter::SaveModel(p, d / "comb", {.model_filename = "__model__", .params_filename = "p"}).ok());
    EXPECT_TRUE(LoadModel(At(d / "comb", "__model__", "p")).ok());
    ExpectLoadError(At(d / "comb", "__model__"), StatusCode::kInvalidModel,
                    {(d / "comb" / "__model__").string(), "'" + name + "'"});
  }
}

TEST_F(BadInputTest, ParameterNamedLikeTheProgramFile) {
  ir::ProgramBuilder b;
  b.Input("x", {1});
  b.Param("__model__", ir::Tensor::FromVector<float>({1}, {1.f}));
  b.AddOp("elementwise_add", {{"X", {"x"}}, {"Y", {"__model__"}}}, {{"Out", {"y"}}});
  b.Output("y");
  fs::path d = ScratchDir("out");
  Status st = converter::SaveModel(b.Build(), d, {.model_filename = "__model__", .params_filename = ""});
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.message(), "'__model__'"));
}

}  // namespace
}  // namespace q2i::testing
