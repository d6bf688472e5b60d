// libFuzzer target for the package environment file's reader and the
// layout detection (tests/fuzz/README.md).
//
// An input is an environment file (/etc/default/elasticsearch, which the
// service's group can write) and, read as a bin/elasticsearch-env, a
// script whose layout is detected. Every result is checked against cheap
// invariants: each line read is inside the input and in order, names are
// shell names, values hold no newline, what is echoed is cut, and a
// package's file is an absolute path. A failure prints what broke and aborts.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "eslaunch/env_file.hpp"
#include "eslaunch/heap.hpp"

#include "fuzz_check.hpp"

namespace {

using namespace eslaunch;

void check_env_file(std::string_view text) {
    const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
    const EnvFileText t = parse_env_file(text);
    int previous = 0;
    for (const EnvAssignment& a : t.assignments) {
        FUZZ_CHECK(a.line > previous && a.line <= lines, std::to_string(a.line));
        FUZZ_CHECK(is_env_name(a.name), a.name);
        FUZZ_CHECK(a.value.find('\n') == std::string::npos, a.name);
        FUZZ_CHECK(t.last(a.name) != nullptr && t.last(a.name)->line >= a.line, a.name);
        previous = a.line;
    }
    previous = 0;
    for (const EnvFileProblem& u : t.unreadable) {
        FUZZ_CHECK(u.line > previous && u.line <= lines, std::to_string(u.line));
        FUZZ_CHECK(u.name.empty() || is_env_name(u.name), u.name);
        FUZZ_CHECK(!u.why.empty(), u.text);
        FUZZ_CHECK(u.text.size() <= 200, std::to_string(u.text.size()) + " bytes echoed");
        FUZZ_CHECK(std::none_of(t.assignments.begin(), t.assignments.end(),
                                [&](const EnvAssignment& a) { return a.line == u.line; }),
                   "a line both read and refused: " + std::to_string(u.line));
        previous = u.line;
    }
}

void check_layout(std::string_view text) {
    const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
    const EsLayout l = es_layout_of(text);
    FUZZ_CHECK(l.line >= 0 && l.line <= lines, std::to_string(l.line));
    switch (l.kind) {
        case EsLayout::Kind::package:
            FUZZ_CHECK(l.env_file.starts_with('/') && l.line > 0, l.env_file);
            FUZZ_CHECK(l.env_file.find_first_of(" \t\n$`\\\"'") == std::string::npos, l.env_file);
            break;
        case EsLayout::Kind::archive: FUZZ_CHECK(l.line > 0 && l.env_file.empty(), l.env_file); break;
        case EsLayout::Kind::unknown: FUZZ_CHECK(!l.why.empty() && l.env_file.empty(), l.env_file); break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > max_env_file) return -1;  // host reads no more
    const std::string_view text{reinterpret_cast<const char*>(data), size};
    check_env_file(text);
    check_layout(text);
    return 0;
}
