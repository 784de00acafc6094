// The runtime executor (runtime/executor.h) as a calibration BatchRunner. Built only when the
// q2i_runtime library is part of the build (Q2I_HAVE_RUNTIME is then defined for users of
// q2i_calibration).
#pragma once

#include "calibration/calibrator.h"

namespace q2i::calibration {

// Runners own a copy of the calibration program and one runtime::Executor on it. `num_threads` > 0
// sets the executor's OpenMP threads.
RunnerFactory RuntimeRunnerFactory(int num_threads = 0);

}  // namespace q2i::calibration
