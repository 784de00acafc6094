// The INT8 program agrees with the fake-quant simulation it was converted from (issue targets):
//   OCR classifier: top-1 agreement >= 99%, mean cosine >= 0.99 on rendered text lines;
//   ResNet50 (QAT v1): top-1 agreement >= 95% on imagenet_sample_100 (straight resize). Training
//     rounded each conv result before the residual add; the fused INT8 conv does too (Scale_pre_residual).
//     On this model (res5c weights synthesized, so small differences move the logits a lot) even the
//     unquantized FP32 program agrees with the fake-quant one on only 91% of the images. Measured here
//     (batch 10, 2 threads): INT8 0.96 / mean cosine 0.9572; --double_rounding 0.95 / 0.9568 (no
//     further gain); Paddle's single rounding (--round_residual_inputs=false) 0.92 / 0.9468; FP32
//     0.91 / 0.9386. Also asserted: INT8 is closer than FP32 and than the single rounding; figures printed.
//   OCR detector: mean cosine >= 0.98 on the output maps, at 640x640 and 480x320.
// Also: --save_int8_weights output gives the same results as the FP32-weight output, and at batch 1
// this project's own kernels give what oneDNN gives on ResNet50.
// Names end in "Slow": the ASan CI run skips them.
#include <gtest/gtest.h>

#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "converter/model_io.h"
#include "data_prep/image_preprocess.h"
#include "data_prep/label_list.h"
#include "passes/pipelines.h"
#include "runtime/executor.h"
#include "runtime/kernels/cpu_features.h"
#include "tests/e2e/agreement.h"
#include "tests/e2e/text_lines.h"
#include "tests/test_util/shared_data.h"

namespace q2i::testing {
namespace {

struct Models {
  ir::Program fake;
  ir::Program int8;
};

Models LoadAndConvert(const std::filesystem::path& dir, bool int8_weights = false, passes::QuantizeOptions options = {}) {
  Models m;
  auto p = converter::LoadModel({dir, "", ""});
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return m;
  m.fake = std::move(p).value();
  m.int8 = m.fake.Clone();
  passes::PassManager pm;
  passes::BuildInt8Pipeline(pm, {.save_int8_weights = int8_weights, .stop_after = ""});
  passes::PassContext ctx(std::move(options));
  Status st = pm.Run(m.int8, ctx);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return m;
}

std::unique_ptr<runtime::Executor> Exec(const ir::Program& p) {
  auto e = runtime::Executor::Create(p, {.num_threads = 2, .profile = false, .max_cached_plans = 4, .registry = nullptr});
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? std::move(e).value() : nullptr;
}

void Compare(runtime::Executor& a, runtime::Executor& b, const ir::Tensor& input, Agreement* agreement) {
  auto ra = a.Run({input});
  auto rb = b.Run({input});
  ASSERT_TRUE(ra.ok()) << ra.status().ToString();
  ASSERT_TRUE(rb.ok()) << rb.status().ToString();
  agreement->Add((*ra)[0], (*rb)[0]);
}

void Report(const std::string& what, const Agreement& g) {
  std::printf("[ figures  ] %s: samples %d, top-1 agreement %.4f, mean cosine %.5f, min cosine %.5f\n", what.c_str(),
              g.samples, g.top1(), g.mean_cosine(), g.min_cosine);
}

TEST(Int8AgreementTest, OcrClassifierOnRenderedTextLinesSlow) {
  Q2I_REQUIRE_SHARED("models/ocr_cls_slim/inference.pdmodel");
  Models m = LoadAndConvert(SharedPath("models/ocr_cls_slim"));
  auto fake = Exec(m.fake), int8 = Exec(m.int8);
  ASSERT_TRUE(fake && int8);
  const auto lines = RenderTextLines(200);
  Agreement g;
  const int batch = 20;
  for (size_t first = 0; first < lines.size(); first += batch) {
    ir::Tensor input(ir::DataType::kFP32, {batch, 3, 48, 192});
    for (int i = 0; i < batch; ++i) {
      auto x = OcrClsInput(lines[first + static_cast<size_t>(i)].bgr);
      std::copy(x.begin(), x.end(), input.data<float>() + static_cast<int64_t>(i) * 3 * 48 * 192);
    }
    Compare(*fake, *int8, input, &g);
  }
  Report("ocr_cls_slim INT8 vs fake-quant", g);
  EXPECT_GE(g.top1(), 0.99);
  EXPECT_GE(g.mean_cosine(), 0.99);
}

TEST(Int8AgreementTest, ResNet50OnImagenetSampleSlow) {
  Q2I_REQUIRE_SHARED("data/imagenet_sample_100/val_list.txt");
  Q2I_REQUIRE_SHARED("models/resnet50_qat_v1/__model__");
  auto dir = FilledModelCopy("resnet50_qat_v1");
  ASSERT_FALSE(dir.empty());
  Models m = LoadAndConvert(dir);
  passes::QuantizeOptions twice_options, paddle_options;
  twice_options.double_rounding = true;
  paddle_options.round_residual_inputs = false;
  ir::Program twice = LoadAndConvert(dir, false, twice_options).int8;
  ir::Program single = LoadAndConvert(dir, false, paddle_options).int8;
  ir::Program fp32 = m.fake.Clone();
  passes::PassManager pm;
  passes::BuildFp32Pipeline(pm);
  passes::PassContext ctx;
  ASSERT_TRUE(pm.Run(fp32, ctx).ok());
  auto fake = Exec(m.fake), int8 = Exec(m.int8), plain = Exec(fp32), int8_twice = Exec(twice),
       int8_single = Exec(single);
  ASSERT_TRUE(fake && int8 && plain && int8_twice && int8_single);
  auto list = ReadLabelList(SharedPath("data/imagenet_sample_100/val_list.txt"));
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ImagePreprocessOptions pre;  // Paddle-Lite demo: straight resize to 224, RGB, /255, ImageNet mean/std
  pre.resize_short = 0;
  pre.interpolation = Interpolation::kLinear;
  Agreement g, g32, g2, g1;
  const int batch = 10;
  for (size_t first = 0; first < list->size(); first += batch) {
    const int n = static_cast<int>(std::min<size_t>(batch, list->size() - first));
    ir::Tensor input(ir::DataType::kFP32, {n, 3, 224, 224});
    for (int i = 0; i < n; ++i) {
      auto x = PreprocessImageFile(SharedPath("data/imagenet_sample_100") / (*list)[first + static_cast<size_t>(i)].path, pre);
      ASSERT_TRUE(x.ok()) << x.status().ToString();
      std::copy(x->begin(), x->end(), input.data<float>() + static_cast<int64_t>(i) * 3 * 224 * 224);
    }
    Compare(*fake, *int8, input, &g);
    Compare(*fake, *plain, input, &g32);
    Compare(*fake, *int8_twice, input, &g2);
    Compare(*fake, *int8_single, input, &g1);
  }
  Report("resnet50_qat_v1 INT8 vs fake-quant", g);
  Report("resnet50_qat_v1 INT8 --double_rounding vs fake-quant", g2);
  Report("resnet50_qat_v1 INT8 --round_residual_inputs=false (Paddle) vs fake-quant", g1);
  Report("resnet50_qat_v1 FP32 (fused, unquantized) vs fake-quant", g32);
  EXPECT_GE(g.top1(), 0.95);
  EXPECT_GT(g.top1(), g32.top1());
  EXPECT_GT(g.mean_cosine(), g32.mean_cosine());
  EXPECT_GT(g.mean_cosine(), g1.mean_cosine());  // the rounding before the residual add is what training did
  EXPECT_GT(g2.mean_cosine(), g1.mean_cosine());
}

// At batch 1 on one thread the last two stages' 28 convolutions (14x14 and 7x7 outputs: 19 + 9) run on
// DirectConvU8 under the tuned policy (runtime/kernels/direct_conv_u8.h), and at two threads the 7x7 stem
// over the s8 image too (window mode): with the real model's scales and roundings they give what oneDNN
// gives (library policy), image by image.
TEST(Int8AgreementTest, ResNet50AtBatchOneOwnKernelsMatchOneDnnSlow) {
  Q2I_REQUIRE_SHARED("data/imagenet_sample_100/val_list.txt");
  Q2I_REQUIRE_SHARED("models/resnet50_qat_v1/__model__");
  auto dir = FilledModelCopy("resnet50_qat_v1");
  ASSERT_FALSE(dir.empty());
  const Models m = LoadAndConvert(dir);
  auto list = ReadLabelList(SharedPath("data/imagenet_sample_100/val_list.txt"));
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ImagePreprocessOptions pre;
  pre.resize_short = 0;
  pre.interpolation = Interpolation::kLinear;
  for (int threads : {1, 2}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    auto tuned =
        runtime::Executor::Create(m.int8, {.num_threads = threads, .conv_impl = runtime::ConvImplPolicy::kTuned});
    auto library = runtime::Executor::Create(
        m.int8, {.num_threads = threads, .conv_impl = runtime::ConvImplPolicy::kLibraryDefault});
    ASSERT_TRUE(tuned.ok() && library.ok());
    Agreement g;
    for (size_t i = 0; i < 20; ++i) {
      auto x = PreprocessImageFile(SharedPath("data/imagenet_sample_100") / (*list)[i].path, pre);
      ASSERT_TRUE(x.ok()) << x.status().ToString();
      Compare(**tuned, **library, ir::Tensor::FromVector<float>({1, 3, 224, 224}, *x), &g);
    }
    auto stats = (*tuned)->CurrentPlanStats();
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    const int own = stats->variant_steps.count("direct_conv_u8") ? stats->variant_steps.at("direct_conv_u8") : 0;
    const bool vnni = runtime::kernels::CpuHasAvx512Vnni();
    EXPECT_EQ(own, vnni ? (threads > 1 ? 29 : 28) : 0);
    // The 28 run back to back, each prefetching the next one's first weights as it ends.
    EXPECT_EQ(stats->num_weight_prefetch_links, vnni ? 27 : 0);
    Report("resnet50_qat_v1 INT8 batch 1, " + std::to_string(threads) +
               " thread(s), tuned (DirectConvU8) vs library (oneDNN)",
           g);
    EXPECT_GE(g.top1(), 0.95);
    EXPECT_GE(g.mean_cosine(), 0.999);
  }
}

// A document-like page: light background, lines of dark text in several fonts and sizes, and a photo
// in one corner (the detector's purpose is finding the text).
ir::Tensor DetectorInput(int h, int w) {
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(238, 236, 232));
  cv::Mat photo = cv::imread(SharedPath("data/photos/banana.jpeg").string(), cv::IMREAD_COLOR);
  if (!photo.empty()) {
    cv::resize(photo, photo, cv::Size(w / 3, h / 4), 0, 0, cv::INTER_AREA);
    photo.copyTo(img(cv::Rect(w - photo.cols - 8, h - photo.rows - 8, photo.cols, photo.rows)));
  }
  static const char* kText[] = {"INVOICE No. 2024-0815", "Total amount: 42.50 EUR", "quant2int8 converts models",
                                "Shipping address: Main St 7", "The quick brown fox jumps", "Paddle OCR detector test"};
  static const int kFonts[] = {cv::FONT_HERSHEY_SIMPLEX, cv::FONT_HERSHEY_DUPLEX, cv::FONT_HERSHEY_COMPLEX};
  int y = 28;
  for (int i = 0; y < h - h / 4 - 10; ++i) {
    const double scale = 0.6 + 0.15 * (i % 3);
    cv::putText(img, kText[i % 6], cv::Point(10 + 6 * (i % 4), y), kFonts[i % 3], scale * w / 640.0 + 0.2,
                cv::Scalar(30, 30, 40), 1 + i % 2, cv::LINE_AA);
    y += static_cast<int>(22 + 14 * scale);
  }
  const double mean[3] = {0.485, 0.456, 0.406}, stdv[3] = {0.229, 0.224, 0.225};
  ir::Tensor t(ir::DataType::kFP32, {1, 3, h, w});
  for (int c = 0; c < 3; ++c)
    for (int yy = 0; yy < h; ++yy)
      for (int x = 0; x < w; ++x)
        t.data<float>()[(c * h + yy) * w + x] =
            static_cast<float>((img.at<cv::Vec3b>(yy, x)[c] / 255.0 - mean[c]) / stdv[c]);
  return t;
}

TEST(Int8AgreementTest, OcrDetectorOutputMapsSlow) {
  Q2I_REQUIRE_SHARED("models/ocr_det_v3_slim/inference.pdmodel");
  Q2I_REQUIRE_SHARED("data/photos/banana.jpeg");
  Models m = LoadAndConvert(SharedPath("models/ocr_det_v3_slim"));
  auto fake = Exec(m.fake), int8 = Exec(m.int8);
  ASSERT_TRUE(fake && int8);
  Agreement g;
  Compare(*fake, *int8, DetectorInput(640, 640), &g);
  Compare(*fake, *int8, DetectorInput(320, 480), &g);
  Report("ocr_det_v3_slim INT8 vs fake-quant (output maps)", g);
  EXPECT_GE(g.mean_cosine(), 0.98);
}

TEST(Int8AgreementTest, Int8WeightsGiveTheSameResultsSlow) {
  Q2I_REQUIRE_SHARED("models/ocr_cls_slim/inference.pdmodel");
  Models a = LoadAndConvert(SharedPath("models/ocr_cls_slim"));
  Models b = LoadAndConvert(SharedPath("models/ocr_cls_slim"), /*int8_weights=*/true);
  auto ea = Exec(a.int8), eb = Exec(b.int8);
  ASSERT_TRUE(ea && eb);
  const auto lines = RenderTextLines(20);
  Agreement g;
  for (const auto& line : lines) {
    ir::Tensor input(ir::DataType::kFP32, {1, 3, 48, 192});
    auto x = OcrClsInput(line.bgr);
    std::copy(x.begin(), x.end(), input.data<float>());
    Compare(*ea, *eb, input, &g);
  }
  Report("ocr_cls_slim INT8 with s8 weights vs FP32 weights", g);
  // Same decisions everywhere; the probabilities differ only by the int32 rounding of the biases
  // (visible near p = 0.5, where a 2-class softmax moves most).
  EXPECT_EQ(g.top1(), 1.0);
  EXPECT_GE(g.mean_cosine(), 0.999);
}

}  // namespace
}  // namespace q2i::testing
