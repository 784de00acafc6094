// Counts calls to the global operator new in this test binary (alloc_counter.cc replaces it), so tests
// can check that a steady-state Run allocates nothing.
#pragma once

#include <cstdint>

namespace q2i::testing {

// -1 when not counting (AddressSanitizer builds).
int64_t NewCallCount();

}  // namespace q2i::testing
