// save_quant_model: converts a PaddleSlim fake-quant model (QAT or post-training) into an INT8 oneDNN
// program in Paddle's format, like Paddle's save_quant_model.py + Quant2Int8MkldnnPass.
#include <gflags/gflags.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "converter/model_io.h"
#include "passes/pipelines.h"
#include "support/text.h"

DEFINE_string(quant_model_path, "", "Input fake-quant model (directory, <prefix> or .pdmodel file)");
DEFINE_string(quant_model_filename, "", "Program file name inside --quant_model_path (default: detect)");
DEFINE_string(quant_params_filename, "", "Combined params file inside --quant_model_path (empty: separate files)");
DEFINE_string(int8_model_save_path, "", "Output directory of the INT8 model");
DEFINE_string(save_model_filename, "__model__", "Program file name of the output");
DEFINE_string(save_params_filename, "", "Combined params file name of the output (empty: one file per variable)");
DEFINE_string(ops_to_quantize, "", "Comma-separated op types to quantize (empty: every supported type with scales)");
DEFINE_string(op_ids_to_skip, "", "Comma-separated op ids (as shown in the --debug dumps) that stay FP32");
DEFINE_bool(debug, false, "Write quant_orig.dot and int8_<NN>_<pass>.dot after every pass (and .svg with graphviz)");
DEFINE_string(debug_dir, ".", "Directory for the --debug dumps");
DEFINE_bool(unsigned_relu, false,
            "Paddle's behaviour: relu-like outputs as u8 even where training quantized them as signed s8");
DEFINE_bool(round_residual_inputs, true,
            "Round a conv's result before its fused residual add where training did (false: Paddle's single "
            "rounding, about 2% faster, further from the fake-quant model)");
DEFINE_bool(double_rounding, false,
            "Also round a fused relu's input where training did with its own scale (a little closer to the "
            "fake-quant model, slower)");
DEFINE_bool(save_int8_weights, false, "Store INT8 conv/fc filters as s8 (about 4x smaller; identical results)");
DEFINE_string(fp32_model_save_path, "", "Also write the same model cleaned and fused but not quantized");
DEFINE_bool(pass_stats, false, "Print per-pass time and counters");
DEFINE_bool(remarks, false, "Print every remark (why a pattern did not apply, why an op stayed FP32)");

namespace {

using q2i::Status;
using q2i::StatusOr;

int Fail(const Status& st) {
  std::fprintf(stderr, "save_quant_model: error: %s\n", st.ToString().c_str());
  return 1;
}

StatusOr<q2i::passes::QuantizeOptions> ParseQuantizeOptions() {
  q2i::passes::QuantizeOptions o;
  o.unsigned_relu_outputs = FLAGS_unsigned_relu;
  o.double_rounding = FLAGS_double_rounding;
  o.round_residual_inputs = FLAGS_round_residual_inputs;
  for (const auto& t : q2i::SplitList(FLAGS_ops_to_quantize)) o.ops_to_quantize.insert(t);
  for (const auto& id : q2i::SplitList(FLAGS_op_ids_to_skip)) {
    char* end = nullptr;
    long long v = std::strtoll(id.c_str(), &end, 10);
    if (end == id.c_str() || *end != '\0') return q2i::InvalidArgument("--op_ids_to_skip: '", id, "' is not an integer");
    if (v == -1) continue;  // Paddle's "none"
    if (v < 0) return q2i::InvalidArgument("--op_ids_to_skip: ", v, " is not a valid op id");
    o.op_ids_to_skip.insert(v);
  }
  return o;
}

void PrintRemarks(const q2i::passes::PassContext& ctx) {
  for (const auto& r : ctx.remarks())
    std::cout << "remark [" << r.pass << "] " << r.op_type << "(" << r.op_id << "): " << r.message << "\n";
}

Status RunPipeline(q2i::ir::Program& program, bool int8, q2i::passes::PassContext& ctx, bool debug) {
  q2i::passes::PassManagerOptions pm_options;
  pm_options.verifier = q2i::passes::VerifyAfterPass;
  if (debug) {
    pm_options.dump_dir = FLAGS_debug_dir;
    pm_options.dump_prefix = int8 ? "int8" : "fp32";
    pm_options.dump_orig_name = int8 ? "quant_orig" : "fp32_orig";
  }
  q2i::passes::PassManager pm(pm_options);
  if (int8) {
    q2i::passes::BuildInt8Pipeline(pm, {.save_int8_weights = FLAGS_save_int8_weights, .stop_after = ""});
  } else {
    q2i::passes::BuildFp32Pipeline(pm);
  }
  Status st = pm.Run(program, ctx);
  if (FLAGS_pass_stats) std::cout << pm.StatsReport(ctx);
  return st;
}

// Wall time since `start` and the process's peak resident memory, against the input's weight bytes.
void PrintConversionCost(std::chrono::steady_clock::time_point start, size_t weight_bytes) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double peak_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
  const double weights_mb = static_cast<double>(weight_bytes) / (1024.0 * 1024.0);
  std::printf("conversion: %.2f s, peak memory %.1f MB, %.2fx the input's %.1f MB of weights\n", seconds, peak_mb,
              weights_mb > 0 ? peak_mb / weights_mb : 0.0, weights_mb);
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "save_quant_model --quant_model_path=DIR --int8_model_save_path=DIR [--ops_to_quantize=conv2d,fc] "
      "[--op_ids_to_skip=12,40] [--debug]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_quant_model_path.empty()) return Fail(q2i::InvalidArgument("--quant_model_path is required"));
  if (FLAGS_int8_model_save_path.empty()) return Fail(q2i::InvalidArgument("--int8_model_save_path is required"));
  std::cout << "ops_to_quantize: '" << FLAGS_ops_to_quantize << "'\n";
  std::cout << "op_ids_to_skip: '" << FLAGS_op_ids_to_skip << "'\n";
  auto options = ParseQuantizeOptions();
  if (!options.ok()) return Fail(options.status());

  const auto start = std::chrono::steady_clock::now();
  q2i::converter::ModelLocation location{FLAGS_quant_model_path, FLAGS_quant_model_filename,
                                         FLAGS_quant_params_filename};
  auto loaded = q2i::converter::LoadModel(location);
  if (!loaded.ok()) return Fail(loaded.status());
  const size_t weight_bytes = loaded->ParamBytes();

  if (!FLAGS_fp32_model_save_path.empty()) {
    q2i::ir::Program fp32 = loaded->Clone();
    q2i::passes::PassContext ctx;
    Status st = RunPipeline(fp32, /*int8=*/false, ctx, FLAGS_debug);
    if (!st.ok()) return Fail(st);
    st = q2i::converter::SaveModel(fp32, FLAGS_fp32_model_save_path,
                                   {FLAGS_save_model_filename, FLAGS_save_params_filename});
    if (!st.ok()) return Fail(st);
    std::cout << "FP32 baseline (fused, not quantized) saved to " << FLAGS_fp32_model_save_path << "\n";
  }

  q2i::ir::Program& program = *loaded;
  q2i::passes::PassContext ctx(*options);
  Status st = RunPipeline(program, /*int8=*/true, ctx, FLAGS_debug);
  if (FLAGS_remarks) PrintRemarks(ctx);
  if (!st.ok()) return Fail(st);
  std::cout << q2i::passes::Int8Summary(program, ctx);
  st = q2i::converter::SaveModel(program, FLAGS_int8_model_save_path,
                                 {FLAGS_save_model_filename, FLAGS_save_params_filename});
  if (!st.ok()) return Fail(st);
  PrintConversionCost(start, weight_bytes);
  std::cout << "Success! INT8 model obtained from the Quant model can be found at " << FLAGS_int8_model_save_path
            << "\n";
  return 0;
}
