// Steady-state Run (same shapes, outputs reused): the executor and our kernels allocate nothing; the only
// allocations left are oneDNN's own per-execute bookkeeping (its argument maps), a few per primitive.
#include <gtest/gtest.h>

#include "converter/model_io.h"
#include "runtime/executor.h"
#include "tests/runtime/alloc_counter.h"
#include "tests/runtime/op_test_util.h"
#include "tests/test_util/program_helpers.h"
#include "tests/test_util/shared_data.h"

namespace q2i::testing {
namespace {

using ir::Attribute;

// New-calls per Run after warm-up (the same for every run), and the plan's step count.
#define REQUIRE_COUNTER()                                                            \
  do {                                                                               \
    if (NewCallCount() < 0) GTEST_SKIP() << "operator new is not counted in this build"; \
  } while (0)

std::pair<int64_t, int> AllocationsPerRun(const ir::Program& program, const std::vector<ir::Tensor>& feeds, bool profile) {
  auto exec = runtime::Executor::Create(program, {.num_threads = 1, .profile = profile});
  EXPECT_TRUE(exec.ok()) << exec.status().ToString();
  if (!exec.ok()) return {-1, 0};
  std::vector<ir::Tensor> outputs;
  EXPECT_TRUE((*exec)->Run(feeds, outputs).ok());
  EXPECT_TRUE((*exec)->Run(feeds, outputs).ok());
  int64_t per_run = -1;
  for (int i = 0; i < 3; ++i) {
    const int64_t before = NewCallCount();
    EXPECT_TRUE((*exec)->Run(feeds, outputs).ok());
    const int64_t n = NewCallCount() - before;
    if (per_run >= 0) {
      EXPECT_EQ(n, per_run) << "allocations grow from run to run";
    }
    per_run = n;
  }
  return {per_run, (*exec)->CurrentPlanStats()->num_steps};
}

TEST(SteadyStateTest, ExecutorAndLoopKernelsAllocateNothing) {
  REQUIRE_COUNTER();
  // Only kernels of ours (no oneDNN primitive): fake-quant, interpolation, views, int64 arithmetic.
  ir::Tensor x = RandomTensor({1, 4, 6, 8}, 1), s = FloatTensor({1}, {1.5f});
  ir::Tensor i = ir::Tensor::FromVector<int64_t>({3}, {1, 2, 3});
  ir::Program p = BuildProgram(
      {{"x", x}, {"i", i}}, {{"s", s}},
      {{"fake_quantize_dequantize_moving_average_abs_max", {{"X", {"x"}}, {"InScale", {"s"}}}, {{"Out", {"q"}}}, {}},
       {"nearest_interp_v2", {{"X", {"q"}}}, {{"Out", {"u"}}},
        {{"scale", Attribute::Floats({2.f, 2.f})}, {"align_corners", Attribute::Bool(false)}}},
       {"reshape2", {{"X", {"u"}}}, {{"Out", {"r"}}}, {{"shape", Attribute::Ints({0, -1})}}},
       {"fake_quantize_dequantize_abs_max", {{"X", {"r"}}}, {{"Out", {"a"}}, {"OutScale", {"as"}}}, {}},
       {"elementwise_add", {{"X", {"i"}}, {"Y", {"i"}}}, {{"Out", {"j"}}}, {}}},
      {"a", "as", "j"});
  for (bool profile : {false, true}) {
    EXPECT_EQ(AllocationsPerRun(p, {x, i}, profile).first, 0) << profile;
  }
}

TEST(SteadyStateTest, ModelsAllocateOnlyInsideOneDnn) {
  REQUIRE_COUNTER();
  for (const char* name : {"ocr_cls_slim", "ocr_det_v3_slim"}) {
    SCOPED_TRACE(name);
    Q2I_REQUIRE_SHARED(std::string("models/") + name + "/inference.pdmodel");
    auto p = converter::LoadModel({SharedPath(std::string("models/") + name), "", ""});
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    const bool det = std::string(name).find("det") != std::string::npos;
    ir::Tensor x = RandomTensor(det ? std::vector<int64_t>{1, 3, 64, 96} : std::vector<int64_t>{2, 3, 48, 192}, 5);
    auto [per_run, steps] = AllocationsPerRun(*p, {x}, true);
    EXPECT_GE(per_run, 0);
    EXPECT_LE(per_run, 8 * steps) << "steps " << steps;
  }
}

}  // namespace
}  // namespace q2i::testing
