// The ops of Paddle's accuracy layer and friends, as loops over plain data: top_k / top_k_v2 (values and
// int64 indices along the last axis, largest first), accuracy (top-k hit rate against int64 labels),
// arg_max.
#include <algorithm>
#include <numeric>

#include "runtime/kernels/common.h"
#include "runtime/kernels/register.h"

namespace q2i::runtime::kernels {
namespace {

class TopKKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    const ir::Op& op = ctx.op();
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* x, ctx.Input("X"));
    if (x->dtype != ir::DataType::kFP32 || x->dims.empty()) return Unsupported(op.DebugName(), ": X must be float32, rank >= 1");
    Q2I_ASSIGN_OR_RETURN(k_, op.GetInt("k", 1));
    if (const ir::Tensor* kt = ctx.InputConstant("K")) {
      Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> kv, ConstantInts(op, *kt, "K"));
      if (!kv.empty()) k_ = kv[0];
    }
    Q2I_ASSIGN_OR_RETURN(int64_t axis, op.GetInt("axis", -1));
    Q2I_ASSIGN_OR_RETURN(bool largest, op.GetBool("largest", true));
    const int r = static_cast<int>(x->dims.size());
    Q2I_ASSIGN_OR_RETURN(int a, NormalizeAxis(op, axis, r));
    if (a != r - 1 || !largest) return Unsupported(op.DebugName(), ": only the largest values along the last axis");
    n_ = x->dims.back();
    if (k_ < 1 || k_ > n_) return InvalidModel(op.DebugName(), ": k ", k_, " out of range for ", n_, " values");
    rows_ = x->numel() / std::max<int64_t>(n_, 1);
    std::vector<int64_t> out = x->dims;
    out.back() = k_;
    Q2I_ASSIGN_OR_RETURN(src_, ctx.PlainInputMemory("X"));
    Q2I_ASSIGN_OR_RETURN(values_, ctx.DefinePlainOutput("Out", 0, ir::DataType::kFP32, out));
    Q2I_ASSIGN_OR_RETURN(indices_, ctx.DefinePlainOutput("Indices", 0, ir::DataType::kInt64, out));
    order_.resize(static_cast<size_t>(n_));
    return OkStatus();
  }
  Status Run(RunContext&) override {
    const float* x = DataOf<float>(src_);
    float* v = DataOf<float>(values_);
    int64_t* idx = DataOf<int64_t>(indices_);
    for (int64_t r = 0; r < rows_; ++r) {
      const float* row = x + r * n_;
      std::iota(order_.begin(), order_.end(), int64_t{0});
      std::partial_sort(order_.begin(), order_.begin() + k_, order_.end(),
                        [&](int64_t a, int64_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
      for (int64_t j = 0; j < k_; ++j) {
        v[r * k_ + j] = row[order_[static_cast<size_t>(j)]];
        idx[r * k_ + j] = order_[static_cast<size_t>(j)];
      }
    }
    return OkStatus();
  }

 private:
  int64_t k_ = 1, n_ = 0, rows_ = 0;
  std::vector<int64_t> order_;
  memory src_, values_, indices_;
};

class AccuracyKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    const ir::Op& op = ctx.op();
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* idx, ctx.Input("Indices"));
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* label, ctx.Input("Label"));
    if (idx->dtype != ir::DataType::kInt64 || label->dtype != ir::DataType::kInt64 || idx->dims.size() != 2) {
      return InvalidModel(op.DebugName(), ": Indices [N, k] and Label must be int64");
    }
    rows_ = idx->dims[0];
    k_ = idx->dims[1];
    if (label->numel() != rows_) return InvalidModel(op.DebugName(), ": Label has ", label->numel(), " values for ", rows_, " rows");
    Q2I_ASSIGN_OR_RETURN(idx_, ctx.PlainInputMemory("Indices"));
    Q2I_ASSIGN_OR_RETURN(label_, ctx.PlainInputMemory("Label"));
    Q2I_ASSIGN_OR_RETURN(acc_, ctx.DefinePlainOutput("Accuracy", 0, ir::DataType::kFP32, {1}));
    if (ctx.HasOutput("Correct") && ctx.IsOutputUsed("Correct")) {
      Q2I_ASSIGN_OR_RETURN(correct_, ctx.DefinePlainOutput("Correct", 0, ir::DataType::kInt32, {1}));
    }
    if (ctx.HasOutput("Total") && ctx.IsOutputUsed("Total")) {
      Q2I_ASSIGN_OR_RETURN(total_, ctx.DefinePlainOutput("Total", 0, ir::DataType::kInt32, {1}));
    }
    return OkStatus();
  }
  Status Run(RunContext&) override {
    const int64_t* idx = DataOf<int64_t>(idx_);
    const int64_t* label = DataOf<int64_t>(label_);
    int64_t hits = 0;
    for (int64_t r = 0; r < rows_; ++r) {
      for (int64_t j = 0; j < k_; ++j) {
        if (idx[r * k_ + j] == label[r]) {
          ++hits;
          break;
        }
      }
    }
    DataOf<float>(acc_)[0] = rows_ ? static_cast<float>(hits) / static_cast<float>(rows_) : 0.f;
    if (correct_) DataOf<int32_t>(correct_)[0] = static_cast<int32_t>(hits);
    if (total_) DataOf<int32_t>(total_)[0] = static_cast<int32_t>(rows_);
    return OkStatus();
  }

 private:
  int64_t rows_ = 0, k_ = 0;
  memory idx_, label_, acc_, correct_, total_;
};

class ArgMaxKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    const ir::Op& op = ctx.op();
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* x, ctx.Input("X"));
    if (x->dtype != ir::DataType::kFP32 || x->dims.empty()) return Unsupported(op.DebugName(), ": X must be float32");
    Q2I_ASSIGN_OR_RETURN(int64_t axis, op.GetInt("axis", -1));
    Q2I_ASSIGN_OR_RETURN(bool keepdims, op.GetBool("keepdims", false));
    Q2I_ASSIGN_OR_RETURN(bool flatten, op.GetBool("flatten", false));
    Q2I_ASSIGN_OR_RETURN(int64_t dtype, op.GetInt("dtype", 3));
    if (dtype != 3 && dtype != 2 && dtype != -1) return Unsupported(op.DebugName(), ": dtype ", dtype);
    int64_ = dtype != 2;
    std::vector<int64_t> dims = x->dims;
    if (flatten) dims = {x->numel()};
    const int r = static_cast<int>(dims.size());
    Q2I_ASSIGN_OR_RETURN(int a, NormalizeAxis(op, flatten ? 0 : axis, r));
    outer_ = 1;
    inner_ = 1;
    for (int i = 0; i < a; ++i) outer_ *= dims[static_cast<size_t>(i)];
    for (int i = a + 1; i < r; ++i) inner_ *= dims[static_cast<size_t>(i)];
    n_ = dims[static_cast<size_t>(a)];
    std::vector<int64_t> out = dims;
    if (keepdims) {
      out[static_cast<size_t>(a)] = 1;
    } else {
      out.erase(out.begin() + a);
      if (out.empty()) out = {1};
    }
    Q2I_ASSIGN_OR_RETURN(src_, ctx.PlainInputMemory("X"));
    Q2I_ASSIGN_OR_RETURN(dst_, ctx.DefinePlainOutput("Out", 0, int64_ ? ir::DataType::kInt64 : ir::DataType::kInt32, out));
    return OkStatus();
  }
  Status Run(RunContext&) override {
    const float* x = DataOf<float>(src_);
    for (int64_t o = 0; o < outer_; ++o)
      for (int64_t i = 0; i < inner_; ++i) {
        int64_t best = 0;
        for (int64_t j = 1; j < n_; ++j)
          if (x[(o * n_ + j) * inner_ + i] > x[(o * n_ + best) * inner_ + i]) best = j;
        if (int64_) {
          DataOf<int64_t>(dst_)[o * inner_ + i] = best;
        } else {
          DataOf<int32_t>(dst_)[o * inner_ + i] = static_cast<int32_t>(best);
        }
      }
    return OkStatus();
  }

 private:
  bool int64_ = true;
  int64_t outer_ = 1, inner_ = 1, n_ = 1;
  memory src_, dst_;
};

}  // namespace

void RegisterAccuracyKernels(KernelRegistry& r) {
  Reg<TopKKernel>(r, "top_k", KernelPrecision::kFloat, "loop_topk");
  Reg<TopKKernel>(r, "top_k_v2", KernelPrecision::kFloat, "loop_topk");
  Reg<AccuracyKernel>(r, "accuracy", KernelPrecision::kFloat, "loop_accuracy");
  Reg<ArgMaxKernel>(r, "arg_max", KernelPrecision::kFloat, "loop_argmax");
}

}  // namespace q2i::runtime::kernels
