// Executor behaviour: kernel lookup at Create, feeds/fetches, dynamic shapes and plan caching, run by
// name, reuse of output buffers, profiling, sharing one program between executors and threads.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "runtime/executor.h"
#include "runtime/memory_planner.h"
#include "tests/runtime/op_test_util.h"
#include "tests/runtime/reference_ops.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using ir::Attribute;

ir::Program SmallNet(ir::Tensor* w_out = nullptr) {
  ir::Tensor w = RandomTensor({8, 3, 3, 3}, 151), b = RandomTensor({8}, 152);
  if (w_out) *w_out = w;
  return BuildProgram({{"x", ir::Tensor(ir::DataType::kFP32, {1, 3, 8, 8})}}, {{"w", w}, {"b", b}},
                      {{"conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"c"}}}, {{"paddings", Attribute::Ints({1, 1})}}},
                       {"elementwise_add", {{"X", {"c"}}, {"Y", {"b"}}}, {{"Out", {"d"}}}, {{"axis", Attribute::Int(1)}}},
                       {"relu", {{"X", {"d"}}}, {{"Out", {"e"}}}, {}},
                       {"pool2d", {{"X", {"e"}}}, {{"Out", {"f"}}},
                        {{"pooling_type", Attribute::String("avg")}, {"global_pooling", Attribute::Bool(true)}}},
                       {"flatten2", {{"X", {"f"}}}, {{"Out", {"g"}}}, {{"axis", Attribute::Int(1)}}},
                       {"softmax", {{"X", {"g"}}}, {{"Out", {"h"}}}, {}}},
                      {"h", "e"});
}

ir::Tensor SmallNetRef(const ir::Program& p, const ir::Tensor& x) {
  ref::Conv2dParams cp;
  cp.pad_t = cp.pad_b = cp.pad_l = cp.pad_r = 1;
  ir::Tensor c = ref::Conv2d(x, *p.FindParam("w"), p.FindParam("b"), cp);
  ir::Tensor e = ref::Unary(c, "relu");
  ref::Pool2dParams pp;
  pp.max = false;
  pp.global = true;
  ir::Tensor f = ref::Pool2d(e, pp);
  return ref::Softmax(f.Reshaped({x.dims()[0], 8}), 1);
}

TEST(ExecutorTest, MissingKernelFailsAtCreateNamingTheOp) {
  ir::Program p = BuildProgram({{"x", RandomTensor({2}, 1)}}, {}, {{"my_custom_op", {{"X", {"x"}}}, {{"Out", {"y"}}}, {}}}, {"y"});
  auto exec = runtime::Executor::Create(p);
  ASSERT_FALSE(exec.ok());
  EXPECT_EQ(exec.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(exec.status().message().find("my_custom_op(id="), std::string::npos) << exec.status().ToString();
  EXPECT_NE(exec.status().message().find("fp32"), std::string::npos);
}

TEST(ExecutorTest, Int8OpsNeedInt8Kernels) {
  ir::Program p = BuildProgram({{"x", RandomTensor({2}, 1)}}, {},
                               {{"softmax", {{"X", {"x"}}}, {{"Out", {"y"}}}, {{"mkldnn_data_type", Attribute::String("int8")}}}}, {"y"});
  auto exec = runtime::Executor::Create(p);
  ASSERT_FALSE(exec.ok());
  EXPECT_NE(exec.status().message().find("softmax(id="), std::string::npos);
  EXPECT_NE(exec.status().message().find("int8"), std::string::npos);
}

TEST(ExecutorTest, ReadingAnUndefinedVariableFailsAtCreate) {
  ir::Program p = BuildProgram({{"x", RandomTensor({2}, 1)}}, {}, {{"elementwise_add", {{"X", {"x"}}, {"Y", {"nope"}}}, {{"Out", {"y"}}}, {}}}, {"y"});
  auto exec = runtime::Executor::Create(p);
  ASSERT_FALSE(exec.ok());
  EXPECT_NE(exec.status().message().find("'nope'"), std::string::npos);
}

TEST(ExecutorTest, RunsDynamicShapesAndCachesPlans) {
  ir::Program p = SmallNet();
  auto exec = runtime::Executor::Create(p, {.num_threads = 2});
  ASSERT_TRUE(exec.ok());
  EXPECT_EQ((*exec)->feed_names(), std::vector<std::string>{"x"});
  EXPECT_EQ((*exec)->fetch_names(), (std::vector<std::string>{"h", "e"}));
  for (std::vector<int64_t> dims : {std::vector<int64_t>{1, 3, 8, 8}, {4, 3, 7, 9}, {1, 3, 8, 8}, {2, 3, 16, 16}}) {
    ir::Tensor x = RandomTensor(dims, 153);
    auto out = (*exec)->Run({x});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_TRUE(TensorsNear((*out)[0], SmallNetRef(p, x), 1e-4, 1e-6));
    EXPECT_EQ((*out)[1].dims(), (std::vector<int64_t>{dims[0], 8, dims[2], dims[3]}));
  }
  EXPECT_EQ((*exec)->num_cached_plans(), 3u);
  auto shapes = (*exec)->OutputShapes();
  ASSERT_TRUE(shapes.ok());
  EXPECT_EQ((*shapes)[0], (std::vector<int64_t>{2, 8}));
}

TEST(ExecutorTest, PlanCacheIsBounded) {
  ir::Program p = SmallNet();
  auto exec = runtime::Executor::Create(p, {.max_cached_plans = 2});
  ASSERT_TRUE(exec.ok());
  for (int h = 4; h < 9; ++h) ASSERT_TRUE((*exec)->Run({RandomTensor({1, 3, h, h}, 1)}).ok());
  EXPECT_EQ((*exec)->num_cached_plans(), 2u);
}

TEST(ExecutorTest, RunByNameAndErrors) {
  ir::Program p = SmallNet();
  auto exec = runtime::Executor::Create(p);
  ASSERT_TRUE(exec.ok());
  ir::Tensor x = RandomTensor({1, 3, 8, 8}, 154);
  auto named = (*exec)->Run(std::map<std::string, ir::Tensor>{{"x", x}});
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_TRUE(TensorsNear(named->at("h"), SmallNetRef(p, x), 1e-4, 1e-6));
  EXPECT_FALSE((*exec)->Run(std::map<std::string, ir::Tensor>{{"y", x}}).ok());
  EXPECT_FALSE((*exec)->Run(std::vector<ir::Tensor>{}).ok());
  auto bad = (*exec)->Run({RandomTensor({1, 4, 8, 8}, 1)});  // wrong channel count
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("conv2d(id="), std::string::npos) << bad.status().ToString();
  // The executor still works afterwards.
  EXPECT_TRUE((*exec)->Run({x}).ok());
}

TEST(ExecutorTest, ReusesOutputTensorsAndRunsRepeatably) {
  ir::Program p = SmallNet();
  auto exec = runtime::Executor::Create(p);
  ASSERT_TRUE(exec.ok());
  ir::Tensor x = RandomTensor({2, 3, 8, 8}, 155);
  std::vector<ir::Tensor> outs;
  ASSERT_TRUE((*exec)->Run({x}, outs).ok());
  const uint8_t* buf = outs[0].raw_data();
  ir::Tensor first = outs[0].Clone();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*exec)->Run({x}, outs).ok());
  EXPECT_EQ(outs[0].raw_data(), buf);
  EXPECT_TRUE(TensorsNear(outs[0], first, 0, 0));
}

TEST(ExecutorTest, ProfileReport) {
  ir::Program p = SmallNet();
  auto exec = runtime::Executor::Create(p, {.profile = true});
  ASSERT_TRUE(exec.ok());
  ir::Tensor x = RandomTensor({1, 3, 8, 8}, 156);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*exec)->Run({x}).ok());
  runtime::ProfileReport r = (*exec)->profile();
  EXPECT_EQ(r.runs, 3);
  EXPECT_GT(r.wall_ms, 0);
  EXPECT_LE(r.kernel_ms, r.wall_ms * 1.01);
  bool has_conv = false;
  for (const auto& t : r.op_types) {
    if (t.op_type == "conv2d") {
      has_conv = true;
      EXPECT_EQ(t.count, 3);
    }
  }
  EXPECT_TRUE(has_conv);
  EXPECT_EQ(r.reorders_executed, (*exec)->reorders_executed());
  EXPECT_NE(r.ToString().find("conv2d"), std::string::npos);
  (*exec)->ResetProfile();
  EXPECT_EQ((*exec)->profile().runs, 0);
}

TEST(ExecutorTest, MemoryIsSharedBetweenValues) {
  // A long chain of same-size ops needs about two buffers, not one per value.
  std::vector<OpCall> ops;
  std::string prev = "x";
  for (int i = 0; i < 10; ++i) {
    std::string next = "v" + std::to_string(i);
    ops.push_back({i % 2 ? "relu" : "sigmoid", {{"X", {prev}}}, {{"Out", {next}}}, {}});
    prev = next;
  }
  ir::Tensor x = RandomTensor({1, 64, 32, 32}, 157);
  ir::Program p = BuildProgram({{"x", x}}, {}, ops, {prev});
  auto exec = runtime::Executor::Create(p);
  ASSERT_TRUE(exec.ok());
  ASSERT_TRUE((*exec)->Run({x}).ok());
  auto st = (*exec)->CurrentPlanStats();
  EXPECT_LE(st->arena_bytes, 3 * x.nbytes() + 1024);
  EXPECT_GE(st->unshared_bytes, 10 * x.nbytes());
}

TEST(ExecutorTest, SharedProgramAcrossThreads) {
  auto program = std::make_shared<const ir::Program>(SmallNet());
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto exec = runtime::Executor::Create(program, {.num_threads = 1});
      if (!exec.ok()) return;
      int good = 1;
      for (int i = 0; i < 5; ++i) {
        ir::Tensor x = RandomTensor({1 + t % 2, 3, 8, 8}, static_cast<uint32_t>(160 + t * 10 + i));
        auto out = (*exec)->Run({x});
        good &= out.ok() && TensorsNear((*out)[0], SmallNetRef(*program, x), 1e-4, 1e-6);
      }
      ok[static_cast<size_t>(t)] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int v : ok) EXPECT_EQ(v, 1);
}

TEST(ExecutorTest, FoldsOpsOnConstants) {
  // fake-quant of a weight and a transpose of a param run once at prepare time.
  ir::Tensor w = RandomTensor({4, 3}, 170), x = RandomTensor({2, 4}, 171);
  ir::Program p = BuildProgram({{"x", x}}, {{"w", w}},
                               {{"transpose2", {{"X", {"w"}}}, {{"Out", {"wt"}}}, {{"axis", Attribute::Ints({1, 0})}}},
                                {"scale", {{"X", {"wt"}}}, {{"Out", {"ws"}}}, {{"scale", Attribute::Float(2.f)}}},
                                {"matmul_v2", {{"X", {"x"}}, {"Y", {"ws"}}}, {{"Out", {"y"}}}, {{"trans_y", Attribute::Bool(true)}}}},
                               {"y"});
  auto exec = runtime::Executor::Create(p);
  ASSERT_TRUE(exec.ok());
  auto out = (*exec)->Run({x});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(TensorsNear((*out)[0], ref::MatMul(x, ref::Unary(w, "linear", 2.f, 0.f), false, false), 1e-5, 1e-6));
  auto st = (*exec)->CurrentPlanStats();
  EXPECT_EQ(st->num_folded_ops, 2);
  EXPECT_EQ(st->num_kernel_steps, 1);
}

TEST(MemoryPlannerTest, NonOverlappingLifetimesShareBytes) {
  std::vector<runtime::BufferRequest> req = {{100, 0, 1}, {200, 1, 2}, {100, 2, 3}, {50, -1, 5}, {300, 4, 5}};
  runtime::MemoryPlan plan = runtime::PlanMemory(req);
  EXPECT_TRUE(runtime::PlanIsValid(req, plan));
  EXPECT_LT(plan.total_size, 100u + 200 + 100 + 50 + 300 + 5 * 64);
  for (size_t off : plan.offsets) EXPECT_EQ(off % 64, 0u);
  // Random stress.
  std::mt19937 g(3);
  for (int round = 0; round < 50; ++round) {
    std::vector<runtime::BufferRequest> r;
    for (int i = 0; i < 40; ++i) {
      int a = static_cast<int>(g() % 30), b = a + static_cast<int>(g() % 10);
      r.push_back({static_cast<size_t>(g() % 5000), a, b});
    }
    EXPECT_TRUE(runtime::PlanIsValid(r, runtime::PlanMemory(r)));
  }
}

}  // namespace
}  // namespace q2i::testing
