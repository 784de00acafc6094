#include "runtime/executor.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <list>
#include <sstream>

#include "runtime/dnnl_utils.h"
#include "runtime/kernel.h"
#include "runtime/memory_planner.h"
#include "runtime/nchw_to_nhwc.h"
#include "support/check.h"

namespace q2i::runtime {
namespace {

constexpr int kEndStep = INT_MAX / 2;
using Clock = std::chrono::steady_clock;

// A value of the program in SSA form: each op output (or parameter, or feed) is a new value, so that
// programs writing one variable twice (in-place ops) are handled.
struct ValueDef {
  std::string name;
  int producer = -1;  // op index of the writer; -1 for parameters
  bool is_param = false;
  int last_use = -1;  // op index of the last reader
  bool fetched = false;
};

struct OpIO {
  std::vector<std::vector<int>> inputs;   // per input slot of the op, value ids (-1: empty argument)
  std::vector<std::vector<int>> outputs;  // per output slot
};

struct AlignedFree {
  void operator()(uint8_t* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<uint8_t, AlignedFree>;

AlignedBuffer AllocateAligned(size_t bytes) {
  const size_t size = std::max<size_t>((bytes + 63) / 64 * 64, 64);
  return AlignedBuffer(static_cast<uint8_t*>(std::aligned_alloc(64, size)));
}

// One runtime value of a plan (a program value, or an internal reordered copy of one).
struct Slot {
  ValueInfo info;
  memory mem;
  int value_id = -1;  // -1: internal (reorder temporaries)
  bool constant = false;
  ir::Tensor const_value;  // plain; set when constant
  int root = -1;           // slot owning the buffer (itself for owners); -1 for constants
  int first_step = kEndStep;
  int last_step = -1;
  bool is_feed = false;
};

enum class StepKind { kKernel, kReorder, kCopy };

struct Step {
  StepKind kind = StepKind::kKernel;
  int op_index = -1;
  Kernel* kernel = nullptr;
  PrimitiveCall call;  // reorder / copy
  // A reorder the executor runs itself (runtime/nchw_to_nhwc.h) instead of `call`, from the slot it
  // reads into the slot it writes.
  std::optional<NchwToNhwc> interleave;
  std::vector<int> reads, writes;
  std::string label;
  OpTypeProfile* profile_entry = nullptr;
  OpTypeProfile* op_entry = nullptr;  // kernel steps: the op's own entry
};

struct Plan {
  std::deque<Slot> slots;  // deque: ValueInfo pointers handed to kernels stay valid as slots are added
  std::vector<std::unique_ptr<Kernel>> kernels;
  std::vector<Step> steps;
  std::vector<int> feed_slots;
  std::vector<int> fetch_slots;
  std::vector<PrimitiveCall> fetch_reorders;  // for non-plain fetched values (invalid otherwise)
  std::vector<memory> fetch_dst;              // their destination memories (handle set per run)
  AlignedBuffer arena;
  std::vector<AlignedBuffer> owned;  // folded values
  PlanStats stats;
  std::vector<std::vector<int64_t>> output_dims;
  std::vector<ir::DataType> output_types;
  std::vector<int> value_slot;  // per program value: its slot (-1: none)
};

using Signature = std::vector<std::pair<int, std::vector<int64_t>>>;

bool SameLayout(const memory::desc& a, const memory::desc& b) {
  if (a == b) return true;
  return IsPlain(a) && IsPlain(b) && a.data_type() == b.data_type() && a.dims() == b.dims();
}

int SlotIndex(const std::vector<ir::Slot>& slots, std::string_view name) {
  for (size_t i = 0; i < slots.size(); ++i)
    if (slots[i].name == name) return static_cast<int>(i);
  return -1;
}

std::string OpLabel(const ir::Op& op) {
  KernelKey key = KernelKeyFor(op);
  return key.precision == KernelPrecision::kInt8 ? op.type() + "[int8]" : op.type();
}

Status WithOpContext(const Status& s, const ir::Op& op, std::string_view phase) {
  if (s.ok() || s.message().find(op.DebugName()) != std::string::npos) return s;
  return s.WithContext(internal::StrCat(phase, " ", op.DebugName()));
}

}  // namespace

int64_t ValueInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

Status ExecutePrimitive(const PrimitiveCall& call, const RunContext& ctx, const ir::Op& op) {
  dnnl_status_t st = call.Execute(ctx.stream());
  if (st != dnnl_success) return DnnlStatusError(op, "execute", st);
  return OkStatus();
}

std::string ProfileReport::ToString() const {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(3);
  os << "runs: " << runs << ", wall: " << wall_ms << " ms, kernels: " << kernel_ms << " ms";
  if (wall_ms > 0) os << " (" << 100.0 * kernel_ms / wall_ms << "% of wall)";
  os << ", reorders executed: " << reorders_executed << ", copies: " << copies_executed << "\n";
  os << "op type                          total ms      count    avg ms    share\n";
  for (const auto& p : op_types) {
    char line[160];
    std::snprintf(line, sizeof(line), "%-30s %10.3f %10lld %9.4f %7.2f%%\n", p.op_type.c_str(), p.total_ms,
                  static_cast<long long>(p.count), p.count ? p.total_ms / static_cast<double>(p.count) : 0.0,
                  kernel_ms > 0 ? 100.0 * p.total_ms / kernel_ms : 0.0);
    os << line;
  }
  return os.str();
}

// ------------------------------------------------------------------------------------------------
struct Executor::Impl {
  const ir::Program* program = nullptr;
  std::shared_ptr<const ir::Program> keep_alive;
  ExecutorOptions options;
  const KernelRegistry* registry = nullptr;

  std::vector<ValueDef> values;
  std::vector<OpIO> op_io;
  std::vector<const KernelRegistry::Entry*> entries;  // per op; null for feed/fetch
  std::vector<std::string> feed_names, fetch_names;
  std::vector<int> feed_values, fetch_values;
  std::vector<ir::DataType> feed_types;

  dnnl::engine engine;
  dnnl::stream stream;

  std::map<Signature, std::unique_ptr<Plan>> plans;
  std::list<Signature> lru;  // most recent first
  Plan* current = nullptr;

  std::map<std::string, OpTypeProfile> profile_map;
  std::vector<OpTypeProfile> op_profile;  // per op index
  int64_t reorders = 0;
  int64_t copies = 0;
  int64_t runs = 0;
  double wall_ms = 0;
  double kernel_ms = 0;

  Status Analyze();
  void ApplyThreads() const {
    if (options.num_threads > 0) omp_set_num_threads(options.num_threads);
  }
  StatusOr<Plan*> GetPlan(const Signature& sig);
  Status RunPlan(Plan& plan, const std::vector<ir::Tensor>& feeds, std::vector<ir::Tensor>& outputs);
};

// ------------------------------------------------------------------------------------------------
// PlanBuilder: builds one Plan for one signature; PrepareContext forwards to it.
class PlanBuilder {
 public:
  PlanBuilder(Executor::Impl& exec, Plan& plan) : exec_(exec), plan_(plan) {}

  Status Build(const Signature& sig);

  // ---- PrepareContext backend ----
  const ir::Op& op(int op_index) const { return exec_.program->op(static_cast<size_t>(op_index)); }
  const dnnl::engine& engine() const { return exec_.engine; }
  dnnl::stream& stream() const { return exec_.stream; }
  int num_threads() const { return exec_.options.num_threads > 0 ? exec_.options.num_threads : omp_get_max_threads(); }
  ConvImplPolicy conv_impl_policy() const { return exec_.options.conv_impl; }

  int InputValue(int op_index, std::string_view slot, int index) const {
    const ir::Op& o = op(op_index);
    int s = SlotIndex(o.inputs(), slot);
    if (s < 0 || index < 0) return -1;
    const auto& ids = exec_.op_io[static_cast<size_t>(op_index)].inputs[static_cast<size_t>(s)];
    return static_cast<size_t>(index) < ids.size() ? ids[static_cast<size_t>(index)] : -1;
  }
  int OutputValue(int op_index, std::string_view slot, int index) const {
    const ir::Op& o = op(op_index);
    int s = SlotIndex(o.outputs(), slot);
    if (s < 0 || index < 0) return -1;
    const auto& ids = exec_.op_io[static_cast<size_t>(op_index)].outputs[static_cast<size_t>(s)];
    return static_cast<size_t>(index) < ids.size() ? ids[static_cast<size_t>(index)] : -1;
  }
  int NumInputs(int op_index, std::string_view slot) const {
    const ir::Op& o = op(op_index);
    int s = SlotIndex(o.inputs(), slot);
    return s < 0 ? 0 : static_cast<int>(o.inputs()[static_cast<size_t>(s)].args.size());
  }
  int NumOutputs(int op_index, std::string_view slot) const {
    const ir::Op& o = op(op_index);
    int s = SlotIndex(o.outputs(), slot);
    return s < 0 ? 0 : static_cast<int>(o.outputs()[static_cast<size_t>(s)].args.size());
  }

  // Slot of a value; parameters get their constant slot on first use. -1 when not (yet) defined.
  int SlotOfValue(int vid) {
    if (vid < 0) return -1;
    int s = value_slot_[static_cast<size_t>(vid)];
    if (s >= 0) return s;
    const ValueDef& v = exec_.values[static_cast<size_t>(vid)];
    if (!v.is_param) return -1;
    const ir::Tensor* t = exec_.program->FindParam(v.name);
    Q2I_CHECK(t != nullptr);
    s = NewConstantSlot(*t);
    plan_.slots[static_cast<size_t>(s)].value_id = vid;
    value_slot_[static_cast<size_t>(vid)] = s;
    return s;
  }

  const Slot* FindInputSlot(int op_index, std::string_view slot, int index) {
    int s = SlotOfValue(InputValue(op_index, slot, index));
    return s < 0 ? nullptr : &plan_.slots[static_cast<size_t>(s)];
  }

  StatusOr<int> RequireInputSlot(int op_index, std::string_view slot, int index) {
    int vid = InputValue(op_index, slot, index);
    if (vid < 0) return InvalidModel(op(op_index).DebugName(), ": missing input ", slot, "[", index, "]");
    int s = SlotOfValue(vid);
    if (s < 0) {
      return InternalError(op(op_index).DebugName(), ": input ", slot, " '", exec_.values[static_cast<size_t>(vid)].name,
                           "' was not produced (its producer did not define it)");
    }
    return s;
  }

  void MarkRead(int slot) {
    if (std::find(current_reads_.begin(), current_reads_.end(), slot) == current_reads_.end())
      current_reads_.push_back(slot);
  }

  StatusOr<memory> InputMemory(int op_index, std::string_view slot, int index) {
    Q2I_ASSIGN_OR_RETURN(int s, RequireInputSlot(op_index, slot, index));
    MarkRead(s);
    return plan_.slots[static_cast<size_t>(s)].mem;
  }

  StatusOr<memory> InputMemoryAs(int op_index, std::string_view slot, int index, const memory::desc& md) {
    Q2I_ASSIGN_OR_RETURN(int s, InputSlotAs(op_index, slot, index, md));
    MarkRead(s);
    return plan_.slots[static_cast<size_t>(s)].mem;
  }

  // The slot holding input (slot, index) in layout `md`: the input itself, a view, a cached reorder, or
  // a new reorder (a step for runtime values, done now for constants).
  StatusOr<int> InputSlotAs(int op_index, std::string_view slot, int index, const memory::desc& md) {
    Q2I_ASSIGN_OR_RETURN(int s, RequireInputSlot(op_index, slot, index));
    const ir::Op& o = op(op_index);
    {
      const Slot& src = plan_.slots[static_cast<size_t>(s)];
      if (SameLayout(src.info.md, md)) return s;
      // A plain reinterpretation of a plain value with the same byte size: a view, no data movement.
      if (src.info.plain() && IsPlain(md) && src.info.md.get_size() == md.get_size() &&
          src.info.md.data_type() == md.data_type()) {
        return NewViewSlot(s, md);
      }
      if (!src.info.plain() && IsPlain(md) && md.dims() != src.info.md.dims() &&
          src.info.md.data_type() == md.data_type()) {
        // Another shape of the same data: make it plain, then view.
        const std::vector<int64_t> dims = src.info.dims;
        const ir::DataType dtype = src.info.dtype;
        Q2I_ASSIGN_OR_RETURN(int plain, InputSlotAs(op_index, slot, index, PlainDesc(dims, dtype)));
        if (plain_size_ok(plain, md)) return NewViewSlot(plain, md);
        return InternalError(o.DebugName(), ": cannot view input ", slot, " as ", DescToString(md));
      }
      if (src.info.md.data_type() != md.data_type() && !src.constant) {
        // Type conversions are the job of quantize/dequantize ops, never an implicit reorder.
        return InternalError(o.DebugName(), ": input ", slot, " is ", DescToString(src.info.md),
                             ", kernel asked for ", DescToString(md));
      }
    }
    for (const auto& [cached_md, cached_slot] : reorder_cache_[s]) {
      if (cached_md == md) return cached_slot;
    }
    int dst = NewSlot();
    Slot& d = plan_.slots[static_cast<size_t>(dst)];
    const Slot& src = plan_.slots[static_cast<size_t>(s)];
    d.info = src.info;
    d.info.md = md;
    if (src.constant) {
      try {
        memory out(md, engine());
        memory from = src.mem;
        dnnl::reorder(from, out).execute(stream(), from, out);
        stream().wait();
        d.mem = out;
        d.constant = true;  // const_value stays empty: only plain constants are readable as tensors
      } catch (const dnnl::error& e) {
        return DnnlError(o, "reorder a constant input", e);
      }
    } else {
      d.mem = memory(md, engine(), DNNL_MEMORY_NONE);
      d.root = dst;
      try {
        Step step;
        step.kind = StepKind::kReorder;
        step.op_index = op_index;
        step.interleave = MatchNchwToNhwc(src.mem.get_desc(), d.mem.get_desc());
        if (!step.interleave) {
          step.call = PrimitiveCall(dnnl::reorder(src.mem, d.mem), {{DNNL_ARG_FROM, src.mem}, {DNNL_ARG_TO, d.mem}});
        }
        step.reads = {s};
        step.writes = {dst};
        step.label = "reorder";
        AddStep(std::move(step));
      } catch (const dnnl::error& e) {
        return DnnlError(o, "create a reorder for input " + std::string(slot), e);
      }
    }
    reorder_cache_[s].emplace_back(md, dst);
    return dst;
  }

  bool plain_size_ok(int slot, const memory::desc& md) const {
    return plan_.slots[static_cast<size_t>(slot)].info.md.get_size() == md.get_size();
  }

  StatusOr<memory> InputView(int op_index, std::string_view slot, int index, const memory::desc& md) {
    Q2I_ASSIGN_OR_RETURN(int s, RequireInputSlot(op_index, slot, index));
    const ValueInfo info = plan_.slots[static_cast<size_t>(s)].info;
    Q2I_ASSIGN_OR_RETURN(int plain, InputSlotAs(op_index, slot, index, PlainDesc(info.dims, info.dtype)));
    if (md.get_size() > plan_.slots[static_cast<size_t>(plain)].info.md.get_size()) {
      return InternalError(op(op_index).DebugName(), ": view ", DescToString(md), " is larger than input ", slot);
    }
    int view = NewViewSlot(plain, md);
    MarkRead(view);
    return plan_.slots[static_cast<size_t>(view)].mem;
  }

  StatusOr<int> OutputValueChecked(int op_index, std::string_view slot, int index) {
    int vid = OutputValue(op_index, slot, index);
    if (vid < 0) return InvalidModel(op(op_index).DebugName(), ": missing output ", slot, "[", index, "]");
    if (value_slot_[static_cast<size_t>(vid)] >= 0)
      return InternalError(op(op_index).DebugName(), ": output ", slot, " defined twice");
    return vid;
  }

  bool IsOutputUsed(int op_index, std::string_view slot, int index) const {
    int vid = OutputValue(op_index, slot, index);
    if (vid < 0) return false;
    const ValueDef& v = exec_.values[static_cast<size_t>(vid)];
    return v.fetched || v.last_use >= 0;
  }

  std::optional<ir::DataType> DeclaredType(int op_index, std::string_view slot, int index) const {
    int vid = OutputValue(op_index, slot, index);
    if (vid < 0) return std::nullopt;
    const ir::Var* var = exec_.program->FindVar(exec_.values[static_cast<size_t>(vid)].name);
    if (var == nullptr) return std::nullopt;
    return var->dtype;
  }

  StatusOr<memory> DefineOutput(int op_index, std::string_view slot, int index, ir::DataType dtype,
                                std::vector<int64_t> dims, const memory::desc& md) {
    Q2I_ASSIGN_OR_RETURN(int vid, OutputValueChecked(op_index, slot, index));
    int s = NewSlot();
    Slot& d = plan_.slots[static_cast<size_t>(s)];
    d.info.dtype = dtype;
    d.info.dims = std::move(dims);
    d.info.md = md;
    d.mem = memory(md, engine(), DNNL_MEMORY_NONE);
    d.value_id = vid;
    d.root = s;
    value_slot_[static_cast<size_t>(vid)] = s;
    current_writes_.push_back(s);
    return d.mem;
  }

  StatusOr<memory> DefineOutputAlias(int op_index, std::string_view slot, int index, std::vector<int64_t> dims,
                                     std::string_view in_slot, int in_index) {
    Q2I_ASSIGN_OR_RETURN(int in, RequireInputSlot(op_index, in_slot, in_index));
    Q2I_ASSIGN_OR_RETURN(int vid, OutputValueChecked(op_index, slot, index));
    const ir::Op& o = op(op_index);
    Slot src = plan_.slots[static_cast<size_t>(in)];  // copy: NewSlot may reallocate
    int64_t numel = 1;
    for (int64_t d : dims) numel *= d;
    if (numel != src.info.numel()) {
      return InvalidModel(o.DebugName(), ": cannot view ", ir::DimsToString(src.info.dims), " as ",
                          ir::DimsToString(dims));
    }
    if (src.constant && !src.const_value.empty()) {
      value_slot_[static_cast<size_t>(vid)] = NewConstantSlot(src.const_value.Reshaped(dims));
      plan_.slots[static_cast<size_t>(value_slot_[static_cast<size_t>(vid)])].value_id = vid;
      return plan_.slots[static_cast<size_t>(value_slot_[static_cast<size_t>(vid)])].mem;
    }
    if (dims == src.info.dims) {  // identity: a view in whatever layout the input has
      int s = NewViewSlot(in, src.info.md);
      Slot& d = plan_.slots[static_cast<size_t>(s)];
      d.info.dims = std::move(dims);
      d.value_id = vid;
      value_slot_[static_cast<size_t>(vid)] = s;
      ++plan_.stats.num_alias_values;
      MarkRead(in);
      return d.mem;
    }
    if (!src.info.plain()) {
      Q2I_ASSIGN_OR_RETURN(in, InputSlotAs(op_index, in_slot, in_index, PlainDesc(src.info.dims, src.info.dtype)));
      src = plan_.slots[static_cast<size_t>(in)];
    }
    MarkRead(in);
    int s = NewViewSlot(in, PlainDesc(dims, src.info.dtype));
    Slot& d = plan_.slots[static_cast<size_t>(s)];
    d.info.dims = std::move(dims);
    d.value_id = vid;
    value_slot_[static_cast<size_t>(vid)] = s;
    ++plan_.stats.num_alias_values;
    return d.mem;
  }

  StatusOr<memory> DefineOutputFrom(int op_index, std::string_view slot, int index, ir::DataType dtype,
                                    std::vector<int64_t> dims, const memory::desc& md, std::string_view in_slot,
                                    int in_index, memory::data_type init_type) {
    Q2I_ASSIGN_OR_RETURN(int in, RequireInputSlot(op_index, in_slot, in_index));
    const ir::Op& o = op(op_index);
    const Slot& src = plan_.slots[static_cast<size_t>(in)];
    if (DataTypeSize(init_type) != DataTypeSize(md.data_type())) {
      return InternalError(o.DebugName(), ": initial contents of another element size than output ", slot);
    }
    const memory::desc init_md = WithDataType(md, init_type);
    bool can_alias = !src.constant && src.root >= 0 && src.info.md.data_type() == init_type && SameLayout(src.info.md, init_md);
    if (can_alias) {
      // Every value sharing the buffer must die at this op, and no other input of this op may share it.
      int root = src.root;
      for (size_t i = 0; i < plan_.slots.size() && can_alias; ++i) {
        const Slot& other = plan_.slots[i];
        if (other.root != root) continue;
        if (other.value_id >= 0) {
          const ValueDef& v = exec_.values[static_cast<size_t>(other.value_id)];
          if (v.fetched || v.last_use > op_index) can_alias = false;
        } else if (static_cast<int>(i) != in) {
          can_alias = false;  // an internal temporary might be read again (cached reorders)
        }
        if (static_cast<int>(i) != in &&
            std::find(current_reads_.begin(), current_reads_.end(), static_cast<int>(i)) != current_reads_.end())
          can_alias = false;
      }
    }
    if (can_alias) {
      Q2I_ASSIGN_OR_RETURN(int vid, OutputValueChecked(op_index, slot, index));
      int s = NewViewSlot(in, md);
      Slot& d = plan_.slots[static_cast<size_t>(s)];
      d.info.dtype = dtype;
      d.info.dims = std::move(dims);
      d.value_id = vid;
      value_slot_[static_cast<size_t>(vid)] = s;
      MarkRead(in);
      current_writes_.push_back(s);
      return d.mem;
    }
    Q2I_ASSIGN_OR_RETURN(memory out, DefineOutput(op_index, slot, index, dtype, std::move(dims), md));
    const int out_slot = value_slot_[static_cast<size_t>(OutputValue(op_index, slot, index))];
    // The copy writes the initial contents through a view of the output's buffer typed `init_type`.
    const int init_view = init_type == md.data_type() ? out_slot : NewViewSlot(out_slot, init_md);
    const memory init_mem = plan_.slots[static_cast<size_t>(init_view)].mem;
    const Slot& s2 = plan_.slots[static_cast<size_t>(in)];
    try {
      Step step;
      step.kind = StepKind::kCopy;
      step.op_index = op_index;
      step.call = PrimitiveCall(dnnl::reorder(s2.mem, init_mem), {{DNNL_ARG_FROM, s2.mem}, {DNNL_ARG_TO, init_mem}});
      step.reads = {in};
      step.writes = {out_slot};
      step.label = "copy";
      AddStep(std::move(step));
    } catch (const dnnl::error& e) {
      return DnnlError(o, "create the copy of input " + std::string(in_slot), e);
    }
    // The kernel step also writes the output (accumulates into it).
    return out;
  }

  Status DefineOutputConstant(int op_index, std::string_view slot, int index, ir::Tensor value) {
    Q2I_ASSIGN_OR_RETURN(int vid, OutputValueChecked(op_index, slot, index));
    int s = NewConstantSlot(std::move(value));
    plan_.slots[static_cast<size_t>(s)].value_id = vid;
    value_slot_[static_cast<size_t>(vid)] = s;
    return OkStatus();
  }

  StatusOr<memory> ReorderNow(int op_index, const memory& src, const memory::desc& md,
                              const dnnl::primitive_attr& attr) {
    try {
      memory out(md, engine());
      memory from = src;
      dnnl::reorder(dnnl::reorder::primitive_desc(from, out, attr)).execute(stream(), from, out);
      stream().wait();
      return out;
    } catch (const dnnl::error& e) {
      return DnnlError(op(op_index), "reorder a constant", e);
    }
  }

 private:
  int NewSlot() {
    plan_.slots.emplace_back();
    return static_cast<int>(plan_.slots.size()) - 1;
  }

  int NewConstantSlot(ir::Tensor t) {
    int s = NewSlot();
    Slot& d = plan_.slots[static_cast<size_t>(s)];
    d.info.dtype = t.dtype();
    d.info.dims = t.dims();
    d.info.md = PlainDesc(t.dims(), t.dtype());
    d.constant = true;
    d.const_value = std::move(t);
    d.mem = memory(d.info.md, engine(), const_cast<uint8_t*>(d.const_value.raw_data()));
    return s;
  }

  // A slot sharing `of`'s buffer with descriptor `md`.
  int NewViewSlot(int of, const memory::desc& md) {
    int s = NewSlot();
    Slot& src = plan_.slots[static_cast<size_t>(of)];
    Slot& d = plan_.slots[static_cast<size_t>(s)];
    d.info = src.info;
    d.info.md = md;
    const memory::dims md_dims = md.dims();
    d.info.dims.assign(md_dims.begin(), md_dims.end());
    if (src.constant) {
      d.constant = true;
      d.mem = memory(md, engine(), src.mem.get_data_handle());
      return s;  // internal view: not readable as a tensor
    }
    d.root = src.root;
    d.mem = memory(md, engine(), DNNL_MEMORY_NONE);
    return s;
  }

  void AddStep(Step step) {
    int idx = static_cast<int>(plan_.steps.size());
    for (int r : step.reads) Touch(r, idx);
    for (int w : step.writes) Touch(w, idx);
    plan_.steps.push_back(std::move(step));
  }

  void Touch(int slot, int step) {
    Slot& s = plan_.slots[static_cast<size_t>(slot)];
    s.first_step = std::min(s.first_step, step);
    s.last_step = std::max(s.last_step, step);
  }

  Status PrepareOp(int op_index);
  Status FoldOp(int op_index, size_t first_new_step, Kernel& kernel);
  Status PlanBuffers();
  void LinkWeightPrefetches();

  Executor::Impl& exec_;
  Plan& plan_;
  std::vector<int> value_slot_;
  std::map<int, std::vector<std::pair<memory::desc, int>>> reorder_cache_;
  std::vector<int> current_reads_;
  std::vector<int> current_writes_;
};

// ---- PrepareContext ----
const ir::Op& PrepareContext::op() const { return builder_->op(op_index_); }
const dnnl::engine& PrepareContext::engine() const { return builder_->engine(); }
const dnnl::stream& PrepareContext::stream() const { return builder_->stream(); }
int PrepareContext::num_threads() const { return builder_->num_threads(); }
ConvImplPolicy PrepareContext::conv_impl_policy() const { return builder_->conv_impl_policy(); }
int PrepareContext::NumInputs(std::string_view slot) const { return builder_->NumInputs(op_index_, slot); }
int PrepareContext::NumOutputs(std::string_view slot) const { return builder_->NumOutputs(op_index_, slot); }
const ValueInfo* PrepareContext::FindInput(std::string_view slot, int index) const {
  const Slot* s = builder_->FindInputSlot(op_index_, slot, index);
  return s ? &s->info : nullptr;
}
StatusOr<const ValueInfo*> PrepareContext::Input(std::string_view slot, int index) const {
  const ValueInfo* v = FindInput(slot, index);
  if (v == nullptr) return InvalidModel(op().DebugName(), ": missing input ", slot, "[", index, "]");
  return v;
}
const ir::Tensor* PrepareContext::InputConstant(std::string_view slot, int index) const {
  const Slot* s = builder_->FindInputSlot(op_index_, slot, index);
  if (s == nullptr || !s->constant || s->const_value.empty()) return nullptr;
  return &s->const_value;
}
StatusOr<memory> PrepareContext::InputMemory(std::string_view slot, int index) {
  return builder_->InputMemory(op_index_, slot, index);
}
StatusOr<memory> PrepareContext::InputMemoryAs(std::string_view slot, int index, const memory::desc& md) {
  return builder_->InputMemoryAs(op_index_, slot, index, md);
}
StatusOr<memory> PrepareContext::PlainInputMemory(std::string_view slot, int index) {
  Q2I_ASSIGN_OR_RETURN(const ValueInfo* in, Input(slot, index));
  return builder_->InputMemoryAs(op_index_, slot, index, PlainDesc(in->dims, in->dtype));
}
bool PrepareContext::HasOutput(std::string_view slot, int index) const {
  return builder_->OutputValue(op_index_, slot, index) >= 0;
}
bool PrepareContext::IsOutputUsed(std::string_view slot, int index) const {
  return builder_->IsOutputUsed(op_index_, slot, index);
}
std::optional<ir::DataType> PrepareContext::DeclaredOutputType(std::string_view slot, int index) const {
  return builder_->DeclaredType(op_index_, slot, index);
}
StatusOr<memory> PrepareContext::DefineOutput(std::string_view slot, int index, ir::DataType dtype,
                                              std::vector<int64_t> dims, const memory::desc& md) {
  return builder_->DefineOutput(op_index_, slot, index, dtype, std::move(dims), md);
}
StatusOr<memory> PrepareContext::DefinePlainOutput(std::string_view slot, int index, ir::DataType dtype,
                                                   std::vector<int64_t> dims) {
  memory::desc md = PlainDesc(dims, dtype);
  return builder_->DefineOutput(op_index_, slot, index, dtype, std::move(dims), md);
}
StatusOr<memory> PrepareContext::DefineOutputAlias(std::string_view slot, int index, std::vector<int64_t> dims,
                                                   std::string_view input_slot, int input_index) {
  return builder_->DefineOutputAlias(op_index_, slot, index, std::move(dims), input_slot, input_index);
}
StatusOr<memory> PrepareContext::DefineOutputFrom(std::string_view slot, int index, ir::DataType dtype,
                                                  std::vector<int64_t> dims, const memory::desc& md,
                                                  std::string_view input_slot, int input_index,
                                                  memory::data_type init_type) {
  return builder_->DefineOutputFrom(op_index_, slot, index, dtype, std::move(dims), md, input_slot, input_index,
                                    init_type);
}
Status PrepareContext::DefineOutputConstant(std::string_view slot, int index, ir::Tensor value) {
  return builder_->DefineOutputConstant(op_index_, slot, index, std::move(value));
}
StatusOr<memory> PrepareContext::ReorderNow(const memory& src, const memory::desc& md,
                                            const dnnl::primitive_attr& attr) {
  return builder_->ReorderNow(op_index_, src, md, attr);
}
StatusOr<memory> PrepareContext::InputView(std::string_view slot, int index, const memory::desc& md) {
  return builder_->InputView(op_index_, slot, index, md);
}
memory PrepareContext::NewOwnedMemory(const memory::desc& md) { return memory(md, engine()); }

// ---- building ----
Status PlanBuilder::Build(const Signature& sig) {
  const ir::Program& program = *exec_.program;
  value_slot_.assign(exec_.values.size(), -1);
  plan_.kernels.resize(program.num_ops());
  // Feeds: plain, written before the first step.
  for (size_t i = 0; i < exec_.feed_values.size(); ++i) {
    int s = NewSlot();
    Slot& d = plan_.slots[static_cast<size_t>(s)];
    d.info.dtype = static_cast<ir::DataType>(sig[i].first);
    d.info.dims = sig[i].second;
    d.info.md = PlainDesc(d.info.dims, d.info.dtype);
    d.mem = memory(d.info.md, engine(), DNNL_MEMORY_NONE);
    d.value_id = exec_.feed_values[i];
    d.root = s;
    d.is_feed = true;
    d.first_step = -1;
    d.last_step = -1;
    value_slot_[static_cast<size_t>(exec_.feed_values[i])] = s;
    plan_.feed_slots.push_back(s);
  }
  for (size_t i = 0; i < program.num_ops(); ++i) {
    if (exec_.entries[i] == nullptr) continue;  // feed / fetch
    Q2I_RETURN_IF_ERROR(PrepareOp(static_cast<int>(i)));
  }
  // Fetches.
  for (size_t i = 0; i < exec_.fetch_values.size(); ++i) {
    int s = SlotOfValue(exec_.fetch_values[i]);
    if (s < 0) {
      return InternalError("fetch target '", exec_.fetch_names[i], "' was not produced by its op");
    }
    plan_.fetch_slots.push_back(s);
    const Slot& slot = plan_.slots[static_cast<size_t>(s)];
    plan_.output_dims.push_back(slot.info.dims);
    plan_.output_types.push_back(slot.info.dtype);
    if (!slot.constant && slot.root >= 0) Touch(s, kEndStep);
    if (!slot.info.plain() && !(slot.constant && !slot.const_value.empty())) {
      try {
        memory dst(PlainDesc(slot.info.dims, slot.info.dtype), engine(), DNNL_MEMORY_NONE);
        plan_.fetch_reorders.emplace_back(dnnl::reorder(slot.mem, dst), std::vector<std::pair<int, memory>>{
                                                                            {DNNL_ARG_FROM, slot.mem}, {DNNL_ARG_TO, dst}});
        plan_.fetch_dst.push_back(dst);
      } catch (const dnnl::error& e) {
        return InternalError("cannot create the reorder of fetch target '", exec_.fetch_names[i], "': ", e.what());
      }
    } else {
      plan_.fetch_reorders.emplace_back();
      plan_.fetch_dst.emplace_back();
    }
  }
  plan_.value_slot = value_slot_;
  return PlanBuffers();
}

Status PlanBuilder::PrepareOp(int op_index) {
  const ir::Op& o = op(op_index);
  auto kernel = exec_.entries[static_cast<size_t>(op_index)]->factory();
  current_reads_.clear();
  current_writes_.clear();
  const size_t steps_before = plan_.steps.size();
  PrepareContext ctx(this, op_index);
  Status st;
  try {
    st = kernel->Prepare(ctx);
  } catch (const dnnl::error& e) {
    st = DnnlError(o, "prepare", e);
  }
  Q2I_RETURN_IF_ERROR(WithOpContext(st, o, "while preparing"));
  // Every used output must be defined.
  for (size_t s = 0; s < o.outputs().size(); ++s) {
    const auto& ids = exec_.op_io[static_cast<size_t>(op_index)].outputs[s];
    for (size_t k = 0; k < ids.size(); ++k) {
      if (ids[k] < 0 || value_slot_[static_cast<size_t>(ids[k])] >= 0) continue;
      const ValueDef& v = exec_.values[static_cast<size_t>(ids[k])];
      if (v.fetched || v.last_use >= 0) {
        return InternalError(o.DebugName(), ": kernel did not define used output ", o.outputs()[s].name, " '", v.name, "'");
      }
    }
  }
  // Fold when every input is a constant.
  bool all_const = true;
  for (const auto& ids : exec_.op_io[static_cast<size_t>(op_index)].inputs) {
    for (int vid : ids) {
      if (vid < 0) continue;
      int s = SlotOfValue(vid);
      if (s < 0 || !plan_.slots[static_cast<size_t>(s)].constant) all_const = false;
    }
  }
  bool has_runtime_output = false;
  for (int w : current_writes_)
    if (!plan_.slots[static_cast<size_t>(w)].constant) has_runtime_output = true;
  if (all_const) {
    if (has_runtime_output) Q2I_RETURN_IF_ERROR(FoldOp(op_index, steps_before, *kernel));
    ++plan_.stats.num_folded_ops;
    return OkStatus();
  }
  if (!has_runtime_output && plan_.steps.size() == steps_before) {
    // Nothing to run (views and constants only).
    return OkStatus();
  }
  Step step;
  step.kind = StepKind::kKernel;
  step.op_index = op_index;
  step.kernel = kernel.get();
  step.reads = current_reads_;
  step.writes = current_writes_;
  step.label = OpLabel(o);
  AddStep(std::move(step));
  plan_.kernels[static_cast<size_t>(op_index)] = std::move(kernel);
  return OkStatus();
}

Status PlanBuilder::FoldOp(int op_index, size_t first_new_step, Kernel& kernel) {
  const ir::Op& o = op(op_index);
  // Buffers for the op's runtime outputs (and temporaries written by its pre-steps).
  std::vector<int> buffers;
  for (size_t i = first_new_step; i < plan_.steps.size(); ++i)
    for (int w : plan_.steps[i].writes) buffers.push_back(w);
  for (int w : current_writes_) buffers.push_back(w);
  for (int b : buffers) {
    Slot& s = plan_.slots[static_cast<size_t>(b)];
    if (s.constant || s.mem.get_data_handle() != nullptr) continue;
    AlignedBuffer buf = AllocateAligned(s.info.md.get_size());
    s.mem.set_data_handle(buf.get());
    plan_.owned.push_back(std::move(buf));
  }
  kernel.Bind();
  RunContext rc(exec_.stream);
  for (size_t i = first_new_step; i < plan_.steps.size(); ++i) {
    dnnl_status_t st = plan_.steps[i].call.Execute(exec_.stream);
    if (st != dnnl_success) return DnnlStatusError(o, "copy while folding", st);
  }
  Status st;
  try {
    st = kernel.Run(rc);
  } catch (const dnnl::error& e) {
    st = DnnlError(o, "run (constant folding)", e);
  }
  Q2I_RETURN_IF_ERROR(WithOpContext(st, o, "while folding"));
  exec_.stream.wait();
  plan_.steps.resize(first_new_step);
  // Turn outputs into plain constants.
  for (int w : current_writes_) {
    Slot& s = plan_.slots[static_cast<size_t>(w)];
    if (s.constant) continue;
    ir::Tensor t(s.info.dtype, s.info.dims);
    memory plain_mem(PlainDesc(s.info.dims, s.info.dtype), engine(), t.raw_data());
    if (s.info.plain()) {
      std::memcpy(t.raw_data(), s.mem.get_data_handle(), t.nbytes());
    } else {
      try {
        dnnl::reorder(s.mem, plain_mem).execute(exec_.stream, s.mem, plain_mem);
        exec_.stream.wait();
      } catch (const dnnl::error& e) {
        return DnnlError(o, "reorder a folded output", e);
      }
    }
    s.constant = true;
    s.root = -1;
    s.const_value = std::move(t);
    s.info.md = PlainDesc(s.info.dims, s.info.dtype);
    s.mem = memory(s.info.md, engine(), s.const_value.raw_data());
    s.first_step = kEndStep;
    s.last_step = -1;
  }
  return OkStatus();
}

// Weight streaming across steps: a kernel step followed directly by one that names its leading
// weights may prefetch them as it ends (runtime/kernel.h).
void PlanBuilder::LinkWeightPrefetches() {
  for (size_t i = 0; i + 1 < plan_.steps.size(); ++i) {
    const Step& a = plan_.steps[i];
    const Step& b = plan_.steps[i + 1];
    if (a.kind != StepKind::kKernel || b.kind != StepKind::kKernel) continue;
    const std::span<const std::byte> next = b.kernel->LeadingWeights();
    if (!next.empty() && a.kernel->PrefetchNextWeights(next)) ++plan_.stats.num_weight_prefetch_links;
  }
}

Status PlanBuilder::PlanBuffers() {
  // Group lifetimes by buffer owner.
  std::vector<int> owners;
  std::map<int, size_t> owner_index;
  std::vector<BufferRequest> requests;
  for (size_t i = 0; i < plan_.slots.size(); ++i) {
    const Slot& s = plan_.slots[i];
    if (s.constant || s.root < 0) continue;
    auto [it, inserted] = owner_index.emplace(s.root, requests.size());
    if (inserted) {
      owners.push_back(s.root);
      BufferRequest r;
      r.size = plan_.slots[static_cast<size_t>(s.root)].info.md.get_size();
      r.first_step = kEndStep;
      r.last_step = -1;
      requests.push_back(r);
    }
    BufferRequest& r = requests[it->second];
    r.size = std::max(r.size, s.info.md.get_size());
    if (s.first_step <= s.last_step || s.is_feed) {
      r.first_step = std::min(r.first_step, s.first_step);
      r.last_step = std::max(r.last_step, s.last_step);
    }
  }
  for (auto& r : requests) {
    if (r.first_step > r.last_step) {  // defined but never used (dead outputs)
      r.last_step = r.first_step == kEndStep ? -1 : r.first_step;
      if (r.first_step == kEndStep) r.first_step = -1;
    }
  }
  MemoryPlan mp = PlanMemory(requests);
  Q2I_CHECK(PlanIsValid(requests, mp));
  plan_.arena = AllocateAligned(mp.total_size);
  for (size_t i = 0; i < plan_.slots.size(); ++i) {
    Slot& s = plan_.slots[i];
    if (s.constant || s.root < 0) continue;
    s.mem.set_data_handle(plan_.arena.get() + mp.offsets[owner_index[s.root]]);
  }
  for (auto& k : plan_.kernels)
    if (k) k->Bind();
  LinkWeightPrefetches();
  plan_.stats.arena_bytes = mp.total_size;
  for (const auto& r : requests) plan_.stats.unshared_bytes += r.size;
  for (const Step& st : plan_.steps) {
    ++plan_.stats.num_steps;
    if (st.kind == StepKind::kKernel) ++plan_.stats.num_kernel_steps;
    if (st.kind == StepKind::kReorder) ++plan_.stats.num_reorder_steps;
    if (st.interleave) ++plan_.stats.num_nchw_to_nhwc_steps;
    if (st.kernel != nullptr && !st.kernel->variant().empty()) ++plan_.stats.variant_steps[std::string(st.kernel->variant())];
    if (st.kind == StepKind::kCopy) ++plan_.stats.num_copy_steps;
  }
  return OkStatus();
}

// ------------------------------------------------------------------------------------------------
Status Executor::Impl::Analyze() {
  const ir::Program& p = *program;
  std::map<std::string, int, std::less<>> current;  // name -> latest value id
  op_io.resize(p.num_ops());
  entries.assign(p.num_ops(), nullptr);
  std::map<int64_t, std::pair<std::string, int>> feeds_by_col, fetch_by_col;
  for (size_t i = 0; i < p.num_ops(); ++i) {
    const ir::Op& op = p.op(i);
    const bool is_feed = op.type() == "feed";
    const bool is_fetch = op.type() == "fetch";
    if (!is_feed && !is_fetch) {
      KernelKey key = KernelKeyFor(op);
      entries[i] = registry->Find(key);
      if (entries[i] == nullptr) {
        return Unsupported("no kernel for ", op.DebugName(), " [", PrecisionName(key.precision), "]");
      }
    }
    OpIO& io = op_io[i];
    for (const ir::Slot& slot : op.inputs()) {
      io.inputs.emplace_back();
      if (is_feed) continue;  // reads the feed list
      for (const std::string& name : slot.args) {
        if (name.empty()) {
          io.inputs.back().push_back(-1);
          continue;
        }
        auto it = current.find(name);
        int vid;
        if (it != current.end()) {
          vid = it->second;
        } else if (p.FindParam(name) != nullptr) {
          vid = static_cast<int>(values.size());
          values.push_back({name, -1, true, -1, false});
          current[name] = vid;
        } else {
          return InvalidModel(op.DebugName(), " reads '", name,
                              "', which is neither a parameter nor written by an earlier op or feed");
        }
        values[static_cast<size_t>(vid)].last_use = static_cast<int>(i);
        io.inputs.back().push_back(vid);
      }
    }
    for (const ir::Slot& slot : op.outputs()) {
      io.outputs.emplace_back();
      if (is_fetch) continue;
      for (const std::string& name : slot.args) {
        if (name.empty()) {
          io.outputs.back().push_back(-1);
          continue;
        }
        int vid = static_cast<int>(values.size());
        values.push_back({name, static_cast<int>(i), false, -1, false});
        current[name] = vid;
        io.outputs.back().push_back(vid);
      }
    }
    if (is_feed || is_fetch) {
      auto col = op.GetInt("col", 0);
      if (!col.ok()) return col.status();
      if (is_feed) {
        if (op.Output("Out").empty()) return InvalidModel(op.DebugName(), " has no Out");
        if (feeds_by_col.count(*col)) return InvalidModel("two feed ops with col ", *col);
        feeds_by_col[*col] = {op.Output("Out"), io.outputs[static_cast<size_t>(SlotIndex(op.outputs(), "Out"))][0]};
      } else {
        const std::string& x = op.Input("X");
        auto it = current.find(x);
        if (it == current.end()) return InvalidModel(op.DebugName(), " fetches '", x, "', which nothing produces");
        if (fetch_by_col.count(*col)) return InvalidModel("two fetch ops with col ", *col);
        values[static_cast<size_t>(it->second)].fetched = true;
        fetch_by_col[*col] = {x, it->second};
      }
    }
  }
  int64_t expect = 0;
  for (const auto& [col, nv] : feeds_by_col) {
    if (col != expect++) return InvalidModel("feed columns are not 0..n-1");
    feed_names.push_back(nv.first);
    feed_values.push_back(nv.second);
    const ir::Var* var = p.FindVar(nv.first);
    feed_types.push_back(var && var->dtype ? *var->dtype : ir::DataType::kFP32);
  }
  expect = 0;
  for (const auto& [col, nv] : fetch_by_col) {
    if (col != expect++) return InvalidModel("fetch columns are not 0..n-1");
    fetch_names.push_back(nv.first);
    fetch_values.push_back(nv.second);
  }
  return OkStatus();
}

StatusOr<Plan*> Executor::Impl::GetPlan(const Signature& sig) {
  auto it = plans.find(sig);
  if (it != plans.end()) {
    lru.remove(sig);
    lru.push_front(sig);
    current = it->second.get();
    return current;
  }
  ApplyThreads();
  auto plan = std::make_unique<Plan>();
  PlanBuilder builder(*this, *plan);
  Q2I_RETURN_IF_ERROR(builder.Build(sig));
  op_profile.resize(program->num_ops());
  for (Step& st : plan->steps) {
    st.profile_entry = &profile_map[st.label];
    if (st.kind == StepKind::kKernel) st.op_entry = &op_profile[static_cast<size_t>(st.op_index)];
  }
  while (options.max_cached_plans > 0 && plans.size() >= options.max_cached_plans && !lru.empty()) {
    if (current == plans[lru.back()].get()) current = nullptr;
    plans.erase(lru.back());
    lru.pop_back();
  }
  Plan* raw = plan.get();
  plans[sig] = std::move(plan);
  lru.push_front(sig);
  current = raw;
  return raw;
}

Status Executor::Impl::RunPlan(Plan& plan, const std::vector<ir::Tensor>& feeds, std::vector<ir::Tensor>& outputs) {
  const auto t_start = Clock::now();
  for (size_t i = 0; i < feeds.size(); ++i) {
    const Slot& s = plan.slots[static_cast<size_t>(plan.feed_slots[i])];
    if (feeds[i].nbytes() > 0) std::memcpy(s.mem.get_data_handle(), feeds[i].raw_data(), feeds[i].nbytes());
  }
  RunContext rc(stream);
  double kernel_total = 0;
  for (Step& st : plan.steps) {
    const auto t0 = options.profile ? Clock::now() : Clock::time_point();
    const ir::Op& op = program->op(static_cast<size_t>(st.op_index));
    if (st.kind == StepKind::kKernel) {
      Status s;
      try {
        s = st.kernel->Run(rc);
      } catch (const dnnl::error& e) {
        s = DnnlError(op, "run", e);
      }
      if (!s.ok()) return WithOpContext(s, op, "while running");
    } else if (st.interleave) {
      RunNchwToNhwc(*st.interleave, plan.slots[static_cast<size_t>(st.reads[0])].mem.get_data_handle(),
                    plan.slots[static_cast<size_t>(st.writes[0])].mem.get_data_handle());
      ++reorders;
    } else {
      dnnl_status_t ds = st.call.Execute(stream);
      if (ds != dnnl_success) return DnnlStatusError(op, st.kind == StepKind::kCopy ? "copy an input" : "reorder an input", ds);
      if (st.kind == StepKind::kReorder) ++reorders; else ++copies;
    }
    if (options.profile) {
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      st.profile_entry->total_ms += ms;
      st.profile_entry->count += 1;
      if (st.op_entry != nullptr) {
        st.op_entry->total_ms += ms;
        st.op_entry->count += 1;
      }
      kernel_total += ms;
    }
  }
  outputs.resize(plan.fetch_slots.size());
  for (size_t i = 0; i < plan.fetch_slots.size(); ++i) {
    const Slot& s = plan.slots[static_cast<size_t>(plan.fetch_slots[i])];
    ir::Tensor& out = outputs[i];
    if (out.empty() || out.dtype() != s.info.dtype || out.dims() != s.info.dims) out = ir::Tensor(s.info.dtype, s.info.dims);
    if (plan.fetch_reorders[i].valid()) {
      plan.fetch_dst[i].set_data_handle(out.raw_data());
      dnnl_status_t ds = plan.fetch_reorders[i].Execute(stream);
      if (ds != dnnl_success) return InternalError("reorder of fetch target '", fetch_names[i], "' failed");
      ++reorders;
    } else if (out.nbytes() > 0) {
      const void* src = s.constant && !s.const_value.empty() ? s.const_value.raw_data() : s.mem.get_data_handle();
      std::memcpy(out.raw_data(), src, out.nbytes());
    }
  }
  stream.wait();
  ++runs;
  if (options.profile) {
    kernel_ms += kernel_total;
    wall_ms += std::chrono::duration<double, std::milli>(Clock::now() - t_start).count();
  }
  return OkStatus();
}

// ------------------------------------------------------------------------------------------------
Executor::Executor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Executor::~Executor() = default;

StatusOr<ConvImplPolicy> ParseConvImplPolicy(std::string_view name) {
  if (name == "tuned") return ConvImplPolicy::kTuned;
  if (name == "library") return ConvImplPolicy::kLibraryDefault;
  return InvalidArgument("conv_impl must be 'tuned' or 'library', got '", name, "'");
}

StatusOr<std::unique_ptr<Executor>> Executor::Create(const ir::Program& program, ExecutorOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->program = &program;
  impl->options = options;
  impl->registry = options.registry ? options.registry : &DefaultKernelRegistry();
  Q2I_RETURN_IF_ERROR(impl->Analyze());
  try {
    impl->engine = dnnl::engine(dnnl::engine::kind::cpu, 0);
    impl->stream = dnnl::stream(impl->engine);
  } catch (const dnnl::error& e) {
    return InternalError("cannot create the oneDNN CPU engine: ", e.what());
  }
  return std::unique_ptr<Executor>(new Executor(std::move(impl)));
}

StatusOr<std::unique_ptr<Executor>> Executor::Create(std::shared_ptr<const ir::Program> program,
                                                     ExecutorOptions options) {
  if (!program) return InvalidArgument("Executor::Create: null program");
  Q2I_ASSIGN_OR_RETURN(auto exec, Create(*program, options));
  exec->impl_->keep_alive = std::move(program);
  return exec;
}

const std::vector<std::string>& Executor::feed_names() const { return impl_->feed_names; }
const std::vector<std::string>& Executor::fetch_names() const { return impl_->fetch_names; }
const ir::Program& Executor::program() const { return *impl_->program; }

Status Executor::Prepare(const std::vector<std::vector<int64_t>>& input_shapes) {
  return Prepare(input_shapes, impl_->feed_types);
}

Status Executor::Prepare(const std::vector<std::vector<int64_t>>& input_shapes,
                         const std::vector<ir::DataType>& input_types) {
  if (input_shapes.size() != impl_->feed_names.size() || input_types.size() != input_shapes.size()) {
    return InvalidArgument("Prepare: expected ", impl_->feed_names.size(), " input shapes and types, got ",
                           input_shapes.size(), " and ", input_types.size());
  }
  Signature sig;
  for (size_t i = 0; i < input_shapes.size(); ++i) {
    auto n = ir::CheckedNumel(input_shapes[i], int64_t{1} << 34);
    if (!n.ok()) return n.status().WithContext("input '" + impl_->feed_names[i] + "'");
    sig.emplace_back(static_cast<int>(input_types[i]), input_shapes[i]);
  }
  auto plan = impl_->GetPlan(sig);
  return plan.status();
}

Status Executor::Run(const std::vector<ir::Tensor>& feeds, std::vector<ir::Tensor>& outputs) {
  if (feeds.size() != impl_->feed_names.size()) {
    return InvalidArgument("Run: expected ", impl_->feed_names.size(), " feeds, got ", feeds.size());
  }
  for (size_t i = 0; i < feeds.size(); ++i) {
    if (feeds[i].empty() && feeds[i].numel() != 0) return InvalidArgument("feed '", impl_->feed_names[i], "' is empty");
  }
  impl_->ApplyThreads();
  Plan* plan = impl_->current;
  bool same = plan != nullptr && plan->feed_slots.size() == feeds.size();
  for (size_t i = 0; same && i < feeds.size(); ++i) {
    const Slot& s = plan->slots[static_cast<size_t>(plan->feed_slots[i])];
    same = s.info.dtype == feeds[i].dtype() && s.info.dims == feeds[i].dims();
  }
  if (!same) {
    Signature sig;
    for (const ir::Tensor& f : feeds) sig.emplace_back(static_cast<int>(f.dtype()), f.dims());
    Q2I_ASSIGN_OR_RETURN(plan, impl_->GetPlan(sig));
  }
  return impl_->RunPlan(*plan, feeds, outputs);
}

StatusOr<std::vector<ir::Tensor>> Executor::Run(const std::vector<ir::Tensor>& feeds) {
  std::vector<ir::Tensor> outputs;
  Q2I_RETURN_IF_ERROR(Run(feeds, outputs));
  return outputs;
}

StatusOr<std::map<std::string, ir::Tensor>> Executor::Run(const std::map<std::string, ir::Tensor>& feeds) {
  std::vector<ir::Tensor> ordered;
  for (const std::string& name : impl_->feed_names) {
    auto it = feeds.find(name);
    if (it == feeds.end()) return InvalidArgument("Run: missing feed '", name, "'");
    ordered.push_back(it->second);
  }
  for (const auto& [name, t] : feeds) {
    if (std::find(impl_->feed_names.begin(), impl_->feed_names.end(), name) == impl_->feed_names.end())
      return InvalidArgument("Run: '", name, "' is not a feed target of the program");
  }
  Q2I_ASSIGN_OR_RETURN(auto outputs, Run(ordered));
  std::map<std::string, ir::Tensor> result;
  for (size_t i = 0; i < outputs.size(); ++i) result[impl_->fetch_names[i]] = std::move(outputs[i]);
  return result;
}

StatusOr<std::vector<std::vector<int64_t>>> Executor::OutputShapes() const {
  if (impl_->current == nullptr) return NotFound("nothing prepared yet");
  return impl_->current->output_dims;
}

StatusOr<PlanStats> Executor::CurrentPlanStats() const {
  if (impl_->current == nullptr) return NotFound("nothing prepared yet");
  return impl_->current->stats;
}

size_t Executor::num_cached_plans() const { return impl_->plans.size(); }

std::string Executor::DumpPlan() const {
  const Plan* plan = impl_->current;
  if (plan == nullptr) return "(nothing prepared)\n";
  std::ostringstream os;
  for (size_t i = 0; i < plan->steps.size(); ++i) {
    const Step& st = plan->steps[i];
    const ir::Op& op = impl_->program->op(static_cast<size_t>(st.op_index));
    os << i << ": " << (st.kind == StepKind::kKernel ? op.DebugName() : st.label + " for " + op.DebugName());
    os << "  in:";
    for (int r : st.reads) os << " {" << DescToString(plan->slots[static_cast<size_t>(r)].info.md) << "}";
    os << "  out:";
    for (int w : st.writes) os << " {" << DescToString(plan->slots[static_cast<size_t>(w)].info.md) << "}";
    os << "\n";
  }
  return os.str();
}

StatusOr<Executor::PlannedValue> Executor::PlannedArgument(size_t op_index, bool output, std::string_view slot,
                                                           int index) const {
  const Plan* plan = impl_->current;
  if (plan == nullptr) return NotFound("nothing prepared yet");
  if (op_index >= impl_->program->num_ops()) return NotFound("no op ", op_index);
  const ir::Op& op = impl_->program->op(op_index);
  const auto& slots = output ? op.outputs() : op.inputs();
  const int s = SlotIndex(slots, slot);
  const auto& io = impl_->op_io[op_index];
  const auto& ids = output ? io.outputs : io.inputs;
  if (s < 0 || index < 0 || static_cast<size_t>(index) >= ids[static_cast<size_t>(s)].size()) {
    return NotFound(op.DebugName(), " has no ", output ? "output " : "input ", slot, "[", index, "]");
  }
  const int vid = ids[static_cast<size_t>(s)][static_cast<size_t>(index)];
  const int sl = vid < 0 ? -1 : plan->value_slot[static_cast<size_t>(vid)];
  if (sl < 0) return NotFound(op.DebugName(), ": ", slot, "[", index, "] is not a value of the plan");
  const Slot& v = plan->slots[static_cast<size_t>(sl)];
  return PlannedValue{impl_->values[static_cast<size_t>(vid)].name, v.info.dtype, v.info.dims};
}

int64_t Executor::reorders_executed() const { return impl_->reorders; }

ProfileReport Executor::profile() const {
  ProfileReport r;
  for (const auto& [label, p] : impl_->profile_map) {
    if (p.count == 0) continue;
    OpTypeProfile e = p;
    e.op_type = label;
    r.op_types.push_back(e);
  }
  std::sort(r.op_types.begin(), r.op_types.end(),
            [](const OpTypeProfile& a, const OpTypeProfile& b) { return a.total_ms > b.total_ms; });
  for (size_t i = 0; i < impl_->op_profile.size(); ++i) {
    const OpTypeProfile& p = impl_->op_profile[i];
    if (p.count == 0) continue;
    const ir::Op& op = impl_->program->op(i);
    r.ops.push_back({i, op.DebugName(), OpLabel(op), p.total_ms, p.count});
  }
  r.kernel_ms = impl_->kernel_ms;
  r.wall_ms = impl_->wall_ms;
  r.runs = impl_->runs;
  r.reorders_executed = impl_->reorders;
  r.copies_executed = impl_->copies;
  return r;
}

void Executor::ResetProfile() {
  for (auto& [label, p] : impl_->profile_map) {
    p.total_ms = 0;
    p.count = 0;
  }
  for (OpTypeProfile& p : impl_->op_profile) {
    p.total_ms = 0;
    p.count = 0;
  }
  impl_->kernel_ms = 0;
  impl_->wall_ms = 0;
  impl_->runs = 0;
  impl_->reorders = 0;
  impl_->copies = 0;
}

}  // namespace q2i::runtime
