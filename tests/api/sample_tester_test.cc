// tools/sample_tester end to end: a small MNIST dataset through LeNet, the compare mode, and one clear
// error line (exit 1) for bad flags and data.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "converter/model_io.h"
#include "data_prep/dataset.h"
#include "data_prep/mnist.h"
#include "tests/test_util/shared_data.h"
#include "tests/test_util/tool_runner.h"

namespace q2i::testing {
namespace {

namespace fs = std::filesystem;

#define REQUIRE_TESTER()                                                                  \
  do {                                                                                    \
    if (!fs::exists(fs::path(Q2I_BINARY_DIR) / "bin/sample_tester")) {                    \
      if (RunningInCi()) FAIL() << "sample_tester is not built";                          \
      GTEST_SKIP() << "build the sample_tester target first";                             \
    }                                                                                     \
  } while (0)

fs::path WriteMnistSubset(const fs::path& dir, int64_t count) {
  auto images = ReadIdxImages(SharedPath("data/mnist/t10k-images-idx3-ubyte.gz"));
  auto labels = ReadIdxLabels(SharedPath("data/mnist/t10k-labels-idx1-ubyte.gz"));
  if (!images.ok() || !labels.ok()) return {};
  const fs::path file = dir / "mnist.bin";
  auto writer = DatasetWriter::Create(file, 28 * 28);
  if (!writer.ok()) return {};
  std::vector<float> buf(28 * 28);
  for (int64_t i = 0; i < count; ++i) {
    NormalizeMnistPixels(images->pixels.data() + i * 784, 784, MnistNormalization{}, buf.data());
    if (!writer->Append(buf, (*labels)[static_cast<size_t>(i)]).ok()) return {};
  }
  if (!writer->Finish().ok()) return {};
  return file;
}

TEST(SampleTesterTest, LeNetAccuracyAndCompare) {
  REQUIRE_TESTER();
  Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/__model__");
  Q2I_REQUIRE_SHARED("data/mnist/t10k-images-idx3-ubyte.gz");
  const fs::path dir = ScratchDir("tester");
  const fs::path data = WriteMnistSubset(dir, 1000);
  ASSERT_FALSE(data.empty());
  const std::string model = SharedPath("models/lenet_mnist_fp32").string();
  ToolResult r = RunTool("sample_tester", "--infer_model=" + model + " --infer_data=" + data.string() +
                                             " --batch_size=100 --num_threads=2 --compare_model=" + model);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"Total images in file: 1000", "Model: ", "====== num of threads: 2 ======",
                           "====== batch size: 100, iterations: 10", "====== batch latency: ", "sample latency: ",
                           "fps: ", "Top1 accuracy: 0.9", "Top5 accuracy: ", "top1 agreement: 1.0000",
                           "mean cosine: 1.000000"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
  // --iterations and --use_analysis.
  ToolResult r2 = RunTool("sample_tester", "--infer_model=" + model + " --infer_data=" + data.string() +
                            " --batch_size=50 --iterations=3 --use_analysis --warmup_iter=2");
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_NE(r2.out.find("number of samples: 150"), std::string::npos) << r2.out;
  // oneDNN's own kernel choice gives the same accuracy line.
  ToolResult r3 = RunTool("sample_tester", "--infer_model=" + model + " --infer_data=" + data.string() +
                                              " --batch_size=100 --conv_impl=library");
  ASSERT_EQ(r3.exit_code, 0) << r3.err;
  const auto top1 = [](const std::string& out) {
    const size_t at = out.find("Top1 accuracy: ");
    return at == std::string::npos ? std::string("(none)") : out.substr(at, 24);
  };
  EXPECT_NE(top1(r3.out), "(none)") << r3.out;
  EXPECT_EQ(top1(r3.out), top1(r.out));
}

// LeNet with Paddle's accuracy layer appended: inputs [image, label], outputs [softmax, acc top-1, acc top-5].
fs::path LeNetWithAccuracyLayer(const fs::path& dir) {
  auto p = converter::LoadModel({SharedPath("models/lenet_mnist_fp32"), "", ""});
  if (!p.ok()) return {};
  ir::Program& prog = *p;
  const std::string probs = prog.FetchNames()[0];
  ir::Var label;
  label.name = "label";
  label.dtype = ir::DataType::kInt64;
  label.dims = {-1, 1};
  prog.SetVar(label);
  for (const char* v : {"top1_v", "top1_i", "top5_v", "top5_i", "acc1", "acc5"}) {
    ir::Var var;
    var.name = v;
    prog.SetVar(var);
  }
  ir::Op feed("feed");
  feed.SetInput("X", {"feed"});
  feed.SetOutput("Out", {"label"});
  feed.SetAttr("col", ir::Attribute::Int(1));
  prog.InsertOp(0, std::move(feed));
  prog.RemoveOpsIf([](const ir::Op& op) { return op.type() == "fetch"; });
  for (int k : {1, 5}) {
    const std::string v = k == 1 ? "top1_v" : "top5_v", i = k == 1 ? "top1_i" : "top5_i", a = k == 1 ? "acc1" : "acc5";
    ir::Op topk("top_k");
    topk.SetInput("X", {probs});
    topk.SetOutput("Out", {v});
    topk.SetOutput("Indices", {i});
    topk.SetAttr("k", ir::Attribute::Int(k));
    prog.AddOp(std::move(topk));
    ir::Op acc("accuracy");
    acc.SetInput("Out", {v});
    acc.SetInput("Indices", {i});
    acc.SetInput("Label", {"label"});
    acc.SetOutput("Accuracy", {a});
    prog.AddOp(std::move(acc));
  }
  int col = 0;
  for (const std::string& name : {probs, std::string("acc1"), std::string("acc5")}) {
    ir::Op fetch("fetch");
    fetch.SetInput("X", {name});
    fetch.SetOutput("Out", {"fetch"});
    fetch.SetAttr("col", ir::Attribute::Int(col++));
    prog.AddOp(std::move(fetch));
  }
  const fs::path out = dir / "lenet_acc";
  if (!converter::SaveModel(prog, out, {}).ok()) return {};
  return out;
}

TEST(SampleTesterTest, WithAccuracyLayer) {
  REQUIRE_TESTER();
  Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/__model__");
  Q2I_REQUIRE_SHARED("data/mnist/t10k-images-idx3-ubyte.gz");
  const fs::path dir = ScratchDir("tester_acc");
  const fs::path data = WriteMnistSubset(dir, 500);
  const fs::path model = LeNetWithAccuracyLayer(dir);
  ASSERT_FALSE(data.empty() || model.empty());
  ToolResult with = RunTool("sample_tester", "--infer_model=" + model.string() + " --infer_data=" + data.string() +
                                                " --batch_size=50 --with_accuracy_layer=true");
  ASSERT_EQ(with.exit_code, 0) << with.err;
  ToolResult without = RunTool("sample_tester",
                               "--infer_model=" + model.string() + " --infer_data=" + data.string() + " --batch_size=50");
  ASSERT_EQ(without.exit_code, 0) << without.err;
  // Same accuracies whether the model or the tester computes them.
  auto line = [](const std::string& out, const std::string& key) {
    const size_t at = out.find(key);
    return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
  };
  EXPECT_EQ(line(with.out, "Top1 accuracy"), line(without.out, "Top1 accuracy")) << with.out << without.out;
  EXPECT_EQ(line(with.out, "Top5 accuracy"), line(without.out, "Top5 accuracy"));
  EXPECT_NE(line(with.out, "Top1 accuracy").find("0.9"), std::string::npos);
}

TEST(SampleTesterTest, BadFlagsAndDataGiveOneErrorLine) {
  REQUIRE_TESTER();
  Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/__model__");
  const fs::path dir = ScratchDir("tester_errors");
  const std::string model = SharedPath("models/lenet_mnist_fp32").string();
  // A dataset whose samples are not 1x28x28.
  const fs::path wrong = dir / "wrong.bin";
  {
    auto w = DatasetWriter::Create(wrong, 10);
    ASSERT_TRUE(w.ok());
    std::vector<float> v(10, 0.f);
    ASSERT_TRUE(w->Append(v, 0).ok());
    ASSERT_TRUE(w->Finish().ok());
  }
  const std::vector<std::string> cases = {
      "",
      "--infer_model=" + model,
      "--infer_model=/nonexistent --infer_data=" + wrong.string(),
      "--infer_model=" + model + " --infer_data=/nonexistent.bin",
      "--infer_model=" + model + " --infer_data=" + wrong.string(),
      "--infer_model=" + model + " --infer_data=" + wrong.string() + " --batch_size=0",
      "--infer_model=" + model + " --infer_data=" + wrong.string() + " --input_shape=1,x,28",
      "--infer_model=" + model + " --infer_data=" + wrong.string() + " --conv_impl=fastest",
  };
  for (const std::string& args : cases) {
    ToolResult r = RunTool("sample_tester", args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("sample_tester: error: "), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace q2i::testing
