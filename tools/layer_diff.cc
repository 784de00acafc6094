// layer_diff: where do two programs of one model diverge? Runs both (e.g. the fake-quant model and its
// INT8 conversion, or FP32 and INT8) on the same input and prints, in program order, every variable
// both compute with its cosine similarity and max |difference|. INT8 variables of model B are compared
// in real units: divided by the kernel scale of their producer (Scale_out of conv2d/fc/elementwise_add,
// Scale of quantize; pool2d and other INT8 ops keep their input's scale), matched by name: the int8
// variable "<name>.int8[_N]" carries A's "<name>". Large drops point at the op
// that loses accuracy; pass its id to save_quant_model --op_ids_to_skip.
#include <gflags/gflags.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "converter/model_io.h"
#include "ir/graph_index.h"
#include "passes/quant_ops.h"
#include "runtime/executor.h"
#include "support/text.h"

DEFINE_string(model_a, "", "Reference model (e.g. the fake-quant model)");
DEFINE_string(model_b, "", "Model to compare (e.g. its INT8 conversion)");
DEFINE_string(input_shape, "", "Input dims N,C,H,W (default: the feed's declared dims with batch 1)");
DEFINE_int32(seed, 1, "Seed of the uniform [-1, 1) random input");
DEFINE_string(image, "", "Use this image instead of random input: resized to the input H x W, channel order as "
              "read (BGR), x/255 then ImageNet mean/std");
DEFINE_int32(num_threads, 1, "Threads");
DEFINE_double(min_cosine, 1.0, "Print only variables whose cosine is below this (1 = all)");

namespace {

using q2i::Status;
using q2i::StatusOr;
using q2i::ir::Program;
using q2i::ir::Tensor;

int Fail(const Status& st) {
  std::fprintf(stderr, "layer_diff: error: %s\n", st.ToString().c_str());
  return 1;
}

bool IsInt8Type(q2i::ir::DataType t) { return t == q2i::ir::DataType::kInt8 || t == q2i::ir::DataType::kUInt8; }

// Variables computed by an op (not weights, not feeds) in program order: FP32 ones, and with
// `with_int8` s8/u8 ones too.
std::vector<std::string> ComputedVars(const Program& p, bool with_int8) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& op : p.ops()) {
    if (op->type() == "feed" || op->type() == "fetch") continue;
    for (const auto& n : op->OutputNames()) {
      const q2i::ir::Var* v = p.FindVar(n);
      if (v == nullptr || v->persistable || !v->dtype) continue;
      if (*v->dtype != q2i::ir::DataType::kFP32 && !(with_int8 && IsInt8Type(*v->dtype))) continue;
      if (seen.insert(n).second) names.push_back(n);
    }
  }
  return names;
}

// The kernel scale (q = x * scale) of an INT8 variable, from its producer; 0 when unknown.
double Int8Scale(const Program& p, const q2i::ir::GraphIndex& index, const std::string& name, int depth = 0) {
  const q2i::ir::Op* op = index.Producer(name);
  if (op == nullptr || depth > 64) return 0;
  const char* attr = op->type() == "quantize" ? "Scale" : "Scale_out";
  if (op->HasAttr(attr)) return op->GetFloat(attr, 0.0).value_or(0.0);
  for (const char* slot : {"X", "Input"}) {  // pool2d, reshape2, transpose2, concat, ...: the input's scale
    if (op->HasInput(slot)) return Int8Scale(p, index, op->Input(slot), depth + 1);
  }
  return 0;
}

// `t` as float32: itself, or an INT8 tensor divided by `scale`.
Tensor AsReal(const Tensor& t, double scale) {
  if (t.dtype() == q2i::ir::DataType::kFP32) return t;
  Tensor r(q2i::ir::DataType::kFP32, t.dims());
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double q = t.dtype() == q2i::ir::DataType::kInt8 ? t.data<int8_t>()[i] : t.data<uint8_t>()[i];
    r.data<float>()[i] = static_cast<float>(q / scale);
  }
  return r;
}

Program WithFetches(const Program& p, const std::vector<std::string>& names) {
  Program out = p.Clone();
  int col = static_cast<int>(p.FetchNames().size());
  for (const auto& n : names) {
    q2i::ir::Op fetch("fetch");
    fetch.SetInput("X", {n});
    fetch.SetOutput("Out", {"fetch"});
    fetch.SetAttr("col", q2i::ir::Attribute::Int(col++));
    out.AddOp(std::move(fetch));
  }
  return out;
}

StatusOr<std::vector<int64_t>> InputDims(const Program& p) {
  if (!FLAGS_input_shape.empty()) {
    return q2i::ParsePositiveDims(FLAGS_input_shape, "--input_shape");
  }
  const auto feeds = p.FeedNames();
  if (feeds.size() != 1) return q2i::Unsupported("models with ", feeds.size(), " inputs");
  std::vector<int64_t> d = p.FindVar(feeds[0])->dims;
  if (!d.empty()) d[0] = 1;
  for (int64_t x : d)
    if (x <= 0) return q2i::InvalidArgument("the input has unknown dims: give --input_shape");
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("layer_diff --model_a=DIR --model_b=DIR [--input_shape=1,3,224,224]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_model_a.empty() || FLAGS_model_b.empty()) return Fail(q2i::InvalidArgument("--model_a and --model_b are required"));
  auto a = q2i::converter::LoadModel({FLAGS_model_a, "", ""});
  if (!a.ok()) return Fail(a.status());
  auto b = q2i::converter::LoadModel({FLAGS_model_b, "", ""});
  if (!b.ok()) return Fail(b.status());
  // B's variable for each real-valued tensor name: itself when FP32, else the first int8 carrier.
  q2i::ir::GraphIndex index(*b);
  std::map<std::string, std::string> in_b;
  for (const auto& n : ComputedVars(*b, /*with_int8=*/true)) {
    const q2i::ir::Var* v = b->FindVar(n);
    if (!IsInt8Type(*v->dtype)) {
      in_b[n] = n;
      continue;
    }
    const size_t at = n.rfind(q2i::passes::kInt8Suffix);
    if (at == std::string::npos || Int8Scale(*b, index, n) <= 0) continue;
    const std::string rest = n.substr(at + std::string(q2i::passes::kInt8Suffix).size());
    if (!rest.empty() && (rest[0] != '_' || rest.find_first_not_of("0123456789", 1) != std::string::npos)) continue;
    in_b.emplace(n.substr(0, at), n);
  }
  std::vector<std::string> common, common_b;
  for (const auto& n : ComputedVars(*a, /*with_int8=*/false)) {
    auto it = in_b.find(n);
    if (it == in_b.end()) continue;
    common.push_back(n);
    common_b.push_back(it->second);
  }
  auto dims = InputDims(*a);
  if (!dims.ok()) return Fail(dims.status());
  Tensor input(q2i::ir::DataType::kFP32, *dims);
  std::mt19937 gen(static_cast<uint32_t>(FLAGS_seed));
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (int64_t i = 0; i < input.numel(); ++i) input.data<float>()[i] = dist(gen);
  if (!FLAGS_image.empty()) {
    if (dims->size() != 4 || (*dims)[1] != 3) return Fail(q2i::InvalidArgument("--image needs an N,3,H,W input"));
    cv::Mat img = cv::imread(FLAGS_image, cv::IMREAD_COLOR);
    if (img.empty()) return Fail(q2i::NotFound("cannot read image '", FLAGS_image, "'"));
    const int h = static_cast<int>((*dims)[2]), w = static_cast<int>((*dims)[3]);
    cv::resize(img, img, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
    const double mean[3] = {0.485, 0.456, 0.406}, stdv[3] = {0.229, 0.224, 0.225};
    for (int64_t n = 0; n < (*dims)[0]; ++n)
      for (int c = 0; c < 3; ++c)
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x)
            input.data<float>()[((n * 3 + c) * h + y) * w + x] =
                static_cast<float>((img.at<cv::Vec3b>(y, x)[c] / 255.0 - mean[c]) / stdv[c]);
  }
  std::vector<std::vector<Tensor>> outs;
  for (const Program* p : {&*a, &*b}) {
    Program probe = WithFetches(*p, p == &*a ? common : common_b);
    auto exec = q2i::runtime::Executor::Create(probe, {.num_threads = FLAGS_num_threads, .profile = false,
                                                       .max_cached_plans = 1, .registry = nullptr});
    if (!exec.ok()) return Fail(exec.status());
    auto r = (*exec)->Run({input});
    if (!r.ok()) return Fail(r.status());
    outs.push_back(std::move(r).value());
  }
  const size_t base_a = a->FetchNames().size(), base_b = b->FetchNames().size();
  std::printf("%-48s %-24s %10s %12s\n", "variable", "producer in B", "cosine", "max|diff|");
  for (size_t i = 0; i < common.size(); ++i) {
    const Tensor& x = outs[0][base_a + i];
    const Tensor y = AsReal(outs[1][base_b + i], Int8Scale(*b, index, common_b[i]));
    if (x.dims() != y.dims()) {
      std::printf("%-48s shapes differ\n", common[i].c_str());
      continue;
    }
    double dot = 0, nx = 0, ny = 0, m = 0;
    for (int64_t k = 0; k < x.numel(); ++k) {
      const double p = x.data<float>()[k], q = y.data<float>()[k];
      dot += p * q;
      nx += p * p;
      ny += q * q;
      m = std::max(m, std::fabs(p - q));
    }
    const double cos = (nx > 0 && ny > 0) ? dot / std::sqrt(nx * ny) : (nx == ny ? 1.0 : 0.0);
    if (cos >= FLAGS_min_cosine && FLAGS_min_cosine < 1.0) continue;
    const q2i::ir::Op* producer = index.Producer(common_b[i]);
    std::string who = producer ? producer->type() + "(" + std::to_string(producer->id()) + ")" : "?";
    if (y.dtype() != outs[1][base_b + i].dtype()) who += " int8";
    std::printf("%-48s %-24s %10.6f %12.5g\n", common[i].c_str(), who.c_str(), cos, m);
  }
  return 0;
}
