// What every unit test parses with: a fixed environment and host name.
#pragma once

#include <string>
#include <string_view>

#include "eslaunch/spec.hpp"
#include "spec_cases.hpp"

namespace eslaunch::testing {

inline ParseContext test_context() {
    ParseContext context;
    context.environ.set("HOME", "/root");
    context.environ.set("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    context.environ.set("ES_HOME", "/opt/es");
    context.environ.set("LANG", "C.UTF-8");
    context.environ.set("WITH_COMMA", "a,b c");
    context.host_node_name = std::string{case_host};
    return context;
}

inline Result<Spec> parse_text(std::string_view text, const ParseContext& context = test_context()) {
    return parse_spec(text, std::string{case_file}, context);
}

}  // namespace eslaunch::testing
