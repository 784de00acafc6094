// Model-level tests on the shared models and data (suites named Model*; filter them out with
// --gtest_filter=-Model* for a quick run). Missing shared files skip locally and fail in CI.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "converter/model_io.h"
#include "data_prep/image_preprocess.h"
#include "data_prep/label_list.h"
#include "data_prep/mnist.h"
#include "runtime/executor.h"
#include "tests/test_util/program_helpers.h"
#include "tests/test_util/shared_data.h"

namespace q2i::testing {
namespace {

std::shared_ptr<const ir::Program> Load(const std::filesystem::path& dir) {
  auto p = converter::LoadModel({dir, "", ""});
  EXPECT_TRUE(p.ok()) << dir << ": " << p.status().ToString();
  if (!p.ok()) return nullptr;
  return std::make_shared<const ir::Program>(std::move(p).value());
}

int64_t ArgMax(const float* v, int64_t n) { return std::max_element(v, v + n) - v; }

bool AllFinite(const ir::Tensor& t) {
  if (t.dtype() != ir::DataType::kFP32) return true;
  for (float v : t.values<float>())
    if (!std::isfinite(v)) return false;
  return true;
}

TEST(ModelTest, LeNetMnistTop1) {
  Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/__model__");
  Q2I_REQUIRE_SHARED("data/mnist/t10k-images-idx3-ubyte.gz");
  auto program = Load(SharedPath("models/lenet_mnist_fp32"));
  ASSERT_TRUE(program);
  auto images = ReadIdxImages(SharedPath("data/mnist/t10k-images-idx3-ubyte.gz"));
  auto labels = ReadIdxLabels(SharedPath("data/mnist/t10k-labels-idx1-ubyte.gz"));
  ASSERT_TRUE(images.ok() && labels.ok());
  auto exec = runtime::Executor::Create(program);
  ASSERT_TRUE(exec.ok()) << exec.status().ToString();
  const int64_t batch = 500, pixels = 28 * 28;
  int64_t correct = 0;
  std::vector<ir::Tensor> outputs;
  for (int64_t start = 0; start < images->count; start += batch) {
    const int64_t n = std::min(batch, images->count - start);
    ir::Tensor x(ir::DataType::kFP32, {n, 1, 28, 28});
    NormalizeMnistPixels(images->pixels.data() + start * pixels, n * pixels, MnistNormalization{}, x.data<float>());
    ASSERT_TRUE((*exec)->Run({x}, outputs).ok());
    for (int64_t i = 0; i < n; ++i) {
      correct += ArgMax(outputs[0].data<float>() + i * 10, 10) == (*labels)[static_cast<size_t>(start + i)];
    }
    if (start == 0) {  // images #0, #1, #2 are 7, 2, 1
      EXPECT_EQ(ArgMax(outputs[0].data<float>(), 10), 7);
      EXPECT_EQ(ArgMax(outputs[0].data<float>() + 10, 10), 2);
      EXPECT_EQ(ArgMax(outputs[0].data<float>() + 20, 10), 1);
    }
  }
  const double top1 = static_cast<double>(correct) / static_cast<double>(images->count);
  RecordProperty("top1", std::to_string(top1));
  std::printf("lenet mnist top1 %.4f\n", top1);
  EXPECT_NEAR(top1, 0.9796, 0.0005);
}

ImagePreprocessOptions CaffeOptions() {
  ImagePreprocessOptions o;
  o.height = o.width = 227;
  o.resize_short = 0;
  o.interpolation = Interpolation::kLinear;
  o.channel_order = ChannelOrder::kBGR;
  o.mean = {104, 117, 123};
  o.std = {1};
  o.scale = 1.0;
  return o;
}

TEST(ModelTest, SqueezeNetImageNet100Top1AndBanana) {
  Q2I_REQUIRE_SHARED("models/squeezenet1_1_fp32/inference.pdmodel");
  Q2I_REQUIRE_SHARED("data/imagenet_sample_100/val_list.txt");
  auto program = Load(SharedPath("models/squeezenet1_1_fp32"));
  ASSERT_TRUE(program);
  auto list = ReadLabelList(SharedPath("data/imagenet_sample_100/val_list.txt"));
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  auto exec = runtime::Executor::Create(program);
  ASSERT_TRUE(exec.ok()) << exec.status().ToString();
  const ImagePreprocessOptions opt = CaffeOptions();
  const int64_t batch = 10, chw = 3 * 227 * 227;
  int64_t correct = 0, done = 0;
  for (size_t start = 0; start < list->size(); start += batch) {
    const int64_t n = std::min<int64_t>(batch, static_cast<int64_t>(list->size() - start));
    ir::Tensor x(ir::DataType::kFP32, {n, 3, 227, 227});
    for (int64_t i = 0; i < n; ++i) {
      auto img = PreprocessImageFile(SharedPath("data/imagenet_sample_100/" + (*list)[start + static_cast<size_t>(i)].path), opt);
      ASSERT_TRUE(img.ok()) << img.status().ToString();
      std::copy(img->begin(), img->end(), x.data<float>() + i * chw);
    }
    auto out = (*exec)->Run({x});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    for (int64_t i = 0; i < n; ++i) {
      correct += ArgMax((*out)[0].data<float>() + i * 1000, 1000) == (*list)[start + static_cast<size_t>(i)].label;
      ++done;
    }
  }
  const double top1 = static_cast<double>(correct) / static_cast<double>(done);
  RecordProperty("top1", std::to_string(top1));
  std::printf("squeezenet imagenet_sample_100 top1 %.4f\n", top1);
  EXPECT_NEAR(top1, 0.65, 0.01);

  Q2I_REQUIRE_SHARED("data/photos/banana.jpeg");
  auto banana = PreprocessImageFile(SharedPath("data/photos/banana.jpeg"), opt);
  ASSERT_TRUE(banana.ok());
  auto out = (*exec)->Run({ir::Tensor::FromVector<float>({1, 3, 227, 227}, *banana)});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(ArgMax((*out)[0].data<float>(), 1000), 954);
  EXPECT_NEAR((*out)[0].data<float>()[954], 0.9627, 0.002);
}

struct ModelInput {
  const char* name;
  bool filled;  // needs FilledModelCopy
  std::vector<int64_t> dims;
  std::vector<int64_t> out_dims;
};

TEST(ModelTest, EveryModelLoadsAndRuns) {
  const ModelInput models[] = {
      {"lenet_mnist_fp32", false, {2, 1, 28, 28}, {2, 10}},
      {"squeezenet1_1_fp32", false, {1, 3, 227, 227}, {1, 1000}},
      {"mobilenet_v1_fp32", true, {1, 3, 224, 224}, {1, 1000}},
      {"resnet50_qat_v1", true, {1, 3, 224, 224}, {1, 1000}},
      {"ocr_cls_fp32", false, {2, 3, 48, 192}, {2, 2}},
      {"ocr_cls_slim", false, {2, 3, 48, 192}, {2, 2}},
      {"ocr_det_v3_fp32", false, {1, 3, 320, 320}, {1, 1, 320, 320}},
      {"ocr_det_v3_slim", false, {1, 3, 320, 320}, {1, 1, 320, 320}},
  };
  for (const ModelInput& m : models) {
    SCOPED_TRACE(m.name);
    Q2I_REQUIRE_SHARED(std::string("models/") + m.name + "/README.md");
    std::filesystem::path dir = m.filled ? FilledModelCopy(m.name) : SharedPath(std::string("models/") + m.name);
    ASSERT_FALSE(dir.empty()) << "could not fill " << m.name;
    auto program = Load(dir);
    ASSERT_TRUE(program);
    auto exec = runtime::Executor::Create(program);
    ASSERT_TRUE(exec.ok()) << exec.status().ToString();
    ir::Tensor x = RandomTensor(m.dims, 7, 0.f, 1.f);
    auto out = (*exec)->Run({x});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ((*out)[0].dims(), m.out_dims);
    EXPECT_TRUE(AllFinite((*out)[0]));
    if (m.out_dims.size() == 2) {  // softmax outputs
      for (int64_t i = 0; i < m.out_dims[0]; ++i) {
        double s = 0;
        for (int64_t j = 0; j < m.out_dims[1]; ++j) s += (*out)[0].data<float>()[i * m.out_dims[1] + j];
        EXPECT_NEAR(s, 1.0, 1e-4);
      }
    }
  }
}

// PaddleOCR cls preprocessing: BGR, h=48 keeping aspect (w <= 192), (x/255-0.5)/0.5, right-pad to 192.
void PreprocessOcrLine(const cv::Mat& bgr, float* out) {
  const int h = 48, max_w = 192;
  const double ratio = static_cast<double>(bgr.cols) / bgr.rows;
  const int w = std::min(max_w, static_cast<int>(std::ceil(h * ratio)));
  cv::Mat resized;
  cv::resize(bgr, resized, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
  std::fill(out, out + 3 * h * max_w, 0.f);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        out[(c * h + y) * max_w + x] = (resized.at<cv::Vec3b>(y, x)[c] / 255.f - 0.5f) / 0.5f;
}

std::vector<cv::Mat> RenderTextLines(int count, std::vector<int>* labels) {
  const int fonts[] = {cv::FONT_HERSHEY_SIMPLEX, cv::FONT_HERSHEY_DUPLEX, cv::FONT_HERSHEY_COMPLEX,
                       cv::FONT_HERSHEY_TRIPLEX, cv::FONT_HERSHEY_PLAIN};
  const char* words[] = {"Hello World", "quant2int8", "PaddleOCR 2.0", "The quick brown fox", "INVOICE 2023-11",
                         "Total: $42.50", "oneDNN VNNI", "text direction", "Model zoo", "Line 17 of 20"};
  std::mt19937 g(2024);
  std::vector<cv::Mat> lines;
  for (int i = 0; i < count; ++i) {
    const std::string text = words[g() % 10];
    const int font = fonts[g() % 5];
    const double scale = 0.8 + (g() % 8) * 0.1;
    const int thickness = 1 + static_cast<int>(g() % 2);
    int base = 0;
    cv::Size sz = cv::getTextSize(text, font, scale, thickness, &base);
    cv::Mat img(sz.height + base + 12, sz.width + 16, CV_8UC3, cv::Scalar(235 + g() % 20, 235 + g() % 20, 235 + g() % 20));
    cv::putText(img, text, cv::Point(8, sz.height + 6), font, scale, cv::Scalar(g() % 60, g() % 60, g() % 60), thickness,
                cv::LINE_AA);
    const bool rotated = i % 2 == 1;
    if (rotated) cv::rotate(img, img, cv::ROTATE_180);
    lines.push_back(img);
    labels->push_back(rotated ? 1 : 0);
  }
  return lines;
}

TEST(ModelTest, OcrClassifierFp32AndSlimAgree) {
  Q2I_REQUIRE_SHARED("models/ocr_cls_fp32/inference.pdmodel");
  Q2I_REQUIRE_SHARED("models/ocr_cls_slim/inference.pdmodel");
  auto fp32 = Load(SharedPath("models/ocr_cls_fp32"));
  auto slim = Load(SharedPath("models/ocr_cls_slim"));
  ASSERT_TRUE(fp32 && slim);
  auto e1 = runtime::Executor::Create(fp32);
  auto e2 = runtime::Executor::Create(slim);
  ASSERT_TRUE(e1.ok() && e2.ok());
  std::vector<int> labels;
  const int count = 80;
  std::vector<cv::Mat> lines = RenderTextLines(count, &labels);
  ir::Tensor x(ir::DataType::kFP32, {count, 3, 48, 192});
  for (int i = 0; i < count; ++i) PreprocessOcrLine(lines[static_cast<size_t>(i)], x.data<float>() + i * 3 * 48 * 192);
  auto o1 = (*e1)->Run({x});
  auto o2 = (*e2)->Run({x});
  ASSERT_TRUE(o1.ok()) << o1.status().ToString();
  ASSERT_TRUE(o2.ok()) << o2.status().ToString();
  int agree = 0, right1 = 0, right2 = 0;
  for (int i = 0; i < count; ++i) {
    const int64_t a = ArgMax((*o1)[0].data<float>() + 2 * i, 2), b = ArgMax((*o2)[0].data<float>() + 2 * i, 2);
    agree += a == b;
    right1 += a == labels[static_cast<size_t>(i)];
    right2 += b == labels[static_cast<size_t>(i)];
  }
  RecordProperty("agreement", std::to_string(agree / double(count)));
  RecordProperty("fp32_accuracy", std::to_string(right1 / double(count)));
  RecordProperty("slim_accuracy", std::to_string(right2 / double(count)));
  std::printf("ocr cls: agreement %.4f, fp32 accuracy %.4f, slim accuracy %.4f\n", agree / double(count),
              right1 / double(count), right2 / double(count));
  EXPECT_GE(agree, count * 95 / 100);
  EXPECT_GE(right1, count * 80 / 100);
}

TEST(ModelTest, OcrDetectorTwoSizesInOneProcess) {
  for (const char* name : {"ocr_det_v3_fp32", "ocr_det_v3_slim"}) {
    SCOPED_TRACE(name);
    Q2I_REQUIRE_SHARED(std::string("models/") + name + "/inference.pdmodel");
    auto program = Load(SharedPath(std::string("models/") + name));
    ASSERT_TRUE(program);
    auto exec = runtime::Executor::Create(program);
    ASSERT_TRUE(exec.ok()) << exec.status().ToString();
    for (std::vector<int64_t> hw : {std::vector<int64_t>{640, 640}, std::vector<int64_t>{480, 320}}) {
      ir::Tensor x = RandomTensor({1, 3, hw[0], hw[1]}, 9, -2.f, 2.f);
      auto out = (*exec)->Run({x});
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      ASSERT_EQ((*out)[0].dims(), (std::vector<int64_t>{1, 1, hw[0], hw[1]}));
      for (float v : (*out)[0].values<float>()) ASSERT_TRUE(v >= 0.f && v <= 1.f);
    }
    EXPECT_EQ((*exec)->num_cached_plans(), 2u);
  }
}

}  // namespace
}  // namespace q2i::testing
