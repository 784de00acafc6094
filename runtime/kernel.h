// Kernel: one op's implementation, prepared once per input-shape signature and run many times.
//
// Prepare() (PrepareContext) does everything that may allocate or create: shape inference (each output's
// dtype, dims and physical layout), oneDNN primitive creation, reordering constant weights into the
// primitive's preferred layout, and building argument lists. The memories it obtains from the context
// are stable for the life of the plan: the executor binds their data handles to the planned arena after
// every kernel has prepared. Run() only executes (no allocation, no descriptor creation).
//
// Layouts: a runtime value carries a oneDNN memory::desc that may be blocked (nChw16c, ...). A kernel
// that accepts any layout takes InputMemory(slot); one that needs a specific layout asks for it
// (InputMemoryAs / PlainInputMemory) and the executor inserts a reorder step in front of it (or, for a
// constant, reorders once at prepare time). Outputs may be defined in any layout; fetched values are
// always returned plain.
//
// Constants: parameters and values computable at prepare time (shape, fill_constant, and every op whose
// inputs are all constants, e.g. fake-quant of weights) are constants; kernels read them with
// InputConstant() (a plain ir::Tensor). Ops whose inputs are all constant are run once at prepare time
// and removed from the run list.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "ir/program.h"
#include "ir/tensor.h"
#include "runtime/dnnl_utils.h"
#include "support/status.h"

namespace q2i::runtime {

class PlanBuilder;  // executor internals

// How kernels pick among oneDNN's implementations and this project's own (runtime/kernels/conv_impl.h;
// the own INT8 kernels of docs/runtime.md: convolutions, max pooling, quantize/dequantize/requantize).
enum class ConvImplPolicy {
  kTuned,           // oneDNN's first choice, except where this project measured a faster one
  kLibraryDefault,  // always oneDNN's first choice
};

// What a kernel knows about one of its inputs or outputs.
struct ValueInfo {
  ir::DataType dtype = ir::DataType::kFP32;
  std::vector<int64_t> dims;
  memory::desc md;  // physical layout (byte descriptor for dtypes oneDNN lacks)
  int64_t numel() const;
  bool plain() const { return IsPlain(md); }
};

class PrepareContext {
 public:
  PrepareContext(PlanBuilder* builder, int op_index) : builder_(builder), op_index_(op_index) {}

  const ir::Op& op() const;
  const dnnl::engine& engine() const;
  const dnnl::stream& stream() const;

  // ---- inputs ----
  int NumInputs(std::string_view slot) const;
  // nullptr when the slot or argument is absent (optional inputs).
  const ValueInfo* FindInput(std::string_view slot, int index = 0) const;
  // Like FindInput, but an absent input is an InvalidModel error naming the op and slot.
  StatusOr<const ValueInfo*> Input(std::string_view slot, int index = 0) const;
  // The input's value when known at prepare time (parameters and folded values), else nullptr.
  const ir::Tensor* InputConstant(std::string_view slot, int index = 0) const;
  // The input in its current layout.
  StatusOr<memory> InputMemory(std::string_view slot, int index = 0);
  // The input in layout `md` (same dims and element type, or a reinterpretation with the same byte size
  // when `md` is plain and the input is plain): a reorder is inserted when the layouts differ.
  StatusOr<memory> InputMemoryAs(std::string_view slot, int index, const memory::desc& md);
  // The input in dense row-major layout.
  StatusOr<memory> PlainInputMemory(std::string_view slot, int index = 0);
  // A view of the input's dense row-major bytes through `md` (e.g. a transposed or flattened matrix
  // for matmul): the input is made plain first when it is not; `md` must not reach past its bytes.
  StatusOr<memory> InputView(std::string_view slot, int index, const memory::desc& md);

  // ---- outputs ----
  int NumOutputs(std::string_view slot) const;
  bool HasOutput(std::string_view slot, int index = 0) const;
  // False when nothing reads the output and it is not fetched (a kernel may skip defining it).
  bool IsOutputUsed(std::string_view slot, int index = 0) const;
  // The element type the program declares for the output variable (VarDesc), if any.
  std::optional<ir::DataType> DeclaredOutputType(std::string_view slot, int index = 0) const;
  // A new runtime value in layout `md`.
  StatusOr<memory> DefineOutput(std::string_view slot, int index, ir::DataType dtype, std::vector<int64_t> dims,
                                const memory::desc& md);
  StatusOr<memory> DefinePlainOutput(std::string_view slot, int index, ir::DataType dtype, std::vector<int64_t> dims);
  // The output is a view of a plain input with other dims and the same element count (reshape): no
  // data is moved and the kernel need not run.
  StatusOr<memory> DefineOutputAlias(std::string_view slot, int index, std::vector<int64_t> dims,
                                     std::string_view input_slot, int input_index = 0);
  // The output starts with an input's values (accumulating primitives: the residual of a conv's sum
  // post-op), stored in the output's layout `md` as element type `init_type` (the input's own type for a
  // bitwise start of the same size, e.g. s8 values under a u8 output; else a converting copy). The
  // executor reuses the input's buffer when the input dies here, else inserts a copy. Call after
  // obtaining every other input memory of the op.
  StatusOr<memory> DefineOutputFrom(std::string_view slot, int index, ir::DataType dtype, std::vector<int64_t> dims,
                                    const memory::desc& md, std::string_view input_slot, int input_index,
                                    memory::data_type init_type);
  // The output's value is known now (shape, fill_constant, ...). `value` is plain.
  Status DefineOutputConstant(std::string_view slot, int index, ir::Tensor value);

  // ---- helpers ----
  // Reorders `src` into a new memory of layout `md` now (constant weights); the result is owned by the
  // plan.
  StatusOr<memory> ReorderNow(const memory& src, const memory::desc& md,
                              const dnnl::primitive_attr& attr = dnnl::primitive_attr());
  // Memory owned by the plan, allocated now (weights, lookup tables). Contents uninitialized.
  memory NewOwnedMemory(const memory::desc& md);
  int num_threads() const;
  ConvImplPolicy conv_impl_policy() const;

 private:
  PlanBuilder* builder_;
  int op_index_;
};

class RunContext {
 public:
  explicit RunContext(const dnnl::stream& stream) : stream_(stream) {}
  const dnnl::stream& stream() const { return stream_; }

 private:
  const dnnl::stream& stream_;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual Status Prepare(PrepareContext& ctx) = 0;
  // Called once after the executor has bound every memory to its buffer (before the first Run).
  virtual void Bind() {}
  virtual Status Run(RunContext& ctx) = 0;
  // The implementation this kernel chose when it is not the op's usual one (e.g. "dw_conv_u8"), else "".
  // Counted in PlanStats::variant_steps.
  virtual std::string_view variant() const { return {}; }

  // Weight streaming across steps (kernels that prefetch their own weights as they run). The weights this
  // kernel reads first, for the step before it to prefetch; empty: none.
  virtual std::span<const std::byte> LeadingWeights() const { return {}; }
  // Offers the next step's LeadingWeights() (the executor calls it once per plan, after Bind). True when
  // the kernel will prefetch them at the end of each Run.
  virtual bool PrefetchNextWeights(std::span<const std::byte> weights) {
    (void)weights;
    return false;
  }
};

// A second descriptor over another memory's buffer (e.g. an output seen as 3-D by a primitive); call
// Bind() from Kernel::Bind().
class BoundView {
 public:
  BoundView() = default;
  BoundView(const memory& base, const memory::desc& md, const dnnl::engine& engine)
      : base_(base), view_(md, engine, DNNL_MEMORY_NONE) {}
  const memory& mem() const { return view_; }
  void Bind() {
    if (base_) view_.set_data_handle(base_.get_data_handle());
  }

 private:
  memory base_;
  memory view_;
};

// Data pointer of a memory (set by the executor after planning; valid during Run()).
template <typename T>
T* DataOf(const memory& mem) {
  return static_cast<T*>(mem.get_data_handle());
}

// Executes a prepared primitive, turning a failure into a Status naming the op.
Status ExecutePrimitive(const PrimitiveCall& call, const RunContext& ctx, const ir::Op& op);

}  // namespace q2i::runtime
