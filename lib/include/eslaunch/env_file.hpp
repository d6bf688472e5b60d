// The package environment file: the deb/rpm bin/elasticsearch-env of 6.0
// and later sources /etc/default/elasticsearch (deb) or
// /etc/sysconfig/elasticsearch (rpm) after the inherited environment, so
// its assignments replace what eslaunch exports. Pure: the layout from the
// home's own elasticsearch-env, and a strict reader of the file's shell
// assignments that refuses to guess at anything else.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace eslaunch {

// Where a home's elasticsearch-env finds its configuration directory: the
// archives' `if [ -z "$ES_PATH_CONF" ]; then ES_PATH_CONF="$ES_HOME"/config; fi`,
// or the packages' `source FILE` (also `. FILE`). Anything else is unknown,
// with why: eslaunch does not guess.
struct EsLayout {
    enum class Kind { unknown, archive, package };
    Kind kind = Kind::unknown;
    std::string env_file;  // package: the absolute path the script sources
    int line = 0;          // the line of elasticsearch-env that says so
    std::string why;       // unknown: why
};
[[nodiscard]] std::string_view layout_name(EsLayout::Kind k);
// `conf_variable`: OpenSearch's opensearch-env names OPENSEARCH_PATH_CONF.
[[nodiscard]] EsLayout es_layout_of(std::string_view elasticsearch_env,
                                    std::string_view conf_variable = "ES_PATH_CONF");

// NAME=value (also NAME="..." and NAME='...', after `export`), as the
// shell would assign it.
struct EnvAssignment {
    std::string name;
    std::string value;
    int line = 0;
};

// A line the reader cannot read statically: what is there and why.
struct EnvFileProblem {
    int line = 0;
    std::string name;  // the variable it assigns, when it is an assignment ("" otherwise)
    std::string text;  // the line as written, cut
    std::string why;   // e.g. "command substitution ($(...)): its value is known only when it runs"
};

struct EnvFileText {
    std::vector<EnvAssignment> assignments;  // in file order
    std::vector<EnvFileProblem> unreadable;
    std::vector<std::string> exported;  // the names `export` marks, with `=` or without
    // The assignment that takes effect for `name` (the last), or nullptr.
    [[nodiscard]] const EnvAssignment* last(std::string_view name) const;
    // The last unreadable line that assigns `name` after `after` (a line), or nullptr.
    [[nodiscard]] const EnvFileProblem* unreadable_assignment(std::string_view name, int after = 0) const;
};

// The most of the file eslaunch reads (Elastic's own is about 2 KiB).
inline constexpr std::size_t max_env_file = 64 * 1024;

// Reads `text` as sh reads blank lines, comments (`#` at the start of a
// word), `[export] NAME=VALUE [# comment]` and `export NAME...`, where
// VALUE is literal characters, '...' and "..." (with \" \\ \$ \` inside).
// Every other line is unreadable, with why: $ expansion, command
// substitution, a backslash outside quotes (escape, line continuation), a
// quote left open, control flow, a command, several words, a CR.
[[nodiscard]] EnvFileText parse_env_file(std::string_view text);

}  // namespace eslaunch
