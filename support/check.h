// Q2I_CHECK: aborts with file and line when one of OUR invariants breaks (a programming error).
// Never use it for anything a user's model, file or flag can cause: return a Status instead.
#pragma once

#include <cstdio>
#include <cstdlib>

#define Q2I_CHECK(cond)                                                                   \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: internal invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)
