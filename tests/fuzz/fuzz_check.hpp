// What every fuzz target shares: an invariant that fails prints what broke
// and aborts, so libFuzzer saves the input as a crash artifact.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace eslaunch_fuzz {

[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {}) {
    std::fprintf(stderr, "\n==eslaunch-fuzz== INVARIANT FAILED: %.*s\n", static_cast<int>(what.size()), what.data());
    if (!detail.empty()) {
        std::fprintf(stderr, "==eslaunch-fuzz== %.*s\n", static_cast<int>(detail.size()), detail.data());
    }
    std::fflush(stderr);
    std::abort();
}

}  // namespace eslaunch_fuzz

#define FUZZ_STR2(x) #x
#define FUZZ_STR(x) FUZZ_STR2(x)
#define FUZZ_CHECK(cond, detail)                                                                  \
    do {                                                                                          \
        if (!(cond)) ::eslaunch_fuzz::fail(#cond " (" __FILE__ ":" FUZZ_STR(__LINE__) ")", detail); \
    } while (0)
