// tmpdir=: the node's own temporary directory, and how its version is told
// (eslaunch.ini(5), TEMPORARY DIRECTORY; doc/design.md, decision 6).
#include <fmt/format.h>

#include <algorithm>

#include "planner.hpp"

namespace eslaunch {
namespace {

// ES_TMPDIR came with 6.2 (elastic/elasticsearch#27609: jvm.options has
// -Djava.io.tmpdir=${ES_TMPDIR}); before, the scripts set no java.io.tmpdir.
bool reads_es_tmpdir(const std::optional<EsVersion>& v) {
    return !v || v->major > 6 || (v->major == 6 && v->minor >= 2);
}

// The last -Djava.io.tmpdir= of JVM options, split at whitespace as the scripts do.
std::optional<std::string> java_tmpdir_in(std::string_view opts) {
    constexpr std::string_view flag = "-Djava.io.tmpdir=";
    std::optional<std::string> found;
    std::size_t at = 0;
    while (at < opts.size()) {
        const std::size_t start = opts.find_first_not_of(" \t\n", at);
        if (start == std::string_view::npos) break;
        const std::size_t end = std::min(opts.find_first_of(" \t\n", start), opts.size());
        const std::string_view word = opts.substr(start, end - start);
        if (word.starts_with(flag)) found = std::string{word.substr(flag.size())};
        at = end;
    }
    return found;
}

bool is_file_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
           std::none_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20; });
}

}  // namespace

// Profile elasticsearch's default, DIR/NAME/tmp: only a root eslaunch can
// create it (and its root-owned parents).
std::optional<std::string> Planner::default_tmpdir() {
    TmpdirPlan& t = plan_.tmpdir;
    if (!search_node(plan_.profile)) {
        t.source = fmt::format("none: profile {} has no default", profile_name(plan_.profile));
        return std::nullopt;
    }
    if (host_.euid != 0) {
        t.source = fmt::format("none: eslaunch does not run as root, so it cannot create one under {}",
                               default_tmpdir_parent);
        return std::nullopt;
    }
    if (!is_file_name(spec_.program)) {
        error(status::config, spec_.section_line,
              fmt::format("[program:{}]: the default tmpdir, {}/NAME/tmp, needs a NAME that is a file name",
                          cut(spec_.program), default_tmpdir_parent),
              "set tmpdir= to an absolute path, or tmpdir=none");
        return std::nullopt;
    }
    return fmt::format("{}/{}/tmp", default_tmpdir_parent, spec_.program);
}

void Planner::plan_tmpdir() {
    TmpdirPlan& t = plan_.tmpdir;
    const bool chosen = spec_.tmpdir.has_value();
    if (chosen && spec_.tmpdir->empty()) {
        t.source = fmt::format("tmpdir=none at line {}", spec_.line_of("tmpdir"));
        return;
    }
    if (chosen) {
        t.path = *spec_.tmpdir;
        t.source = fmt::format("tmpdir= at line {}", spec_.line_of("tmpdir"));
    } else if (auto path = default_tmpdir()) {
        t.path = *path;
        t.source = fmt::format("profile {}: a directory of the program's own, where it may map code (JNA, libffi)",
                               profile_name(plan_.profile));
    } else {
        return;
    }
    // OpenSearch's jvm.options has -Djava.io.tmpdir=${OPENSEARCH_TMPDIR}, and
    // bin/opensearch makes a directory of its own only when it is unset.
    if (plan_.profile == Profile::opensearch) {
        pass_tmpdir_variable("OPENSEARCH_TMPDIR", chosen);
    } else if (plan_.profile != Profile::elasticsearch) {
        pass_tmpdir_variable("TMPDIR", chosen);
    } else if (reads_es_tmpdir(host_.es.version)) {
        pass_tmpdir_variable("ES_TMPDIR", chosen);
    } else {
        pass_tmpdir_java_option(chosen);
    }
}

// The environment names another directory already: for tmpdir=, two
// answers to one question (78); for the default, the operator's own wins
// and eslaunch makes none.
void Planner::refuse_other_tmpdir(bool chosen, const std::string& other, const std::string& where) {
    TmpdirPlan& t = plan_.tmpdir;
    if (chosen) {
        error(status::config, spec_.line_of("tmpdir"),
              fmt::format("tmpdir={}, but {} names another directory, {}", cut(t.path), where, cut(other)),
              fmt::format("remove one of them: tmpdir= creates and secures the directory, {} only names it", where));
        return;
    }
    t.source = fmt::format("none: {} names the operator's own, {}", where, cut(other));
    t.path.clear();
}

void Planner::pass_tmpdir_variable(std::string_view variable, bool chosen) {
    TmpdirPlan& t = plan_.tmpdir;
    const std::string* set = plan_.environment.get(variable);
    if (set != nullptr && !set->empty() && *set != t.path) {
        refuse_other_tmpdir(chosen, *set, std::string{variable} + variable_origin(variable));
        return;
    }
    plan_.environment.set(variable, t.path);
    t.passed = std::string{variable};
}

// 1.x to 6.1: -Djava.io.tmpdir= in ES_JAVA_OPTS, which each of their
// scripts passes to the JVM after its own options (1.x and 2.x also JAVA_OPTS).
void Planner::pass_tmpdir_java_option(bool chosen) {
    TmpdirPlan& t = plan_.tmpdir;
    const bool reads_java_opts = host_.es.version && host_.es.version->major < 5;
    for (std::string_view variable : {std::string_view{"JAVA_OPTS"}, std::string_view{"ES_JAVA_OPTS"}}) {
        if (variable == "JAVA_OPTS" && !reads_java_opts) continue;
        const std::string* opts = plan_.environment.get(variable);
        const auto set = opts != nullptr ? java_tmpdir_in(*opts) : std::nullopt;
        if (set && *set != t.path) {
            refuse_other_tmpdir(chosen, *set,
                                fmt::format("-Djava.io.tmpdir= in {}{}", variable, variable_origin(variable)));
            return;
        }
    }
    const std::string* current = plan_.environment.get("ES_JAVA_OPTS");
    const std::string flag = "-Djava.io.tmpdir=" + t.path;
    if (current == nullptr || current->empty()) {
        plan_.environment.set("ES_JAVA_OPTS", flag);
    } else if (java_tmpdir_in(*current) != t.path) {
        plan_.environment.set("ES_JAVA_OPTS", *current + " " + flag);
    }
    t.passed = "ES_JAVA_OPTS (-Djava.io.tmpdir=)";
}

}  // namespace eslaunch
