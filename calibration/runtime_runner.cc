#include "calibration/runtime_runner.h"

#include "runtime/executor.h"

namespace q2i::calibration {
namespace {

class RuntimeRunner final : public BatchRunner {
 public:
  explicit RuntimeRunner(std::unique_ptr<runtime::Executor> executor) : executor_(std::move(executor)) {}
  StatusOr<std::vector<ir::Tensor>> Run(const std::vector<ir::Tensor>& feeds) override { return executor_->Run(feeds); }

 private:
  std::unique_ptr<runtime::Executor> executor_;
};

}  // namespace

RunnerFactory RuntimeRunnerFactory(int num_threads) {
  return [num_threads](const ir::Program& program) -> StatusOr<std::unique_ptr<BatchRunner>> {
    auto shared = std::make_shared<const ir::Program>(program.Clone());
    runtime::ExecutorOptions options;
    options.num_threads = num_threads;
    Q2I_ASSIGN_OR_RETURN(auto executor, runtime::Executor::Create(std::move(shared), options));
    return std::unique_ptr<BatchRunner>(new RuntimeRunner(std::move(executor)));
  };
}

}  // namespace q2i::calibration
