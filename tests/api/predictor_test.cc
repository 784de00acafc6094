// The Predictor API: load, names and specs, SetInput/Run/GetOutput, errors, Clone across threads.
#include <gtest/gtest.h>

#include <thread>

#include "api/predictor.h"
#include "tests/test_util/program_helpers.h"
#include "tests/test_util/shared_data.h"

namespace q2i::testing {
namespace {

TEST(PredictorTest, LeNetEndToEnd) {
  Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/__model__");
  api::PredictorConfig config;
  config.model_dir = SharedPath("models/lenet_mnist_fp32");
  config.num_threads = 1;
  auto p = api::Predictor::Create(config);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->GetInputNames(), std::vector<std::string>{"image"});
  EXPECT_EQ((*p)->GetOutputNames(), std::vector<std::string>{"scale_0.tmp_0"});
  auto in = (*p)->GetInputSpecs();
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in[0].dims, (std::vector<int64_t>{-1, 1, 28, 28}));
  EXPECT_EQ(in[0].dtype, ir::DataType::kFP32);

  EXPECT_FALSE((*p)->Run().ok());  // input not set
  EXPECT_FALSE((*p)->GetOutput(0).ok());
  EXPECT_FALSE((*p)->SetInput("nope", RandomTensor({1, 1, 28, 28}, 1)).ok());
  EXPECT_FALSE((*p)->SetInput("image", RandomTensor({1, 28, 28}, 1)).ok());  // rank

  ir::Tensor x = RandomTensor({3, 1, 28, 28}, 2);
  ASSERT_TRUE((*p)->SetInput("image", x).ok());
  ASSERT_TRUE((*p)->Run().ok());
  auto out = (*p)->GetOutput("scale_0.tmp_0");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->dims(), (std::vector<int64_t>{3, 10}));
  EXPECT_EQ((*p)->GetOutputSpecs()[0].dims, (std::vector<int64_t>{3, 10}));
  EXPECT_FALSE((*p)->GetOutput(1).ok());

  // Clone: same program object, independent buffers, usable from another thread.
  auto clone = (*p)->Clone();
  ASSERT_TRUE(clone.ok());
  EXPECT_EQ((*clone)->program().get(), (*p)->program().get());
  ir::Tensor expected = out->Clone();
  std::vector<ir::Tensor> from_thread;
  std::thread t([&] {
    auto r = (*clone)->Run({x});
    if (r.ok()) from_thread = *r;
  });
  auto again = (*p)->Run({x});
  t.join();
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(from_thread.size(), 1u);
  for (int64_t i = 0; i < expected.numel(); ++i) {
    EXPECT_FLOAT_EQ(from_thread[0].data<float>()[i], expected.data<float>()[i]);
    EXPECT_FLOAT_EQ((*again)[0].data<float>()[i], expected.data<float>()[i]);
  }
}

TEST(PredictorTest, LoadErrorsNameTheFile) {
  api::PredictorConfig config;
  EXPECT_FALSE(api::Predictor::Create(config).ok());
  config.model_dir = "/nonexistent/model";
  auto p = api::Predictor::Create(config);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("/nonexistent/model"), std::string::npos) << p.status().ToString();
}

TEST(PredictorTest, CombinedParamsWithExplicitFileNames) {
  Q2I_REQUIRE_SHARED("models/squeezenet1_1_fp32/inference.pdmodel");
  api::PredictorConfig config;
  config.model_dir = SharedPath("models/squeezenet1_1_fp32");
  config.model_filename = "inference.pdmodel";
  config.params_filename = "inference.pdiparams";
  auto p = api::Predictor::Create(config);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto out = (*p)->Run({RandomTensor({1, 3, 227, 227}, 3, 0.f, 100.f)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{1, 1000}));
}

}  // namespace
}  // namespace q2i::testing
