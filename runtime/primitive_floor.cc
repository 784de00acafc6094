#include "runtime/primitive_floor.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "runtime/dnnl_utils.h"
#include "runtime/kernels/common.h"
#include "runtime/kernels/training_rounding.h"
#include "support/stats.h"

namespace q2i::runtime {
namespace {

using dt = memory::data_type;
using tag = memory::format_tag;

std::string DimsText(const std::vector<int64_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

// A zero-filled memory of `md` (zeros: no denormals, no effect on the speed of these kernels).
memory ZeroMemory(const memory::desc& md, const dnnl::engine& engine) {
  memory m(md, engine);
  std::memset(m.get_data_handle(), 0, md.get_size());
  return m;
}

struct BareConv {
  dnnl::convolution_forward prim;
  std::unordered_map<int, memory> args;
  std::string shape;
  int64_t macs = 0;
  bool int8 = false;
};

StatusOr<BareConv> MakeBareConv(const Executor& exec, size_t op_index, const dnnl::engine& engine) {
  const ir::Op& op = exec.program().op(op_index);
  Q2I_ASSIGN_OR_RETURN(Executor::PlannedValue in, exec.PlannedArgument(op_index, false, "Input"));
  Q2I_ASSIGN_OR_RETURN(Executor::PlannedValue out, exec.PlannedArgument(op_index, true, "Output"));
  // The filter as planned: a parameter, or a folded value (fake-quant programs compute it from one).
  Q2I_ASSIGN_OR_RETURN(Executor::PlannedValue filter, exec.PlannedArgument(op_index, false, "Filter"));
  if (filter.dims.size() != 4 || in.dims.size() != 4 || out.dims.size() != 4) {
    return Unsupported(op.DebugName(), ": not a 4-D convolution");
  }
  const std::vector<int64_t>& f = filter.dims;
  Q2I_ASSIGN_OR_RETURN(int64_t groups, op.GetInt("groups", 1));
  Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> strides, kernels::GetIntsN(op, "strides", 2, {1, 1}));
  Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> dilations, kernels::GetIntsN(op, "dilations", 2, {1, 1}));
  Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> paddings, op.GetInts("paddings", std::vector<int64_t>{0, 0}));
  Q2I_ASSIGN_OR_RETURN(std::string algo, op.GetString("padding_algorithm", "EXPLICIT"));
  Q2I_ASSIGN_OR_RETURN(kernels::Padding2D pad, kernels::ResolvePadding(op, paddings, algo, {in.dims[2], in.dims[3]},
                                                                       {f[2], f[3]}, strides, &dilations));
  Q2I_ASSIGN_OR_RETURN(kernels::Activation act, kernels::FusedActivation(op));
  Q2I_ASSIGN_OR_RETURN(bool residual, op.GetBool("fuse_residual_connection", false));
  const auto src_dt = ToDnnlType(in.dtype), dst_dt = ToDnnlType(out.dtype);
  if (!src_dt || !dst_dt) return Unsupported(op.DebugName(), ": element types oneDNN lacks");
  const bool int8 = *src_dt == dt::u8 || *src_dt == dt::s8;

  memory::dims w_dims = groups > 1 ? memory::dims{groups, f[0] / groups, f[1], f[2], f[3]}
                                   : memory::dims{f[0], f[1], f[2], f[3]};
  const memory::desc src(ToDnnlDims(in.dims), *src_dt, tag::any), dst(ToDnnlDims(out.dims), *dst_dt, tag::any);
  const memory::desc wei(w_dims, int8 ? dt::s8 : dt::f32, tag::any);
  const bool has_bias = op.HasInput("Bias");
  const memory::desc bias = has_bias ? memory::desc({f[0]}, dt::f32, tag::x) : memory::desc();
  dnnl::primitive_attr attr;
  if (int8) attr.set_output_scales(2, std::vector<float>(static_cast<size_t>(f[0]), 0.01f));
  // The same post-op chain as the kernel's (the roundings training did included; their scales do not
  // matter for speed).
  kernels::TrainingRounding rounding;
  if (int8) {
    Q2I_ASSIGN_OR_RETURN(rounding, kernels::ReadTrainingRounding(op, residual, act, 1.f));
  }
  dnnl::post_ops post;
  kernels::AppendPreSumRounding(post, rounding);
  if (residual) post.append_sum(1.f);
  kernels::AppendPostSumRoundingAndActivation(post, rounding, act);
  attr.set_post_ops(post);
  const memory::dims dil = {dilations[0] - 1, dilations[1] - 1};
  try {
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
                                      wei, bias, dst, {strides[0], strides[1]}, dil, {pad.top, pad.left},
                                      {pad.bottom, pad.right});
    dnnl::convolution_forward::primitive_desc pd(d, attr, engine);
    BareConv c;
    c.prim = dnnl::convolution_forward(pd);
    c.args = {{DNNL_ARG_SRC, ZeroMemory(pd.src_desc(), engine)},
              {DNNL_ARG_WEIGHTS, ZeroMemory(pd.weights_desc(), engine)},
              {DNNL_ARG_DST, ZeroMemory(pd.dst_desc(), engine)}};
    if (has_bias) c.args[DNNL_ARG_BIAS] = ZeroMemory(pd.bias_desc(), engine);
    std::ostringstream s;
    s << DimsText(in.dims) << " " << ir::DataTypeName(in.dtype) << " -> " << DimsText(out.dims) << " "
      << ir::DataTypeName(out.dtype) << ", k" << f[2] << "x" << f[3] << " s" << strides[0] << " g" << groups;
    if (rounding.pre_residual) s << " +round";
    if (residual) s << " +sum";
    if (rounding.pre_activation) s << " +round";
    if (!act.empty()) s << " +" << act.name;
    c.shape = s.str();
    c.macs = out.dims[0] * out.dims[1] * out.dims[2] * out.dims[3] * f[1] * f[2] * f[3];
    c.int8 = int8;
    return c;
  } catch (const dnnl::error& e) {
    return Unsupported(op.DebugName(), ": oneDNN cannot create the bare convolution: ", e.what());
  }
}

// Writes back and evicts `bytes` at `p` from every cache level.
void FlushFromCaches(const void* p, size_t bytes) {
#if defined(__x86_64__) || defined(__i386__)
  const char* c = static_cast<const char*>(p);
  for (size_t i = 0; i < bytes; i += 64) _mm_clflush(c + i);
  _mm_mfence();
#else
  (void)p;
  (void)bytes;
#endif
}

// The primitive's weights and bias (the constant operands a network streams in once per pass).
std::vector<const memory*> WeightMemories(const BareConv& c) {
  std::vector<const memory*> v;
  for (int arg : {DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS}) {
    auto it = c.args.find(arg);
    if (it != c.args.end()) v.push_back(&it->second);
  }
  return v;
}

// Reads one word of every cache line of `bytes` at `p`; the sum keeps the loads alive.
uint64_t ReadEveryLine(const void* p, size_t bytes) {
  const char* c = static_cast<const char*>(p);
  uint64_t sum = 0;
  for (size_t i = 0; i + sizeof(uint64_t) <= bytes; i += 64) {
    uint64_t v;
    std::memcpy(&v, c + i, sizeof(v));
    sum += v;
  }
  return sum;
}

enum class Mode { kAlone, kColdWeights, kSequence, kWeightsRead };

// Runs `convs[i]` (or, for kWeightsRead, only reads its flushed weights) and appends its time to `ms[i]`
// for every i, `rounds` times: all rounds of one primitive before the next (alone, cold weights,
// weights read), or all primitives in order in each round.
void TimeRounds(std::vector<BareConv>& convs, dnnl::stream& stream, int rounds, Mode mode,
                std::vector<std::vector<double>>* ms) {
  volatile uint64_t sink = 0;
  auto run = [&](size_t i) {
    const bool touches_weights = mode == Mode::kColdWeights || mode == Mode::kWeightsRead;
    const std::vector<const memory*> weights = touches_weights ? WeightMemories(convs[i]) : std::vector<const memory*>();
    for (const memory* m : weights) FlushFromCaches(m->get_data_handle(), m->get_desc().get_size());
    const auto t0 = std::chrono::steady_clock::now();
    if (mode == Mode::kWeightsRead) {
      for (const memory* m : weights) sink = sink + ReadEveryLine(m->get_data_handle(), m->get_desc().get_size());
    } else {
      convs[i].prim.execute(stream, convs[i].args);
      stream.wait();
    }
    if (ms != nullptr) {
      (*ms)[i].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  };
  if (mode != Mode::kSequence) {
    for (size_t i = 0; i < convs.size(); ++i)
      for (int r = 0; r < rounds; ++r) run(i);
  } else {
    for (int r = 0; r < rounds; ++r)
      for (size_t i = 0; i < convs.size(); ++i) run(i);
  }
}

}  // namespace

StatusOr<std::vector<ConvFloor>> MeasureConvFloor(const Executor& exec, const FloorOptions& options) {
  if (options.repeat <= 0 || options.warmup < 0) return InvalidArgument("floor repeat must be > 0, warmup >= 0");
  Q2I_RETURN_IF_ERROR(exec.CurrentPlanStats().status());
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  std::vector<ConvFloor> result;
  std::vector<BareConv> convs;
  const ir::Program& program = exec.program();
  for (size_t i = 0; i < program.num_ops(); ++i) {
    const std::string& type = program.op(i).type();
    if (type != "conv2d" && type != "depthwise_conv2d") continue;
    if (!exec.PlannedArgument(i, true, "Output").ok()) continue;  // folded or not run
    Q2I_ASSIGN_OR_RETURN(BareConv c, MakeBareConv(exec, i, engine));
    ConvFloor f;
    f.op_index = i;
    f.op = program.op(i).DebugName();
    f.shape = c.shape;
    f.macs = c.macs;
    f.int8 = c.int8;
    for (const memory* m : WeightMemories(c)) f.weight_bytes += m->get_desc().get_size();
    result.push_back(std::move(f));
    convs.push_back(std::move(c));
  }
  const std::pair<Mode, double ConvFloor::*> timings[] = {{Mode::kAlone, &ConvFloor::floor_ms},
                                                          {Mode::kColdWeights, &ConvFloor::cold_ms},
                                                          {Mode::kSequence, &ConvFloor::sequence_ms},
                                                          {Mode::kWeightsRead, &ConvFloor::weights_read_ms}};
  for (const auto& [mode, field] : timings) {
    std::vector<std::vector<double>> ms(convs.size());
    TimeRounds(convs, stream, options.warmup, mode, nullptr);
    TimeRounds(convs, stream, options.repeat, mode, &ms);
    for (size_t i = 0; i < convs.size(); ++i) result[i].*field = Median(ms[i]);
  }
  return result;
}

}  // namespace q2i::runtime
