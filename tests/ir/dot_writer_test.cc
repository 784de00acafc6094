// DOT export: a golden file locking the format (Paddle's graph_viz layout: `digraph G {`, 3-space
// indented nodes then edges, `} // end G`, labels `type(id)` / `name(id)\n<shape>`), determinism, and
// every dump renders with `dot -Tsvg`.
#include "ir/dot_writer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "converter/model_io.h"
#include "ir/program_builder.h"
#include "tests/test_util/shared_data.h"

namespace q2i::ir {
namespace {
namespace fs = std::filesystem;

// feed -> conv2d (fp32) -> quantize -> relu (int8) -> fake_quantize_abs_max -> fetch
Program Small() {
  ProgramBuilder b;
  b.Input("x", {1, 3, 8, 8});
  b.Param("w", Tensor(DataType::kFP32, {4, 3, 3, 3}));
  b.DeclareVar("c", {1, 4, 8, 8});
  b.AddOp("conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"c"}}});
  b.AddOp("quantize", {{"Input", {"c"}}}, {{"Output", {"q"}}}, {{"Scale", Attribute::Float(2.f)}});
  b.AddOp("relu", {{"X", {"q"}}}, {{"Out", {"y"}}}, {{"mkldnn_data_type", Attribute::String("int8")}});
  b.AddOp("fake_quantize_abs_max", {{"X", {"y"}}}, {{"Out", {"z"}}, {"OutScale", {"s"}}});
  b.Output("z");
  Program p = b.Build();
  p.FindVar("q")->quant = QuantScale{{0.5, 0.25}, true};
  return p;
}

constexpr const char* kOp = R"(shape="box" style="rounded,filled,bold" fontname="Arial" fillcolor=)";
constexpr const char* kParam =
    R"(shape="box" fontname="Arial" style="rounded,filled,bold" color="#148b97" fontcolor="#ffffff"])";
constexpr const char* kVar =
    R"(shape="box" fontname="Arial" style="rounded,filled,bold" fillcolor="#999999" color="#dddddd"])";

std::string OpStyle(const char* color) {
  return std::string(kOp) + "\"" + color + "\" color=\"" + color +
         "\" fontcolor=\"#ffffff\" width=\"1.3\" height=\"0.84\"]";
}

std::string Golden() {
  const std::string fp32 = OpStyle("#303A3A"), quant = OpStyle("#ef6c00"), int8 = OpStyle("#2e7d32"),
                    fake = OpStyle("#c62828");
  return "digraph G {\n"
         "   node_o0[label=\"feed(0)\" " + fp32 + "\n"
         "   node_v1[label=\"feed(1)\" " + kParam + "\n"
         "   node_v2[label=\"x(2)\\n1,3,8,8\" " + kVar + "\n"
         "   node_o3[label=\"conv2d(3)\" " + fp32 + "\n"
         "   node_v4[label=\"w(4)\\n4,3,3,3\" " + kParam + "\n"
         "   node_v5[label=\"c(5)\\n1,4,8,8\" " + kVar + "\n"
         "   node_o6[label=\"quantize(6)\" " + quant + "\n"
         "   node_v7[label=\"q(7)\\nu8 scale=0.5 (+1)\" " + kVar + "\n"
         "   node_o8[label=\"relu(8)\" " + int8 + "\n"
         "   node_v9[label=\"y(9)\" " + kVar + "\n"
         "   node_o10[label=\"fake_quantize_abs_max(10)\" " + fake + "\n"
         "   node_v11[label=\"z(11)\" " + kVar + "\n"
         "   node_v12[label=\"s(12)\" " + kVar + "\n"
         "   node_o13[label=\"fetch(13)\" " + fp32 + "\n"
         "   node_v14[label=\"fetch(14)\" " + kParam + "\n"
         "   node_v1->node_o0\n"
         "   node_o0->node_v2\n"
         "   node_v2->node_o3\n"
         "   node_v4->node_o3\n"
         "   node_o3->node_v5\n"
         "   node_v5->node_o6\n"
         "   node_o6->node_v7\n"
         "   node_v7->node_o8\n"
         "   node_o8->node_v9\n"
         "   node_v9->node_o10\n"
         "   node_o10->node_v11\n"
         "   node_o10->node_v12\n"
         "   node_v11->node_o13\n"
         "   node_o13->node_v14\n"
         "} // end G";
}

bool DotAvailable() { return std::system("command -v dot > /dev/null 2>&1") == 0; }

// Renders `text` with `dot -Tsvg`; true when dot exits 0 and writes an SVG.
::testing::AssertionResult Renders(const std::string& text, const std::string& name) {
  fs::path dir = q2i::testing::ScratchDir("dot_" + name);
  fs::path in = dir / (name + ".dot"), out = dir / (name + ".svg"), err = dir / "dot.err";
  {
    std::ofstream f(in, std::ios::binary);
    f << text;
  }
  std::string cmd = "dot -Tsvg '" + in.string() + "' -o '" + out.string() + "' 2> '" + err.string() + "'";
  int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::ifstream e(err);
    std::string msg((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
    return ::testing::AssertionFailure() << "dot failed on " << in << ": " << msg;
  }
  std::error_code ec;
  if (fs::file_size(out, ec) == 0) return ::testing::AssertionFailure() << "empty SVG for " << in;
  return ::testing::AssertionSuccess();
}

#define Q2I_REQUIRE_DOT()                                                               \
  do {                                                                                  \
    if (!DotAvailable()) {                                                              \
      if (q2i::testing::RunningInCi()) {                                                \
        FAIL() << "graphviz `dot` is required in CI";                                   \
      }                                                                                 \
      GTEST_SKIP() << "graphviz `dot` not installed";                                   \
    }                                                                                   \
  } while (0)

TEST(DotWriterTest, GoldenSmallProgram) {
  EXPECT_EQ(ToDot(Small()), Golden());
}

TEST(DotWriterTest, FormatRules) {
  const std::string dot = ToDot(Small());
  EXPECT_EQ(dot.rfind("digraph G {\n", 0), 0u);
  const std::string tail = "\n} // end G";
  ASSERT_GE(dot.size(), tail.size());
  EXPECT_EQ(dot.substr(dot.size() - tail.size()), tail) << "no trailing newline after the end marker";
  // Every line between the braces is a node or an edge, indented by 3 spaces; nodes come first.
  std::istringstream lines(dot);
  std::string line;
  std::getline(lines, line);
  bool in_edges = false;
  while (std::getline(lines, line)) {
    if (line == "} // end G") break;
    ASSERT_EQ(line.rfind("   node_", 0), 0u) << line;
    const bool edge = line.find("->") != std::string::npos;
    if (in_edges) {
      EXPECT_TRUE(edge) << "node after edges: " << line;
    }
    in_edges = in_edges || edge;
  }
}

TEST(DotWriterTest, GraphNameAndHiddenParams) {
  DotOptions opts;
  opts.graph_name = "model_info";
  opts.show_params = false;
  const std::string dot = ToDot(Small(), opts);
  EXPECT_EQ(dot.rfind("digraph model_info {\n", 0), 0u);
  EXPECT_EQ(dot.substr(dot.size() - 20), "\n} // end model_info");
  EXPECT_EQ(dot.find("w(4)"), std::string::npos);
  EXPECT_EQ(dot.find("node_v4->"), std::string::npos);
  // feed and fetch are not weights: still drawn.
  EXPECT_NE(dot.find("feed(1)"), std::string::npos);
  EXPECT_NE(dot.find("fetch(14)"), std::string::npos);
}

TEST(DotWriterTest, Deterministic) {
  Program p = Small();
  const std::string a = ToDot(p);
  EXPECT_EQ(ToDot(p), a);
  EXPECT_EQ(ToDot(p.Clone()), a);
  EXPECT_EQ(ToDot(Small()), a);
}

TEST(DotWriterTest, EscapesNamesAndRenders) {
  Q2I_REQUIRE_DOT();
  ProgramBuilder b;
  b.Input("in\"put\\", {-1, 2});
  b.AddOp("relu", {{"X", {"in\"put\\"}}}, {{"Out", {"a{b}<c>|d e;f"}}});
  b.AddOp("my\"op", {{"X", {"a{b}<c>|d e;f"}}}, {{"Out", {"x = relu(x)"}}});
  b.AddOp("relu", {{"X", {"x = relu(x)"}}}, {{"Out", {"x = relu(x)"}}});  // in place: a 2-cycle
  b.Output("x = relu(x)");
  const std::string dot = ToDot(b.Build());
  EXPECT_NE(dot.find(R"(label="in\"put\\(2)\n-1,2")"), std::string::npos) << dot;
  EXPECT_NE(dot.find(R"(label="my\"op()"), std::string::npos) << dot;
  EXPECT_TRUE(Renders(dot, "escapes"));
}

TEST(DotWriterTest, EveryDumpRenders) {
  Q2I_REQUIRE_DOT();
  Program p = Small();
  EXPECT_TRUE(Renders(ToDot(p), "small"));
  DotOptions no_params;
  no_params.show_params = false;
  EXPECT_TRUE(Renders(ToDot(p, no_params), "small_no_params"));
  EXPECT_TRUE(Renders(ToDot(Program()), "empty"));

  for (const char* model : {"lenet_mnist_fp32", "ocr_cls_slim", "squeezenet1_1_fp32"}) {
    SCOPED_TRACE(model);
    const fs::path dir = q2i::testing::SharedPath(std::string("models/") + model);
    if (!fs::exists(dir)) {
      if (q2i::testing::RunningInCi()) {
        ADD_FAILURE() << "missing in CI: " << dir;
      }
      continue;
    }
    converter::ModelLocation loc;
    loc.path = dir;
    auto m = converter::LoadModel(loc);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    const std::string dot = ToDot(*m);
    EXPECT_EQ(ToDot(*m), dot);
    EXPECT_EQ(ToDot(m->Clone()), dot);
    EXPECT_TRUE(Renders(dot, model));
  }
}

TEST(DotWriterTest, SameDumpAfterSaveAndReload) {
  Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/__model__");
  converter::ModelLocation loc;
  loc.path = q2i::testing::SharedPath("models/lenet_mnist_fp32");
  auto m = converter::LoadModel(loc);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const fs::path out = q2i::testing::ScratchDir("saved");
  ASSERT_TRUE(converter::SaveModel(*m, out, {.model_filename = "__model__", .params_filename = "__params__"}).ok());
  loc.path = out;
  auto again = converter::LoadModel(loc);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ToDot(*again), ToDot(*m));
}

}  // namespace
}  // namespace q2i::ir
