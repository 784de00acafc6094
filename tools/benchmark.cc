// benchmark: FP32 vs INT8 latency of two models in one process, on the same random inputs, run
// alternately so that both see the same machine state. Prints `fp32_ms=X int8_ms=Y speedup=Z` (medians
// per batch) with min/p90, and with --profile the per-op time shares, kernel vs wall time (the
// executor's own overhead) and the reorders executed; with --floor, every convolution next to the same
// convolution run as a bare oneDNN primitive (runtime/primitive_floor.h), and the sums.
#include <gflags/gflags.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <utility>

#include "converter/model_io.h"
#include "runtime/executor.h"
#include "runtime/mac_peak.h"
#include "runtime/primitive_floor.h"
#include "support/stats.h"
#include "support/text.h"

DEFINE_string(fp32_model, "", "FP32 model directory (e.g. from save_quant_model --fp32_model_save_path)");
DEFINE_string(int8_model, "", "INT8 model directory (from save_quant_model)");
DEFINE_int32(batch_size, 1, "Batch size");
DEFINE_int32(num_threads, 1, "oneDNN/OpenMP threads");
DEFINE_int32(repeat, 200, "Timed runs of each model");
DEFINE_int32(warmup, 20, "Untimed runs of each model first");
DEFINE_string(input_shape, "", "Per-sample input dims C,H,W for models with dynamic H/W");
DEFINE_bool(profile, false, "Print per-op time, kernel vs wall time and reorders");
DEFINE_bool(floor, false, "Compare every convolution with the same bare oneDNN primitive timed alone");
DEFINE_int32(floor_repeat, 50, "Timed runs of each bare primitive for --floor");
DEFINE_string(conv_impl, "tuned",
              "Convolution implementations: 'tuned' (this project's measured choice), 'library' (oneDNN's first), "
              "or 'both': the INT8 model runs both ways, alternating, and their ratio is printed");

namespace {

using q2i::Status;
using q2i::StatusOr;

int Fail(const Status& st) {
  std::fprintf(stderr, "benchmark: error: %s\n", st.ToString().c_str());
  return 1;
}

// The feed's dims with the batch set and unknown dims taken from --input_shape.
StatusOr<std::vector<int64_t>> FeedDims(const q2i::ir::Program& p, const std::string& feed) {
  const q2i::ir::Var* v = p.FindVar(feed);
  if (v == nullptr || v->dims.empty()) return q2i::InvalidModel("feed '", feed, "' has no declared dims");
  std::vector<int64_t> dims = v->dims;
  dims[0] = FLAGS_batch_size;
  if (!FLAGS_input_shape.empty()) {
    Q2I_ASSIGN_OR_RETURN(auto sample, q2i::ParsePositiveDims(FLAGS_input_shape, "--input_shape"));
    if (sample.size() + 1 != dims.size())
      return q2i::InvalidArgument("--input_shape has ", sample.size(), " dims, feed '", feed, "' needs ", dims.size() - 1);
    std::copy(sample.begin(), sample.end(), dims.begin() + 1);
  }
  for (int64_t d : dims)
    if (d <= 0) return q2i::InvalidArgument("feed '", feed, "' has unknown dims: give --input_shape");
  return dims;
}

struct Model {
  std::string name;
  q2i::ir::Program program;
  std::unique_ptr<q2i::runtime::Executor> exec;
  std::vector<q2i::ir::Tensor> feeds, outputs;
  std::vector<double> ms;
};

Status Load(Model& m, const std::string& path, q2i::runtime::ConvImplPolicy conv_impl) {
  if (path.empty()) return q2i::InvalidArgument("--", m.name, "_model is required");
  Q2I_ASSIGN_OR_RETURN(m.program, q2i::converter::LoadModel({path, "", ""}));
  Q2I_ASSIGN_OR_RETURN(m.exec, q2i::runtime::Executor::Create(
                                   m.program, {.num_threads = FLAGS_num_threads, .profile = FLAGS_profile || FLAGS_floor,
                                               .max_cached_plans = 8, .registry = nullptr, .conv_impl = conv_impl}));
  std::mt19937 gen(2024);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (const auto& feed : m.exec->feed_names()) {
    Q2I_ASSIGN_OR_RETURN(auto dims, FeedDims(m.program, feed));
    q2i::ir::Tensor t(q2i::ir::DataType::kFP32, dims);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(gen);
    m.feeds.push_back(std::move(t));
  }
  return q2i::OkStatus();
}

Status TimeOnce(Model& m, bool record) {
  auto start = std::chrono::steady_clock::now();
  Status st = m.exec->Run(m.feeds, m.outputs);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!st.ok()) return st.WithContext(m.name + " model");
  if (record) m.ms.push_back(ms);
  return q2i::OkStatus();
}

// How close the convolutions run to the machine: their multiply-adds at this core's measured peak
// (runtime/mac_peak.h) times the threads, against the floor and our kernels.
void PrintPeakShare(const std::string& name, const std::vector<q2i::runtime::ConvFloor>& floor, double floor_ms,
                    double ours_ms) {
  using q2i::runtime::MacKind;
  static const StatusOr<double> int8_peak = q2i::runtime::MeasureMacPeakPerCore(MacKind::kInt8, 0.2);
  static const StatusOr<double> fp32_peak = q2i::runtime::MeasureMacPeakPerCore(MacKind::kFp32, 0.2);
  for (const StatusOr<double>* peak : {&int8_peak, &fp32_peak}) {
    if (!peak->ok()) {
      std::printf("%s peak: unavailable (%s)\n", name.c_str(), peak->status().ToString().c_str());
      return;
    }
  }
  double macs = 0, peak_ms = 0;
  for (const auto& c : floor) {
    macs += static_cast<double>(c.macs);
    peak_ms += static_cast<double>(c.macs) / ((c.int8 ? *int8_peak : *fp32_peak) * 1e9 * FLAGS_num_threads) * 1e3;
  }
  std::printf("%s macs=%.3fG peak_ms=%.3f (one core: int8 %.1f, fp32 %.1f GMAC/s; x%d threads) floor at %.0f%% "
              "of peak, conv kernels at %.0f%%\n",
              name.c_str(), macs / 1e9, peak_ms, *int8_peak, *fp32_peak, FLAGS_num_threads, 100 * peak_ms / floor_ms,
              100 * peak_ms / ours_ms);
}

// Per convolution: our profiled kernel time next to the bare primitive's; then the sums against wall
// time. Returns the floor and cold-weights sums (ms per run).
StatusOr<std::pair<double, double>> PrintFloor(const Model& m, double median_ms) {
  Q2I_ASSIGN_OR_RETURN(auto floor, q2i::runtime::MeasureConvFloor(*m.exec, {.warmup = 5, .repeat = FLAGS_floor_repeat}));
  const q2i::runtime::ProfileReport report = m.exec->profile();
  std::map<size_t, double> ours;
  for (const auto& op : report.ops) ours[op.op_index] = op.total_ms / static_cast<double>(op.count);
  std::printf("--- %s: %zu convolutions, ours (profiled kernel) vs bare oneDNN primitive (median)\n", m.name.c_str(),
              floor.size());
  std::printf("%-16s %-60s %8s %8s %8s %8s %8s %6s %6s\n", "op", "shape", "ours", "floor", "cold", "seq", "wread",
              "/floor", "/cold");
  double floor_sum = 0, cold_sum = 0, seq_sum = 0, read_sum = 0, ours_sum = 0;
  size_t weight_bytes = 0;
  for (const auto& c : floor) {
    const double o = ours.count(c.op_index) ? ours[c.op_index] : 0.0;
    floor_sum += c.floor_ms;
    cold_sum += c.cold_ms;
    seq_sum += c.sequence_ms;
    read_sum += c.weights_read_ms;
    ours_sum += o;
    weight_bytes += c.weight_bytes;
    std::printf("%-16s %-60s %8.4f %8.4f %8.4f %8.4f %8.4f %6.2f %6.2f\n", c.op.c_str(), c.shape.c_str(), o,
                c.floor_ms, c.cold_ms, c.sequence_ms, c.weights_read_ms, o / c.floor_ms, o / c.cold_ms);
  }
  const double wall = report.runs ? report.wall_ms / static_cast<double>(report.runs) : 0.0;
  const double weights_mb = static_cast<double>(weight_bytes) / 1e6;
  std::printf("%s_floor_ms=%.3f cold_weights_ms=%.3f sequence_ms=%.3f weights_mb=%.1f weights_read_ms=%.3f (%.1f GB/s)\n",
              m.name.c_str(), floor_sum, cold_sum, seq_sum, weights_mb, read_sum,
              read_sum > 0 ? weights_mb / read_sum : 0.0);
  std::printf("%s conv_kernels_ms=%.3f (%.2fx floor, %.2fx cold) median_ms=%.3f (%.2fx floor, %.2fx cold) "
              "wall_mean_ms=%.3f\n", m.name.c_str(), ours_sum, ours_sum / floor_sum, ours_sum / cold_sum, median_ms,
              median_ms / floor_sum, median_ms / cold_sum, wall);
  std::printf("%s conv_kernels_ms / (floor_ms + weights_read_ms) = %.2f\n", m.name.c_str(),
              ours_sum / (floor_sum + read_sum));
  PrintPeakShare(m.name, floor, floor_sum, ours_sum);
  return std::make_pair(floor_sum, cold_sum);
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("benchmark --fp32_model=DIR --int8_model=DIR [--batch_size=1] [--num_threads=1] "
                          "[--repeat=200] [--warmup=20] [--input_shape=C,H,W] [--profile] [--floor] "
                          "[--conv_impl=tuned|library|both]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_batch_size <= 0 || FLAGS_repeat <= 0 || FLAGS_warmup < 0 || FLAGS_num_threads <= 0)
    return Fail(q2i::InvalidArgument("--batch_size, --repeat and --num_threads must be positive"));
  using q2i::runtime::ConvImplPolicy;
  const bool both = FLAGS_conv_impl == "both";
  const StatusOr<ConvImplPolicy> policy = both ? ConvImplPolicy::kTuned
                                               : q2i::runtime::ParseConvImplPolicy(FLAGS_conv_impl);
  if (!policy.ok()) return Fail(policy.status().WithContext("--conv_impl (or 'both')"));
  Model fp32, int8, int8_library;
  fp32.name = "fp32";
  int8.name = "int8";
  int8_library.name = "int8_library";
  Status st = Load(fp32, FLAGS_fp32_model, *policy);
  if (st.ok()) st = Load(int8, FLAGS_int8_model, *policy);
  if (st.ok() && both) st = Load(int8_library, FLAGS_int8_model, ConvImplPolicy::kLibraryDefault);
  if (!st.ok()) return Fail(st);
  // The two INT8 runs swap places every round: a run right after the other INT8 one finds its shared JIT
  // code warm.
  auto time_all = [&](int round, bool record) {
    Model* first = &int8;
    Model* other = &int8_library;
    if (both && round % 2) std::swap(first, other);
    Status s = TimeOnce(fp32, record);
    if (s.ok()) s = TimeOnce(*first, record);
    if (s.ok() && both) s = TimeOnce(*other, record);
    return s;
  };
  for (int i = 0; i < FLAGS_warmup && st.ok(); ++i) st = time_all(i, false);
  fp32.exec->ResetProfile();
  int8.exec->ResetProfile();
  for (int i = 0; i < FLAGS_repeat && st.ok(); ++i) st = time_all(i, true);
  if (!st.ok()) return Fail(st);
  const double f = q2i::Percentile(fp32.ms, 0.5), q = q2i::Percentile(int8.ms, 0.5);
  std::printf("batch_size=%d num_threads=%d repeat=%d conv_impl=%s\n", FLAGS_batch_size, FLAGS_num_threads,
              FLAGS_repeat, FLAGS_conv_impl.c_str());
  std::printf("fp32: median %.3f ms  min %.3f  p90 %.3f\n", f, q2i::Percentile(fp32.ms, 0), q2i::Percentile(fp32.ms, 0.9));
  std::printf("int8: median %.3f ms  min %.3f  p90 %.3f\n", q, q2i::Percentile(int8.ms, 0), q2i::Percentile(int8.ms, 0.9));
  std::printf("fp32_ms=%.3f int8_ms=%.3f speedup=%.2f\n", f, q, f / q);
  if (both) {
    const double l = q2i::Percentile(int8_library.ms, 0.5);
    std::printf("int8_library_ms=%.3f speedup_library=%.2f tuned_gain=%.3f (int8_library / int8)\n", l, f / l, l / q);
  }
  if (FLAGS_profile) {
    for (const Model* m : {&fp32, &int8}) {
      std::cout << "--- " << m->name << " profile\n" << m->exec->profile().ToString();
      // Kernels that chose an implementation other than their op's usual one (e.g. dw_conv_u8).
      auto stats = m->exec->CurrentPlanStats();
      if (!stats.ok()) return Fail(stats.status());
      std::cout << "kernel variants:";
      if (stats->variant_steps.empty()) std::cout << " none";
      for (const auto& [name, count] : stats->variant_steps) std::cout << " " << name << "=" << count;
      std::cout << "; steps prefetching the next one's weights: " << stats->num_weight_prefetch_links << "\n";
    }
  }
  if (FLAGS_floor) {
    auto ff = PrintFloor(fp32, f);
    if (!ff.ok()) return Fail(ff.status());
    auto qf = PrintFloor(int8, q);
    if (!qf.ok()) return Fail(qf.status());
    std::printf("floor_speedup=%.2f (fp32 floor / int8 floor) cold_speedup=%.2f\n", ff->first / qf->first,
                ff->second / qf->second);
  }
  return 0;
}
