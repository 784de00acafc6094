// sample_tester: Paddle's INT8 sample tester (PaddleSlim demo/mkldnn_quant/sample_tester.cc, spec 5.2)
// on the quant2int8 runtime. Reads the binary dataset (data_prep), runs the model in batches, prints
// latency, throughput and top-1 / top-5 accuracy; optionally compares the outputs with a second model
// run on the same batches (top-1 agreement, mean cosine similarity).
//
//   sample_tester --infer_model=models/squeezenet1_1_fp32 --infer_data=imagenet_100.bin --batch_size=10
//   sample_tester --infer_model=int8_model --compare_model=fp32_model --infer_data=... --input_shape=3,48,192
#include <gflags/gflags.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <sstream>

#include "api/predictor.h"
#include "converter/model_io.h"
#include "data_prep/dataset.h"
#include "data_prep/progress_bar.h"
#include "passes/pass_context.h"
#include "support/text.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"

DEFINE_string(infer_model, "", "Model directory (or <prefix> of .pdmodel/.pdiparams, or a .pdmodel file)");
DEFINE_string(model_filename, "", "Program file name inside --infer_model (default: detect)");
DEFINE_string(params_filename, "", "Combined params file name inside --infer_model (default: detect)");
DEFINE_string(infer_data, "", "Binary dataset file (data_prep / Paddle's full_ILSVRC2012_val_preprocess.py format)");
DEFINE_int32(batch_size, 50, "Images per batch");
DEFINE_int32(iterations, 0, "Batches to run; 0 = all full batches in the file");
DEFINE_int32(num_threads, 1, "OpenMP threads");
DEFINE_string(conv_impl, "tuned", "Convolution kernels: 'tuned' (default) or 'library' (oneDNN's first choice)");
DEFINE_bool(with_accuracy_layer, false,
            "The model takes image and label and returns [output, top1 accuracy, top5 accuracy]");
DEFINE_bool(use_analysis, false, "Run the FP32 fuse passes on the program before running it");
DEFINE_int32(warmup_iter, 1, "Batches run untimed first (they are also part of the timed loop)");
DEFINE_string(input_shape, "", "Per-sample input dims C,H,W (needed for models with dynamic H/W), e.g. 3,48,192");
DEFINE_string(compare_model, "", "Second model run on the same batches: prints top1 agreement and mean cosine");
DEFINE_string(compare_model_filename, "", "Program file name inside --compare_model (default: detect)");
DEFINE_string(compare_params_filename, "", "Combined params file name inside --compare_model (default: detect)");

namespace {

using q2i::ir::Tensor;

int Fail(const std::string& message) {
  std::fprintf(stderr, "sample_tester: error: %s\n", message.c_str());
  return 1;
}


q2i::StatusOr<std::unique_ptr<q2i::api::Predictor>> LoadPredictor(const std::string& dir, const std::string& model_file,
                                                                 const std::string& params_file, bool analysis) {
  auto program = q2i::converter::LoadModel({dir, model_file, params_file});
  if (!program.ok()) return program.status();
  if (analysis) {
    q2i::passes::PassManager pm;
    q2i::passes::AddFp32OptimizationPasses(pm);
    q2i::passes::PassContext ctx;
    q2i::Status st = pm.Run(*program, ctx);
    if (!st.ok()) return st.WithContext("--use_analysis");
  }
  q2i::api::PredictorConfig config;
  config.num_threads = FLAGS_num_threads;
  Q2I_ASSIGN_OR_RETURN(config.conv_impl, q2i::runtime::ParseConvImplPolicy(FLAGS_conv_impl));
  return q2i::api::Predictor::Create(std::make_shared<const q2i::ir::Program>(std::move(program).value()), config);
}

// Top-k hits of one row of scores.
bool InTopK(const float* scores, int64_t n, int64_t label, int k) {
  if (label < 0 || label >= n) return false;
  const float v = scores[label];
  int greater = 0;
  for (int64_t i = 0; i < n; ++i) greater += scores[i] > v || (scores[i] == v && i < label);
  return greater < k;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("Runs a model on a binary dataset: latency, fps, top-1/top-5 accuracy");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_infer_model.empty()) return Fail("--infer_model is required");
  if (FLAGS_infer_data.empty()) return Fail("--infer_data is required");
  if (FLAGS_batch_size < 1) return Fail("--batch_size must be >= 1");
  if (FLAGS_iterations < 0) return Fail("--iterations must be >= 0");
  if (FLAGS_num_threads < 1) return Fail("--num_threads must be >= 1");
  if (FLAGS_warmup_iter < 0) return Fail("--warmup_iter must be >= 0");

  auto predictor = LoadPredictor(FLAGS_infer_model, FLAGS_model_filename, FLAGS_params_filename, FLAGS_use_analysis);
  if (!predictor.ok()) return Fail(predictor.status().ToString());
  std::unique_ptr<q2i::api::Predictor> compare;
  if (!FLAGS_compare_model.empty()) {
    auto c = LoadPredictor(FLAGS_compare_model, FLAGS_compare_model_filename, FLAGS_compare_params_filename,
                           FLAGS_use_analysis);
    if (!c.ok()) return Fail("--compare_model: " + c.status().ToString());
    compare = std::move(c).value();
  }
  auto& p = **predictor;
  const auto specs = p.GetInputSpecs();
  if (specs.empty()) return Fail("the model has no inputs");
  if (FLAGS_with_accuracy_layer && (specs.size() < 2 || p.GetOutputNames().size() < 3)) {
    return Fail("--with_accuracy_layer needs a model with inputs [image, label] and outputs [output, top1, top5]");
  }
  std::vector<int64_t> sample_dims;
  if (!FLAGS_input_shape.empty()) {
    auto d = q2i::ParsePositiveDims(FLAGS_input_shape, "--input_shape");
    if (!d.ok()) return Fail(d.status().message());
    sample_dims = *d;
  } else {
    sample_dims.assign(specs[0].dims.begin() + (specs[0].dims.empty() ? 0 : 1), specs[0].dims.end());
    for (int64_t d : sample_dims) {
      if (d <= 0) {
        return Fail("input '" + specs[0].name + "' is declared " + q2i::ir::DimsToString(specs[0].dims) +
                    "; pass the per-sample dims with --input_shape");
      }
    }
  }
  auto reader = q2i::DatasetReader::Open(FLAGS_infer_data, sample_dims);
  if (!reader.ok()) return Fail(reader.status().ToString());
  const int64_t total = reader->num_samples();
  std::cout << "Total images in file: " << total << std::endl;
  const int64_t batch = FLAGS_batch_size;
  int64_t iterations = FLAGS_iterations == 0 ? total / batch : FLAGS_iterations;
  if (iterations == 0) {
    return Fail("the dataset has " + std::to_string(total) + " images, fewer than one batch of " + std::to_string(batch));
  }
  if (iterations * batch > total) {
    return Fail("--iterations=" + std::to_string(iterations) + " with --batch_size=" + std::to_string(batch) + " needs " +
                std::to_string(iterations * batch) + " images; the dataset has " + std::to_string(total));
  }
  std::cout << "Model: " << FLAGS_infer_model << std::endl;
  std::cout << "====== num of threads: " << FLAGS_num_threads << " ======" << std::endl;
  std::cout << "====== batch size: " << batch << ", iterations: " << iterations << std::endl;

  std::vector<int64_t> image_dims = {batch};
  image_dims.insert(image_dims.end(), sample_dims.begin(), sample_dims.end());
  Tensor images(q2i::ir::DataType::kFP32, image_dims);
  Tensor labels(q2i::ir::DataType::kInt64, {batch, 1});
  auto feed = [&](q2i::api::Predictor& pr) -> q2i::Status {
    Q2I_RETURN_IF_ERROR(pr.SetInput(0, images));
    if (pr.GetInputNames().size() > 1) Q2I_RETURN_IF_ERROR(pr.SetInput(1, labels));
    return q2i::OkStatus();
  };
  auto read = [&](int64_t it) {
    return reader->ReadBatch(it * batch, batch, images.data<float>(), labels.data<int64_t>());
  };

  // Warm-up (untimed): the first batches.
  for (int64_t it = 0; it < std::min<int64_t>(FLAGS_warmup_iter, iterations); ++it) {
    q2i::Status st = read(it);
    if (st.ok()) st = feed(p);
    if (st.ok()) st = p.Run();
    if (!st.ok()) return Fail(st.ToString());
  }

  double run_ms = 0, top1_sum = 0, top5_sum = 0;
  int64_t agree = 0, compared = 0;
  double cosine_sum = 0;
  q2i::ProgressBar progress(std::cerr, iterations);
  const bool show_progress = iterations >= 10;
  for (int64_t it = 0; it < iterations; ++it) {
    q2i::Status st = read(it);
    if (st.ok()) st = feed(p);
    if (!st.ok()) return Fail(st.ToString());
    const auto t0 = std::chrono::steady_clock::now();
    st = p.Run();
    run_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!st.ok()) return Fail(st.ToString());
    auto out = p.GetOutput(0);
    if (!out.ok()) return Fail(out.status().ToString());
    if (FLAGS_with_accuracy_layer) {
      auto a1 = p.GetOutput(1), a5 = p.GetOutput(2);
      if (!a1.ok() || !a5.ok() || a1->dtype() != q2i::ir::DataType::kFP32 || a5->dtype() != q2i::ir::DataType::kFP32) {
        return Fail("outputs 1 and 2 must be float32 accuracies");
      }
      top1_sum += a1->data<float>()[0];
      top5_sum += a5->data<float>()[0];
    } else {
      if (out->dtype() != q2i::ir::DataType::kFP32 || out->dims().empty() || out->dims()[0] != batch) {
        return Fail("output 0 must be float32 [batch, classes], got " + q2i::ir::DimsToString(out->dims()));
      }
      const int64_t classes = out->numel() / batch;
      int64_t h1 = 0, h5 = 0;
      for (int64_t i = 0; i < batch; ++i) {
        const float* row = out->data<float>() + i * classes;
        const int64_t label = labels.data<int64_t>()[i];
        h1 += InTopK(row, classes, label, 1);
        h5 += InTopK(row, classes, label, 5);
      }
      top1_sum += static_cast<double>(h1) / static_cast<double>(batch);
      top5_sum += static_cast<double>(h5) / static_cast<double>(batch);
    }
    if (compare) {
      st = feed(*compare);
      if (st.ok()) st = compare->Run();
      if (!st.ok()) return Fail("--compare_model: " + st.ToString());
      auto other = compare->GetOutput(0);
      if (!other.ok() || other->dims() != out->dims() || other->dtype() != q2i::ir::DataType::kFP32) {
        return Fail("--compare_model: output 0 differs in shape or type from the model's");
      }
      const int64_t per = out->numel() / batch;
      for (int64_t i = 0; i < batch; ++i) {
        const float* a = out->data<float>() + i * per;
        const float* b = other->data<float>() + i * per;
        agree += (std::max_element(a, a + per) - a) == (std::max_element(b, b + per) - b);
        double dot = 0, na = 0, nb = 0;
        for (int64_t k = 0; k < per; ++k) {
          dot += static_cast<double>(a[k]) * b[k];
          na += static_cast<double>(a[k]) * a[k];
          nb += static_cast<double>(b[k]) * b[k];
        }
        cosine_sum += (na > 0 && nb > 0) ? dot / std::sqrt(na * nb) : (na == nb ? 1.0 : 0.0);
        ++compared;
      }
    }
    if (show_progress) progress.Update(it + 1);
  }
  if (show_progress) progress.Finish();

  const double batch_latency = run_ms / static_cast<double>(iterations);
  const double sample_latency = batch_latency / static_cast<double>(batch);
  char line[256];
  std::snprintf(line, sizeof(line),
                "====== batch latency: %.4f ms, number of samples: %lld, sample latency: %.4f ms, fps: %.2f ======",
                batch_latency, static_cast<long long>(batch * iterations), sample_latency, 1000.0 / sample_latency);
  std::cout << line << std::endl;
  std::snprintf(line, sizeof(line), "Top1 accuracy: %6.4f", top1_sum / static_cast<double>(iterations));
  std::cout << line << std::endl;
  std::snprintf(line, sizeof(line), "Top5 accuracy: %6.4f", top5_sum / static_cast<double>(iterations));
  std::cout << line << std::endl;
  if (compare) {
    std::cout << "Compare model: " << FLAGS_compare_model << std::endl;
    std::snprintf(line, sizeof(line), "top1 agreement: %.4f", static_cast<double>(agree) / static_cast<double>(compared));
    std::cout << line << std::endl;
    std::snprintf(line, sizeof(line), "mean cosine: %.6f", cosine_sum / static_cast<double>(compared));
    std::cout << line << std::endl;
  }
  return 0;
}
