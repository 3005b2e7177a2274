// MM_CHECK: for states that cannot happen unless our own code is wrong. Stays on in release builds
// and aborts with the file, line and message. Never use it on outside input (bytes, config, peers):
// those get a Status.
#pragma once

#include <cstdio>
#include <cstdlib>

#define MM_CHECK(cond, msg)                                                                  \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: check failed: %s: %s\n", __FILE__, __LINE__, #cond, msg); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)
