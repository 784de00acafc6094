#include "demo/make_demo.h"

#include <cmath>

#include "converter/model_io.h"
#include "data_prep/dataset.h"
#include "demo/demo_model.h"
#include "demo/synthetic_images.h"
#include "runtime/executor.h"

namespace q2i::demo {
namespace fs = std::filesystem;
namespace {

constexpr int kSample = 3 * kDemoImageSize * kDemoImageSize;

// Sample seeds of the three splits never overlap.
uint32_t SampleSeed(int split, int index) { return static_cast<uint32_t>(split) * 1000003u + static_cast<uint32_t>(index); }

// The program with the pooled features as a second fetch target.
ir::Program WithFeatureFetch(const ir::Program& model) {
  ir::Program p = model.Clone();
  ir::Op fetch("fetch");
  fetch.SetInput("X", {kFeatureVar});
  fetch.SetOutput("Out", {"fetch"});
  fetch.SetAttr("col", ir::Attribute::Int(1));
  p.AddOp(std::move(fetch));
  return p;
}

ir::Tensor Batch(int split, int first, int count, std::vector<int>* labels) {
  ir::Tensor t(ir::DataType::kFP32, {count, 3, kDemoImageSize, kDemoImageSize});
  for (int i = 0; i < count; ++i) {
    const int index = first + i;
    const int label = index % kDemoClasses;
    auto img = SyntheticImage(label, SampleSeed(split, index), kDemoImageSize);
    std::copy(img.begin(), img.end(), t.data<float>() + static_cast<int64_t>(i) * kSample);
    if (labels) labels->push_back(label);
  }
  return t;
}

// Solves (A + lambda I) X = B in place for a symmetric positive definite A (n x n) and B (n x m).
void SolveRidge(std::vector<double>& a, std::vector<double>& bm, int n, int m) {
  double trace = 0;
  for (int i = 0; i < n; ++i) trace += a[static_cast<size_t>(i * n + i)];
  for (int i = 0; i < n; ++i) a[static_cast<size_t>(i * n + i)] += 1e-3 * trace / n;
  for (int col = 0; col < n; ++col) {  // Gauss-Jordan; the regularized matrix needs no pivoting
    const double pivot = a[static_cast<size_t>(col * n + col)];
    for (int j = 0; j < n; ++j) a[static_cast<size_t>(col * n + j)] /= pivot;
    for (int j = 0; j < m; ++j) bm[static_cast<size_t>(col * m + j)] /= pivot;
    for (int row = 0; row < n; ++row) {
      if (row == col) continue;
      const double f = a[static_cast<size_t>(row * n + col)];
      if (f == 0) continue;
      for (int j = 0; j < n; ++j) a[static_cast<size_t>(row * n + j)] -= f * a[static_cast<size_t>(col * n + j)];
      for (int j = 0; j < m; ++j) bm[static_cast<size_t>(row * m + j)] -= f * bm[static_cast<size_t>(col * m + j)];
    }
  }
}

// The classifier as ridge regression of one-hot labels on the pooled features (plus a bias column).
Status FitClassifier(ir::Program& model, const DemoOptions& o) {
  ir::Program probe = WithFeatureFetch(model);
  Q2I_ASSIGN_OR_RETURN(auto exec, runtime::Executor::Create(probe, {}));
  constexpr int n = kDemoFeatures + 1;
  std::vector<double> ata(static_cast<size_t>(n * n), 0.0), aty(static_cast<size_t>(n * kDemoClasses), 0.0);
  const int total = o.train_per_class * kDemoClasses;
  for (int first = 0; first < total; first += 50) {
    std::vector<int> labels;
    ir::Tensor batch = Batch(0, first, std::min(50, total - first), &labels);
    Q2I_ASSIGN_OR_RETURN(auto outs, exec->Run({batch}));
    const float* f = outs[1].data<float>();
    for (size_t s = 0; s < labels.size(); ++s) {
      std::vector<double> row(f + s * kDemoFeatures, f + (s + 1) * kDemoFeatures);
      row.push_back(1.0);
      for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) ata[static_cast<size_t>(i * n + j)] += row[static_cast<size_t>(i)] * row[static_cast<size_t>(j)];
        for (int k = 0; k < kDemoClasses; ++k)
          aty[static_cast<size_t>(i * kDemoClasses + k)] += row[static_cast<size_t>(i)] * (k == labels[s] ? 1.0 : 0.0);
      }
    }
  }
  SolveRidge(ata, aty, n, kDemoClasses);
  ir::Tensor w(ir::DataType::kFP32, {kDemoFeatures, kDemoClasses});
  ir::Tensor b(ir::DataType::kFP32, {kDemoClasses});
  // Sharpen the softmax: the regression targets are 0/1, the logits of a classifier are wider.
  constexpr double kTemperature = 10.0;
  for (int j = 0; j < kDemoFeatures; ++j)
    for (int k = 0; k < kDemoClasses; ++k)
      w.data<float>()[j * kDemoClasses + k] = static_cast<float>(kTemperature * aty[static_cast<size_t>(j * kDemoClasses + k)]);
  for (int k = 0; k < kDemoClasses; ++k)
    b.data<float>()[k] = static_cast<float>(kTemperature * aty[static_cast<size_t>(kDemoFeatures * kDemoClasses + k)]);
  model.SetParam(kClassifierWeight, std::move(w));
  model.SetParam(kClassifierBias, std::move(b));
  return OkStatus();
}

Status WriteSplit(const fs::path& path, int split, int images) {
  Q2I_ASSIGN_OR_RETURN(auto writer, DatasetWriter::Create(path, kSample));
  for (int i = 0; i < images; ++i) {
    const int label = i % kDemoClasses;
    auto img = SyntheticImage(label, SampleSeed(split, i), kDemoImageSize);
    Q2I_RETURN_IF_ERROR(writer.Append(img, label));
  }
  return writer.Finish();
}

StatusOr<double> TrainAccuracy(const ir::Program& model, const DemoOptions& o) {
  Q2I_ASSIGN_OR_RETURN(auto exec, runtime::Executor::Create(model, {}));
  std::vector<int> labels;
  ir::Tensor batch = Batch(0, 0, o.train_per_class * kDemoClasses, &labels);
  Q2I_ASSIGN_OR_RETURN(auto outs, exec->Run({batch}));
  int correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const float* p = outs[0].data<float>() + i * kDemoClasses;
    correct += std::max_element(p, p + kDemoClasses) - p == labels[i];
  }
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

}  // namespace

StatusOr<DemoResult> MakeDemo(const DemoOptions& o) {
  if (o.output_dir.empty()) return InvalidArgument("no output directory for the demo");
  if (o.train_per_class <= 0 || o.calib_images <= 0 || o.test_images <= 0)
    return InvalidArgument("demo image counts must be positive");
  std::error_code ec;
  fs::create_directories(o.output_dir, ec);
  if (ec) return IoError("cannot create '", o.output_dir.string(), "': ", ec.message());
  ir::Program model = BuildDemoResNet(o.seed);
  Q2I_RETURN_IF_ERROR(FitClassifier(model, o));
  DemoResult result;
  Q2I_ASSIGN_OR_RETURN(result.train_accuracy, TrainAccuracy(model, o));
  Q2I_RETURN_IF_ERROR(converter::SaveModel(model, o.output_dir / "fp32_model", {}));
  Q2I_RETURN_IF_ERROR(WriteSplit(o.output_dir / "calib.bin", 1, o.calib_images));
  Q2I_RETURN_IF_ERROR(WriteSplit(o.output_dir / "test.bin", 2, o.test_images));
  return result;
}

}  // namespace q2i::demo
