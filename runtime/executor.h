// Executor: runs an ir::Program on the CPU with oneDNN. Prepares once per input-shape signature (shape
// inference, primitives, weights reordered once into their preferred layouts, a liveness-planned
// arena), then runs many times without allocating (except the returned output tensors; use the Run
// overload taking `outputs` to reuse them).
//
//   auto exec = Executor::Create(program, {.num_threads = 2});
//   auto outputs = (*exec)->Run({input});            // feeds in program.FeedNames() order
//
// Feed shapes may change between runs (dynamic batch, H, W): Run prepares a new plan for a new
// signature and keeps up to `max_cached_plans` of them.
//
// Thread safety: an Executor is used by one thread at a time. Several executors may share one const
// ir::Program (it is only read, parameters included).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ir/program.h"
#include "ir/tensor.h"
#include "runtime/kernel_registry.h"
#include "support/status.h"

namespace q2i::runtime {

struct ExecutorOptions {
  int num_threads = 0;               // > 0: omp_set_num_threads(n) in the calling thread before prepare/run
  bool profile = false;              // time every step (see Executor::profile())
  size_t max_cached_plans = 8;       // prepared shape signatures kept
  const KernelRegistry* registry = nullptr;  // nullptr: DefaultKernelRegistry()
  ConvImplPolicy conv_impl = ConvImplPolicy::kTuned;
};

// "tuned" or "library" (the tools' --conv_impl flag); anything else is an InvalidArgument naming the value.
StatusOr<ConvImplPolicy> ParseConvImplPolicy(std::string_view name);

struct OpTypeProfile {
  std::string op_type;  // "conv2d", "conv2d[int8]", "reorder", "copy"
  double total_ms = 0;
  int64_t count = 0;
};

struct OpProfile {
  size_t op_index = 0;
  std::string op;     // Op::DebugName(), as in the dumps
  std::string label;  // its op type label ("conv2d[int8]")
  double total_ms = 0;
  int64_t count = 0;
};

struct ProfileReport {
  std::vector<OpTypeProfile> op_types;  // by total_ms, largest first
  std::vector<OpProfile> ops;           // kernel steps per op, in program order
  double kernel_ms = 0;                 // sum of all step times
  double wall_ms = 0;                   // sum of Run() wall times (feed copies and outputs included)
  int64_t runs = 0;
  int64_t reorders_executed = 0;        // layout reorders run (steps and non-plain fetches)
  int64_t copies_executed = 0;          // residual copies into accumulating outputs
  std::string ToString() const;
};

struct PlanStats {
  int num_steps = 0;          // kernel + reorder + copy steps per run
  int num_kernel_steps = 0;
  int num_reorder_steps = 0;
  int num_copy_steps = 0;
  int num_nchw_to_nhwc_steps = 0;  // reorder steps the executor runs itself (runtime/nchw_to_nhwc.h)
  std::map<std::string, int> variant_steps;  // kernel steps by Kernel::variant(), when not ""
  int num_weight_prefetch_links = 0;  // kernel steps that prefetch the next step's weights as they end
  int num_folded_ops = 0;     // ops computed once at prepare time (all inputs constant)
  int num_alias_values = 0;   // outputs that are views of their input (reshape & co.)
  size_t arena_bytes = 0;     // planned arena
  size_t unshared_bytes = 0;  // what the values would take without buffer reuse
};

class Executor {
 public:
  // `program` must outlive the executor.
  static StatusOr<std::unique_ptr<Executor>> Create(const ir::Program& program, ExecutorOptions options = {});
  // Keeps the program alive.
  static StatusOr<std::unique_ptr<Executor>> Create(std::shared_ptr<const ir::Program> program,
                                                    ExecutorOptions options = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  const std::vector<std::string>& feed_names() const;
  const std::vector<std::string>& fetch_names() const;
  const ir::Program& program() const;

  // Prepares for feeds of these dims (element types from the feed variables, FP32 when undeclared).
  // Optional: Run prepares on demand.
  Status Prepare(const std::vector<std::vector<int64_t>>& input_shapes);
  Status Prepare(const std::vector<std::vector<int64_t>>& input_shapes, const std::vector<ir::DataType>& input_types);

  // Feeds in feed_names() order; outputs in fetch_names() order, always dense row-major.
  StatusOr<std::vector<ir::Tensor>> Run(const std::vector<ir::Tensor>& feeds);
  // Writes into `outputs` (resized to the fetch count); a tensor whose dtype and dims already match is
  // reused in place, so a steady-state loop allocates nothing.
  Status Run(const std::vector<ir::Tensor>& feeds, std::vector<ir::Tensor>& outputs);
  // By name: every feed name must be given; returns every fetch target.
  StatusOr<std::map<std::string, ir::Tensor>> Run(const std::map<std::string, ir::Tensor>& feeds);

  // Of the current plan (the last prepared or run signature); error when nothing was prepared.
  StatusOr<std::vector<std::vector<int64_t>>> OutputShapes() const;
  StatusOr<PlanStats> CurrentPlanStats() const;
  // One line per step: op, layouts of inputs and outputs, reorders.
  std::string DumpPlan() const;
  size_t num_cached_plans() const;

  // Element type and dims of one argument of op `op_index` in the current plan (error when nothing was
  // prepared, the op has no such argument, or the argument is not a runtime value of the plan).
  struct PlannedValue {
    std::string var;
    ir::DataType dtype = ir::DataType::kFP32;
    std::vector<int64_t> dims;
  };
  StatusOr<PlannedValue> PlannedArgument(size_t op_index, bool output, std::string_view slot, int index = 0) const;

  int64_t reorders_executed() const;
  ProfileReport profile() const;
  void ResetProfile();

 private:
  friend class PlanBuilder;
  struct Impl;
  explicit Executor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace q2i::runtime
