// plan_launch's phase for a package's environment file: the Planner members
// plan_env_file calls. bin/elasticsearch-env sources the file after the
// environment eslaunch passes, so what it assigns replaces that.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "planner.hpp"
#include "text.hpp"

namespace eslaunch {
namespace {

// Lines reported one by one; the rest are counted.
constexpr std::size_t max_unreadable_reported = 20;

// Read by nothing when bin/elasticsearch-env sources them.
struct Ignored {
    std::string_view name;
    std::string_view why;
    std::string_view fix;  // followed by the value
};
constexpr std::string_view sysv_only = "read by nothing under systemd or eslaunch (the SysV init script read it)";
constexpr std::string_view java_first =
    "changes nothing when eslaunch starts the node: bin/elasticsearch-env chooses java before it sources this "
    "file (only systemd's EnvironmentFile= exports it in time)";
constexpr Ignored ignored_variables[] = {
    {"MAX_OPEN_FILES", sysv_only, "set limit_nofile="},
    {"MAX_LOCKED_MEMORY", sysv_only, "set limit_memlock="},
    {"MAX_MAP_COUNT", sysv_only, "set the sysctl (a file in /etc/sysctl.d, then sysctl --system): vm.max_map_count="},
    {"ES_HEAP_SIZE", "Elasticsearch 6.0 and later ignore it", "set heap_size= in the spec: heap_size="},
    {"JAVA_HOME", java_first, "set it in the spec: environment=JAVA_HOME="},
    {"ES_JAVA_HOME", java_first, "set it in the spec: environment=ES_JAVA_HOME="},
};

bool same_dir(const std::string& a, const std::string& b) {
    auto norm = [](const std::string& p) {
        std::string n = std::filesystem::path{p}.lexically_normal().string();
        if (n.size() > 1 && n.back() == '/') n.pop_back();
        return n;
    };
    return norm(a) == norm(b);
}

std::string finding_id(std::string_view name) {
    std::string id = "env-file-";
    for (char c : name) id += c == '_' ? '-' : static_cast<char>(c | 0x20);
    return id;
}

}  // namespace

// Only for the profile elasticsearch of 6.0 and later (host read the
// script); the layout is shown even for an archive.
void Planner::plan_env_file() {
    const EsHomeFacts& es = host_.es;
    const EnvFileFacts& f = es.env_file;
    EnvFilePlan& p = plan_.env_file;
    if (plan_.profile != Profile::elasticsearch || f.script.empty()) return;
    p.layout = std::string{layout_name(f.layout.kind)};
    p.layout_source = f.layout.line > 0 ? fmt::format("{}:{}", f.script, f.layout.line) : f.script;
    p.conf_dir = es.conf_dir;
    p.conf_dir_source = es.conf_dir_source;
    if (f.layout.kind == EsLayout::Kind::unknown) {
        env_finding("env-file-layout", p.layout_source,
                    fmt::format("cannot tell whether {} is a package, whose bin/elasticsearch-env sources an "
                                "environment file, or an archive: {}; eslaunch reads no environment file",
                                es.home, f.layout.why),
                    "check the home's bin/elasticsearch-env: eslaunch does not guess");
        return;
    }
    if (f.layout.kind != EsLayout::Kind::package) return;
    p.path = f.layout.env_file;
    if (!f.untrusted.empty()) {
        env_finding("env-file-untrusted", p.path,
                    fmt::format("bin/elasticsearch-env sources {}, but eslaunch reads as root only a file root chose, "
                                "and {}; eslaunch cannot tell what the file changes",
                                p.path, f.untrusted),
                    "make the home's bin/elasticsearch-env and its directories root's, not writable by others, or "
                    "source /etc/default/elasticsearch or /etc/sysconfig/elasticsearch");
        return;
    }
    if (!f.error.empty()) {
        env_finding("env-file-unreadable", p.path,
                    fmt::format("cannot read the environment file bin/elasticsearch-env sources, so eslaunch "
                                "cannot tell what it changes: {}",
                                f.error),
                    "make it a regular file root can read");
        return;
    }
    p.assignments = f.text.assignments;
    report_unreadable_lines();
    check_env_heap();
    check_env_conf_dir();
    check_env_ignored();
    check_env_replaced();
}

void Planner::env_finding(std::string id, std::string where, std::string message, std::string fix) {
    plan_.env_file.findings.push_back(
        {Finding::Severity::warning, std::move(id), std::move(message), std::move(fix), std::move(where)});
}

std::string Planner::env_file_at(int line) const { return fmt::format("{}:{}", plan_.env_file.path, line); }

void Planner::report_unreadable_lines() {
    const std::vector<EnvFileProblem>& lines = host_.es.env_file.text.unreadable;
    for (std::size_t i = 0; i < lines.size() && i < max_unreadable_reported; ++i) {
        env_finding("env-file-unreadable", env_file_at(lines[i].line),
                    fmt::format("cannot be read statically: {}: {}", lines[i].why, lines[i].text),
                    "write plain NAME=value assignments there: eslaunch does not guess what the rest sets");
    }
    if (lines.size() > max_unreadable_reported) {
        env_finding("env-file-unreadable", plan_.env_file.path,
                    fmt::format("{} more lines cannot be read statically", lines.size() - max_unreadable_reported),
                    "write plain NAME=value assignments there");
    }
}

// The variable that carries eslaunch's heap, assigned again by the file:
// the JVM gets the file's heap (or jvm.options', or the default), not ours.
void Planner::check_env_heap() {
    const std::string& via = plan_.heap.via;
    if (!plan_.heap.bytes || via.empty() || via == "JAVA_TOOL_OPTIONS") return;  // the script unsets that one
    const EnvFileText& t = host_.es.env_file.text;
    const EnvAssignment* a = t.last(via);
    const EnvFileProblem* u = t.unreadable_assignment(via, a != nullptr ? a->line : 0);
    if (a == nullptr && u == nullptr) return;
    std::string sets;
    std::string runs = "a heap eslaunch cannot tell";
    if (u != nullptr) {
        sets = fmt::format("{} assigns {} in a way eslaunch cannot read ({})", env_file_at(u->line), via, u->why);
    } else {
        sets = fmt::format("{} sets {}='{}'", env_file_at(a->line), via, cut(a->value));
        std::vector<std::string> flags;
        for (const auto& h : java_opts_heap(a->value, via)) flags.push_back(h.option);
        runs = flags.empty() ? "the heap of jvm.options, or the JVM's default" : join(flags, " ");
    }
    const std::string wanted = spec_.heap_size ? "heap_size=" + spec_.heap_size->str()
                                               : "the heap " + format_jvm_size(*plan_.heap.bytes);
    error(status::config, spec_.line_of("heap_size"),
          fmt::format("{} is passed in {}, but {}, which bin/elasticsearch-env sources after the environment: the "
                      "JVM would run with {}",
                      wanted, via, sets, runs),
          fmt::format("remove {} from {} (other JVM options belong in jvm.options.d), or remove heap_size= and set "
                      "the heap there",
                      via, plan_.env_file.path));
}

// A package has no default configuration directory: ES_PATH_CONF comes from
// the file (which wins) or the environment, or the script stops.
void Planner::check_env_conf_dir() {
    const EnvFilePlan& p = plan_.env_file;
    const EnvFileText& t = host_.es.env_file.text;
    const EnvAssignment* a = t.last("ES_PATH_CONF");
    if (const EnvFileProblem* u = t.unreadable_assignment("ES_PATH_CONF", a != nullptr ? a->line : 0)) {
        env_finding("env-file-es-path-conf", env_file_at(u->line),
                    fmt::format("ES_PATH_CONF is assigned in a way eslaunch cannot read ({}): eslaunch reads {}, "
                                "which may not be the directory the node reads",
                                u->why, p.conf_dir.empty() ? std::string{"no configuration directory"} : p.conf_dir),
                    "write a plain assignment there, e.g. ES_PATH_CONF=/etc/elasticsearch");
        return;
    }
    if (a != nullptr) {
        check_env_conf_dir_agrees(*a);
        return;
    }
    const std::string* env = plan_.environment.get("ES_PATH_CONF");
    if (env != nullptr && !env->empty()) return;
    const std::string dir = spec_.es_path_conf.value_or("/etc/elasticsearch");
    error(status::config, spec_.es_path_conf ? spec_.line_of("es_path_conf") : spec_.section_line,
          fmt::format("Elasticsearch {} here is a package ({} sources {}), which has no default configuration "
                      "directory, and neither the program's environment nor that file sets ES_PATH_CONF: "
                      "bin/elasticsearch-env would stop with \"ES_PATH_CONF must be set to the configuration path\"",
                      host_.es.version ? host_.es.version->str() : "6.0+", p.layout_source, p.path),
          fmt::format("add environment=ES_PATH_CONF={} to the spec, or ES_PATH_CONF={} to {}{}", dir, dir, p.path,
                      spec_.es_path_conf ? " (es_path_conf= only tells eslaunch where to read)" : ""));
}

// The file's ES_PATH_CONF is the node's: refused when the script would not
// take it, and named beside a different one in the spec.
void Planner::check_env_conf_dir_agrees(const EnvAssignment& a) {
    const std::string& file = plan_.env_file.path;
    if (a.value.empty() || a.value.front() != '/') {
        errors_.push_back(Error{
            status::config, file, a.line,
            a.value.empty() ? std::string{"ES_PATH_CONF= is empty, and replaces the environment's: "
                                          "bin/elasticsearch-env would stop with \"ES_PATH_CONF must be set to the "
                                          "configuration path\""}
                            : fmt::format("ES_PATH_CONF='{}' is not an absolute path: the node would resolve it from "
                                          "its working directory",
                                          cut(a.value)),
            "write the configuration directory's absolute path, e.g. ES_PATH_CONF=/etc/elasticsearch"});
        return;
    }
    const std::string where = env_file_at(a.line);
    if (spec_.es_path_conf && !same_dir(*spec_.es_path_conf, a.value)) {
        env_finding("env-file-es-path-conf", where,
                    fmt::format("ES_PATH_CONF={} here is the configuration directory the node reads, not "
                                "es_path_conf={} (spec line {}): eslaunch reads {} too",
                                a.value, *spec_.es_path_conf, spec_.line_of("es_path_conf"), a.value),
                    "name the directory in one place: remove es_path_conf= from the spec, or ES_PATH_CONF here");
    }
    const std::string* env = plan_.environment.get("ES_PATH_CONF");
    if (env != nullptr && !env->empty() && !same_dir(*env, a.value)) {
        env_finding("env-file-es-path-conf", where,
                    fmt::format("ES_PATH_CONF={} here replaces ES_PATH_CONF={} of {}: the node and eslaunch read {}",
                                a.value, *env,
                                spec_sets_variable("ES_PATH_CONF") ? "the spec's environment=" : "eslaunch's own environment",
                                a.value),
                    "name the directory in one place: in the spec's environment= or here");
    }
}

void Planner::check_env_ignored() {
    const EnvFileText& t = host_.es.env_file.text;
    for (const Ignored& v : ignored_variables) {
        const EnvAssignment* a = t.last(v.name);
        if (a == nullptr) continue;
        const std::string value = v.name == "MAX_LOCKED_MEMORY" && a->value == "unlimited" ? "infinity" : a->value;
        env_finding(finding_id(v.name), env_file_at(a->line), fmt::format("{}={}: {}", v.name, cut(a->value), v.why),
                    fmt::format("{}{}", v.fix, cut(value)));
    }
}

// Any other variable the file gives another value than eslaunch passes.
void Planner::check_env_replaced() {
    const EnvFileText& t = host_.es.env_file.text;
    auto checked_elsewhere = [&](const std::string& name) {
        return name == "ES_PATH_CONF" || (plan_.heap.bytes && name == plan_.heap.via) ||
               std::any_of(std::begin(ignored_variables), std::end(ignored_variables),
                           [&](const Ignored& v) { return v.name == name; });
    };
    for (const EnvAssignment& a : t.assignments) {
        if (t.last(a.name) != &a || checked_elsewhere(a.name)) continue;
        const std::string* passed = plan_.environment.get(a.name);
        if (passed == nullptr || *passed == a.value) continue;
        env_finding("env-file-replaces", env_file_at(a.line),
                    fmt::format("{}='{}' replaces {}='{}' of {}: bin/elasticsearch-env sources this file after the "
                                "environment",
                                a.name, cut(a.value), a.name, cut(*passed),
                                spec_sets_variable(a.name) ? "the spec's environment=" : "eslaunch's own environment"),
                    fmt::format("set {} in one place: in the spec or here", a.name));
    }
}

}  // namespace eslaunch
