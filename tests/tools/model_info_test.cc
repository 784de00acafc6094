// model_info as a user runs it: summary lines that match the program, --dot, --save_to, and exactly one
// error line (exit code 1) naming the file for bad input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "converter/model_io.h"
#include "ir/op_kinds.h"
#include "tests/test_util/shared_data.h"
#include "tests/test_util/tool_runner.h"

namespace q2i::testing {
namespace {
namespace fs = std::filesystem;

std::string Quote(const fs::path& p) { return "'" + p.string() + "'"; }

int CountLines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << part << "' not found in:\n" << text;
}

void WriteBytes(const fs::path& path, const std::string& bytes) {
  std::error_code ec;
  fs::remove(path, ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// A private copy of lenet to damage.
fs::path LenetCopy() {
  fs::path dst = ScratchDir("lenet");
  fs::copy(SharedPath("models/lenet_mnist_fp32"), dst, fs::copy_options::recursive);
  for (const auto& e : fs::recursive_directory_iterator(dst))
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  return dst;
}

// The summary lines model_info must print for the model in `dir`, computed with the library.
std::string ExpectedSummary(const fs::path& dir) {
  converter::ModelLocation loc;
  loc.path = dir;
  auto p = converter::LoadModel(loc);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return "<load failed>";
  int fake = 0, int8 = 0;
  size_t bytes = 0;
  for (const auto& op : p->ops()) {
    fake += ir::IsFakeQuantOp(op->type()) ? 1 : 0;
    int8 += ir::IsInt8Op(*op) ? 1 : 0;
  }
  for (const auto& [name, t] : p->params()) bytes += t.nbytes();
  std::ostringstream s;
  s << "ops: " << p->num_ops() << "\nfake_quant_ops: " << fake << "\nint8_ops: " << int8 << "\nparams: "
    << p->params().size() << " tensors, " << bytes << " bytes\n";
  return s.str();
}

// The op census block of model_info's output, as type -> count.
std::map<std::string, int> Census(const std::string& out) {
  std::map<std::string, int> census;
  std::istringstream lines(out);
  std::string line;
  bool in = false;
  while (std::getline(lines, line)) {
    if (line == "op census:") {
      in = true;
      continue;
    }
    if (!in) continue;
    if (line.rfind("  ", 0) != 0) break;
    auto colon = line.rfind(": ");
    census[line.substr(2, colon - 2)] = std::stoi(line.substr(colon + 2));
  }
  return census;
}

bool DotAvailable() { return std::system("command -v dot > /dev/null 2>&1") == 0; }

// ---- good input ----

TEST(ModelInfoToolTest, LenetSummary) {
  Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/__model__");
  ToolResult r = RunTool("model_info", "--model_dir=" + Quote(SharedPath("models/lenet_mnist_fp32")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(Contains(r.out, "feed: image float32[-1, 1, 28, 28]\n"));
  EXPECT_TRUE(Contains(r.out, "fetch: scale_0.tmp_0 float32[-1, 10]\n"));
  EXPECT_TRUE(Contains(r.out, "ops: 14\nfake_quant_ops: 0\nint8_ops: 0\nparams: 6 tensors, 134320 bytes\n"));
  EXPECT_EQ(Census(r.out)["conv2d"], 2);
}

TEST(ModelInfoToolTest, OcrClsSlimHas108FakeQuantOps) {
  Q2I_REQUIRE_SHARED("models/ocr_cls_slim/inference.pdmodel");
  ToolResult r = RunTool("model_info", "--model_dir=" + Quote(SharedPath("models/ocr_cls_slim")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "ops: 294\nfake_quant_ops: 108\nint8_ops: 0\nparams: 321 tensors, 547320 bytes\n"));
}

TEST(ModelInfoToolTest, Resnet50QatCensus) {
  Q2I_REQUIRE_SHARED("models/resnet50_qat_v1/__model__");
  fs::path dir = FilledModelCopy("resnet50_qat_v1");
  ASSERT_FALSE(dir.empty());
  ToolResult r = RunTool("model_info", "--model_dir=" + Quote(dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::map<std::string, int> expected = {
      {"conv2d", 53},   {"mul", 1},     {"elementwise_add", 70}, {"relu", 49},
      {"pool2d", 2},    {"softmax", 1}, {"scale", 1},            {"feed", 1},
      {"fetch", 1},     {"fake_quantize_moving_average_abs_max", 50},
      {"fake_dequantize_max_abs", 54},  {"fake_quantize_dequantize_moving_average_abs_max", 84},
  };
  EXPECT_EQ(Census(r.out), expected);
  EXPECT_TRUE(Contains(r.out, "ops: 367\nfake_quant_ops: 188\nint8_ops: 0\nparams: 242 tensors, "));
  EXPECT_TRUE(Contains(r.out, ExpectedSummary(dir)));
}

TEST(ModelInfoToolTest, SummaryMatchesTheProgramForEverySharedModel) {
  for (const char* model : {"lenet_mnist_fp32", "ocr_cls_fp32", "ocr_cls_slim", "ocr_det_v3_fp32", "ocr_det_v3_slim",
                            "squeezenet1_1_fp32", "mobilenet_v1_fp32"}) {
    SCOPED_TRACE(model);
    fs::path dir =
        std::string(model) == "mobilenet_v1_fp32" ? FilledModelCopy(model) : SharedPath(std::string("models/") + model);
    if (dir.empty() || !fs::exists(dir)) {
      if (RunningInCi()) {
        ADD_FAILURE() << "missing in CI: " << model;
      }
      continue;
    }
    ToolResult r = RunTool("model_info", "--model_dir=" + Quote(dir));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, ExpectedSummary(dir)));
    int total = 0;
    for (const auto& [type, n] : Census(r.out)) total += n;
    EXPECT_TRUE(Contains(r.out, "ops: " + std::to_string(total) + "\n"));
  }
}

TEST(ModelInfoToolTest, DotOutputRenders) {
  Q2I_REQUIRE_SHARED("models/ocr_cls_slim/inference.pdmodel");
  fs::path dir = ScratchDir("dot");
  ToolResult r = RunTool("model_info", "--model_dir=" + Quote(SharedPath("models/ocr_cls_slim")) +
                                           " --dot=" + Quote(dir / "g.dot"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "dot: " + (dir / "g.dot").string() + "\n"));
  const std::string dot = ReadWholeFile(dir / "g.dot");
  EXPECT_EQ(dot.rfind("digraph model_info {\n", 0), 0u);
  EXPECT_TRUE(Contains(dot, "conv2d("));
  if (!DotAvailable()) {
    if (RunningInCi()) {
      FAIL() << "graphviz `dot` is required in CI";
    }
    GTEST_SKIP() << "graphviz `dot` not installed";
  }
  const std::string cmd = "dot -Tsvg " + Quote(dir / "g.dot") + " -o " + Quote(dir / "g.svg") + " 2> " +
                          Quote(dir / "dot.err");
  EXPECT_EQ(std::system(cmd.c_str()), 0) << ReadWholeFile(dir / "dot.err");
  EXPECT_TRUE(Contains(ReadWholeFile(dir / "g.svg"), "<svg"));
}

TEST(ModelInfoToolTest, SaveToKeepsOrChangesTheLayout) {
  Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/__model__");
  const fs::path src = SharedPath("models/lenet_mnist_fp32");
  const fs::path dir = ScratchDir("save");
  const std::string summary = ExpectedSummary(src);

  // Same layout: separate files, byte-identical parameters.
  ToolResult same = RunTool("model_info", "--model_dir=" + Quote(src) + " --save_to=" + Quote(dir / "same"));
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_TRUE(Contains(same.out, "saved: " + (dir / "same").string() + "\n"));
  EXPECT_TRUE(fs::exists(dir / "same" / "__model__"));
  EXPECT_EQ(ReadWholeFile(dir / "same" / "fc_0.w_0"), ReadWholeFile(src / "fc_0.w_0"));

  // Combined model/params, then back to separate files with --save_params_filename=-.
  ToolResult comb = RunTool("model_info", "--model_dir=" + Quote(src) + " --save_to=" + Quote(dir / "comb") +
                                              " --save_model_filename=model --save_params_filename=params");
  ASSERT_EQ(comb.exit_code, 0) << comb.err;
  EXPECT_TRUE(fs::exists(dir / "comb" / "model"));
  EXPECT_TRUE(fs::exists(dir / "comb" / "params"));
  EXPECT_FALSE(fs::exists(dir / "comb" / "fc_0.w_0"));
  ToolResult back = RunTool("model_info", "--model_dir=" + Quote(dir / "comb") + " --save_to=" + Quote(dir / "back") +
                                              " --save_model_filename=__model__ --save_params_filename=-");
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_EQ(ReadWholeFile(dir / "back" / "fc_0.w_0"), ReadWholeFile(src / "fc_0.w_0"));

  // Explicit file names, and every saved copy summarizes the same.
  ToolResult explicit_names =
      RunTool("model_info", "--model_dir=" + Quote(dir / "comb") + " --model_filename=model --params_filename=params");
  ASSERT_EQ(explicit_names.exit_code, 0) << explicit_names.err;
  EXPECT_TRUE(Contains(explicit_names.out, "model: " + (dir / "comb" / "model").string() + "\n"));
  for (const char* sub : {"same", "comb", "back"}) {
    ToolResult r = RunTool("model_info", "--model_dir=" + Quote(dir / sub));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, summary)) << sub;
  }

  // A pdmodel prefix.
  ToolResult pd = RunTool("model_info", "--model_dir=" + Quote(src) + " --save_to=" + Quote(dir / "pd") +
                                            " --save_model_filename=x.pdmodel --save_params_filename=x.pdiparams");
  ASSERT_EQ(pd.exit_code, 0) << pd.err;
  ToolResult prefix = RunTool("model_info", "--model_dir=" + Quote(dir / "pd" / "x"));
  ASSERT_EQ(prefix.exit_code, 0) << prefix.err;
  EXPECT_TRUE(Contains(prefix.out, summary));
}

// ---- bad input: exit code 1 and exactly one error line naming the file ----

void ExpectOneErrorLine(const std::string& args, const std::string& must_name) {
  ToolResult r = RunTool("model_info", args);
  EXPECT_EQ(r.exit_code, 1) << args;
  EXPECT_EQ(CountLines(r.err), 1) << "stderr:\n" << r.err;
  EXPECT_EQ(r.err.rfind("model_info: error: ", 0), 0u) << r.err;
  EXPECT_TRUE(Contains(r.err, must_name));
}

TEST(ModelInfoToolTest, BadProgramFiles) {
  Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/__model__");
  const fs::path d = LenetCopy();
  const fs::path model = d / "__model__";
  const std::string original = ReadWholeFile(model);
  WriteBytes(model, "");
  ExpectOneErrorLine("--model_dir=" + Quote(d), model.string());
  WriteBytes(model, original.substr(0, original.size() / 2));
  ExpectOneErrorLine("--model_dir=" + Quote(d), model.string());
  WriteBytes(model, std::string(300, '\xa7') + "garbage\n\nmore garbage\n");
  ExpectOneErrorLine("--model_dir=" + Quote(d), model.string());
  // Valid protobuf wire format, but a block without its required fields (protobuf would log that
  // on stderr itself if asked to ParseFromArray).
  WriteBytes(model, std::string("\x0a\x00", 2));
  ExpectOneErrorLine("--model_dir=" + Quote(d), model.string());
}

TEST(ModelInfoToolTest, BadParameterFiles) {
  Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/__model__");
  const fs::path d = LenetCopy();
  const fs::path w = d / "conv2d_1.w_0";
  const std::string original = ReadWholeFile(w);
  fs::remove(w);
  ExpectOneErrorLine("--model_dir=" + Quote(d), w.string());
  WriteBytes(w, original.substr(0, 100));
  ExpectOneErrorLine("--model_dir=" + Quote(d), w.string());
  WriteBytes(w, original + "tail");
  ExpectOneErrorLine("--model_dir=" + Quote(d), w.string());
  // A TensorDesc whose data_type is not a VarType.Type (unparseable required enum).
  std::string record = std::string("\0\0\0\0" "\0\0\0\0\0\0\0\0" "\0\0\0\0" "\x04\0\0\0", 20) + "\x08\x63\x10\x14";
  WriteBytes(w, record + std::string(80, '\0'));
  ExpectOneErrorLine("--model_dir=" + Quote(d), w.string());
  std::string bad_version = original;
  bad_version[0] = 3;
  WriteBytes(w, bad_version);
  ExpectOneErrorLine("--model_dir=" + Quote(d), w.string());
}

TEST(ModelInfoToolTest, BadCombinedFile) {
  Q2I_REQUIRE_SHARED("models/ocr_cls_slim/inference.pdmodel");
  const fs::path d = ScratchDir("ocr");
  const fs::path src = SharedPath("models/ocr_cls_slim");
  fs::copy_file(src / "inference.pdmodel", d / "inference.pdmodel");
  const std::string params = ReadWholeFile(src / "inference.pdiparams");
  WriteBytes(d / "inference.pdiparams", params + "xx");
  ExpectOneErrorLine("--model_dir=" + Quote(d), (d / "inference.pdiparams").string());
  WriteBytes(d / "inference.pdiparams", params.substr(0, params.size() - 10));
  ExpectOneErrorLine("--model_dir=" + Quote(d), (d / "inference.pdiparams").string());
  fs::remove(d / "inference.pdiparams");
  ExpectOneErrorLine("--model_dir=" + Quote(d), (d / "inference.pdiparams").string());
}

TEST(ModelInfoToolTest, BadPathsAndFlags) {
  const fs::path d = ScratchDir("paths");
  ExpectOneErrorLine("--model_dir=" + Quote(d / "nope"), (d / "nope").string());
  ExpectOneErrorLine("--model_dir=" + Quote(d), d.string());  // empty directory
  ExpectOneErrorLine("", "--model_dir");
  ExpectOneErrorLine("--model_dir=" + Quote(d) + " --params_filename=p", "--model_filename");
  if (fs::exists(SharedPath("models/lenet_mnist_fp32/__model__"))) {
    WriteBytes(d / "file", "x");
    // --dot into a path whose parent is a file.
    ExpectOneErrorLine("--model_dir=" + Quote(SharedPath("models/lenet_mnist_fp32")) + " --dot=" +
                           Quote(d / "file" / "g.dot"),
                       (d / "file").string());
  }
}

}  // namespace
}  // namespace q2i::testing
