#pragma once
// What every fuzz target shares: FUZZ_CHECK, an invariant of the parser under test. A broken one
// aborts, so libFuzzer saves the input that broke it (a crash to the sanitizers as much as to us).

#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(condition, what)                                                      \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      std::fprintf(stderr, "invariant broken at %s:%d: %s\n", __FILE__, __LINE__, what); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)

namespace strongroom::fuzz {

inline std::string_view Text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace strongroom::fuzz
