// The table of spec files and what eslaunch must say about each: shared by
// the unit tests (tests/unit/spec_test.cpp) and the fuzzer's seed corpus
// (tests/fuzz/make_corpus.cpp).
#pragma once

#include <string_view>
#include <vector>

namespace eslaunch::testing {

// Every case is parsed as this file, in this environment.
inline constexpr std::string_view case_file = "/etc/eslaunch/test.ini";
inline constexpr std::string_view case_host = "node-1";

struct SpecCase {
    std::string_view name;
    std::string_view text;
    // The first error, exactly as Error::str() prints it, or empty when the
    // file is valid.
    std::string_view first_error;
};

const std::vector<SpecCase>& spec_cases();

}  // namespace eslaunch::testing
