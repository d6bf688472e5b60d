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
    "changes nothing when eslaunch starts the node: {} chooses java before it sources this file (only systemd's "
    "EnvironmentFile= exports it in time)";
constexpr Ignored ignored_variables[] = {
    {"MAX_OPEN_FILES", sysv_only, "set limit_nofile="},
    {"MAX_LOCKED_MEMORY", sysv_only, "set limit_memlock="},
    {"MAX_MAP_COUNT", sysv_only, "set the sysctl (a file in /etc/sysctl.d, then sysctl --system): vm.max_map_count="},
    {"ES_HEAP_SIZE", "Elasticsearch 6.0 and later ignore it", "set heap_size= in the spec: heap_size="},
    {"JAVA_HOME", java_first, "set it in the spec: environment=JAVA_HOME="},
    {"ES_JAVA_HOME", java_first, "set it in the spec: environment=ES_JAVA_HOME="},
    {"OPENSEARCH_JAVA_HOME", java_first, "set it in the spec: environment=OPENSEARCH_JAVA_HOME="},
};

// One of ignored_variables, each with a finding of its own.
bool is_ignored_variable(std::string_view name) {
    return std::any_of(std::begin(ignored_variables), std::end(ignored_variables),
                       [&](const Ignored& v) { return v.name == name; });
}

// The names a message uses: the script that sources the file, the
// configuration variable, and the packages' configuration directory.
struct EnvNames {
    std::string_view script;
    std::string_view conf;
    std::string_view etc;
};

EnvNames env_names(const EsHomeFacts& es) {
    return es.opensearch ? EnvNames{"bin/opensearch-env", "OPENSEARCH_PATH_CONF", "/etc/opensearch"}
                         : EnvNames{"bin/elasticsearch-env", "ES_PATH_CONF", "/etc/elasticsearch"};
}

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

// Only for the profile elasticsearch of 6.0 and later and the profile
// opensearch (host read the script); the layout is shown even for an archive.
void Planner::plan_env_file() {
    const EsHomeFacts& es = host_.es;
    const EnvFileFacts& f = es.env_file;
    EnvFilePlan& p = plan_.env_file;
    if (!search_node(plan_.profile) || f.script.empty()) return;
    const EnvNames n = env_names(es);
    p.layout = std::string{layout_name(f.layout.kind)};
    p.layout_source = f.layout.line > 0 ? fmt::format("{}:{}", f.script, f.layout.line) : f.script;
    p.conf_dir = es.conf_dir;
    p.conf_dir_source = es.conf_dir_source;
    if (f.layout.kind == EsLayout::Kind::unknown) {
        env_finding("env-file-layout", p.layout_source,
                    fmt::format("cannot tell whether {} is a package, whose {} sources an environment file, or an "
                                "archive: {}; eslaunch reads no environment file",
                                es.home, n.script, f.layout.why),
                    fmt::format("check the home's {}: eslaunch does not guess", n.script));
        return;
    }
    if (f.layout.kind != EsLayout::Kind::package) return;
    p.path = f.layout.env_file;
    if (!f.untrusted.empty()) {
        env_finding("env-file-untrusted", p.path,
                    fmt::format("{} sources {}, but eslaunch reads as root only a file root chose, and {}; eslaunch "
                                "cannot tell what the file changes",
                                n.script, p.path, f.untrusted),
                    fmt::format("make the home's {} and its directories root's, not writable by others, or source "
                                "/etc/default/{} or /etc/sysconfig/{}",
                                n.script, n.etc.substr(5), n.etc.substr(5)));
        return;
    }
    if (!f.error.empty()) {
        env_finding("env-file-unreadable", p.path,
                    fmt::format("cannot read the environment file {} sources, so eslaunch cannot tell what it "
                                "changes: {}",
                                n.script, f.error),
                    "make it a regular file root can read");
        return;
    }
    p.assignments = f.text.assignments;
    if (opensearch_skips_env_file()) return;
    report_unreadable_lines();
    check_env_heap();
    check_env_conf_dir();
    check_env_ignored();
    check_env_replaced();
    check_env_not_exported();
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
          fmt::format("{} is passed in {}, but {}, which {} sources after the environment: the JVM would run with {}",
                      wanted, via, sets, env_names(host_.es).script, runs),
          fmt::format("remove {} from {} (other JVM options belong in jvm.options.d), or remove heap_size= and set "
                      "the heap there",
                      via, plan_.env_file.path));
}

// A package has no default configuration directory: ES_PATH_CONF comes from
// the file (which wins) or the environment, or the script stops.
void Planner::check_env_conf_dir() {
    const EnvFilePlan& p = plan_.env_file;
    const EnvFileText& t = host_.es.env_file.text;
    const EnvNames n = env_names(host_.es);
    const EnvAssignment* a = t.last(n.conf);
    if (const EnvFileProblem* u = t.unreadable_assignment(n.conf, a != nullptr ? a->line : 0)) {
        env_finding("env-file-es-path-conf", env_file_at(u->line),
                    fmt::format("{} is assigned in a way eslaunch cannot read ({}): eslaunch reads {}, which may not "
                                "be the directory the node reads",
                                n.conf, u->why,
                                p.conf_dir.empty() ? std::string{"no configuration directory"} : p.conf_dir),
                    fmt::format("write a plain assignment there, e.g. {}={}", n.conf, n.etc));
        return;
    }
    if (a != nullptr) {
        check_env_conf_dir_agrees(*a);
        return;
    }
    const std::string* env = plan_.environment.get(n.conf);
    if (env != nullptr && !env->empty()) return;
    const std::string dir = spec_.es_path_conf.value_or(std::string{n.etc});
    const std::string product = fmt::format("{} {}", host_.es.opensearch ? "OpenSearch" : "Elasticsearch",
                                            host_.es.version ? host_.es.version->str()
                                            : host_.es.opensearch ? std::string{"1.3+"}
                                                                  : std::string{"6.0+"});
    error(status::config, spec_.es_path_conf ? spec_.line_of("es_path_conf") : spec_.section_line,
          fmt::format("{} here is a package ({} sources {}), which has no default configuration directory, and "
                      "neither the program's environment nor that file sets {}: {} would stop with \"{} must be set "
                      "to the configuration path\"",
                      product, p.layout_source, p.path, n.conf, n.script, n.conf),
          fmt::format("add environment={}={} to the spec, or {}={} to {}{}", n.conf, dir, n.conf, dir, p.path,
                      spec_.es_path_conf ? " (es_path_conf= only tells eslaunch where to read)" : ""));
}

// The file's ES_PATH_CONF is the node's: refused when the script would not
// take it, and named beside a different one in the spec.
void Planner::check_env_conf_dir_agrees(const EnvAssignment& a) {
    const std::string& file = plan_.env_file.path;
    const EnvNames n = env_names(host_.es);
    if (a.value.empty() || a.value.front() != '/') {
        errors_.push_back(Error{
            status::config, file, a.line,
            a.value.empty() ? fmt::format("{0}= is empty, and replaces the environment's: {1} would stop with "
                                          "\"{0} must be set to the configuration path\"",
                                          n.conf, n.script)
                            : fmt::format("{}='{}' is not an absolute path: the node would resolve it from its "
                                          "working directory",
                                          n.conf, cut(a.value)),
            fmt::format("write the configuration directory's absolute path, e.g. {}={}", n.conf, n.etc)});
        return;
    }
    const std::string where = env_file_at(a.line);
    if (spec_.es_path_conf && !same_dir(*spec_.es_path_conf, a.value)) {
        env_finding("env-file-es-path-conf", where,
                    fmt::format("{}={} here is the configuration directory the node reads, not es_path_conf={} "
                                "(spec line {}): eslaunch reads {} too",
                                n.conf, a.value, *spec_.es_path_conf, spec_.line_of("es_path_conf"), a.value),
                    fmt::format("name the directory in one place: remove es_path_conf= from the spec, or {} here",
                                n.conf));
    }
    const std::string* env = plan_.environment.get(n.conf);
    if (env != nullptr && !env->empty() && !same_dir(*env, a.value)) {
        env_finding("env-file-es-path-conf", where,
                    fmt::format("{0}={1} here replaces {0}={2} of {3}: the node and eslaunch read {1}", n.conf,
                                a.value, *env,
                                spec_sets_variable(n.conf) ? "the spec's environment=" : "eslaunch's own environment"),
                    "name the directory in one place: in the spec's environment= or here");
    }
}

void Planner::check_env_ignored() {
    const EnvFileText& t = host_.es.env_file.text;
    for (const Ignored& v : ignored_variables) {
        const EnvAssignment* a = t.last(v.name);
        if (a == nullptr) continue;
        const std::string value = v.name == "MAX_LOCKED_MEMORY" && a->value == "unlimited" ? "infinity" : a->value;
        // java_first names the script: {}.
        const std::string why = v.why == java_first ? fmt::format(fmt::runtime(v.why), env_names(host_.es).script)
                                                    : std::string{v.why};
        env_finding(finding_id(v.name), env_file_at(a->line), fmt::format("{}={}: {}", v.name, cut(a->value), why),
                    fmt::format("{}{}", v.fix, cut(value)));
    }
}

// Any other variable the file gives another value than eslaunch passes.
void Planner::check_env_replaced() {
    const EnvFileText& t = host_.es.env_file.text;
    auto checked_elsewhere = [&](const std::string& name) {
        return name == env_names(host_.es).conf || (plan_.heap.bytes && name == plan_.heap.via) ||
               is_ignored_variable(name);
    };
    for (const EnvAssignment& a : t.assignments) {
        if (t.last(a.name) != &a || checked_elsewhere(a.name)) continue;
        const std::string* passed = plan_.environment.get(a.name);
        if (passed == nullptr || *passed == a.value) continue;
        env_finding("env-file-replaces", env_file_at(a.line),
                    fmt::format("{}='{}' replaces {}='{}' of {}: {} sources this file after the environment", a.name,
                                cut(a.value), a.name, cut(*passed),
                                spec_sets_variable(a.name) ? "the spec's environment=" : "eslaunch's own environment",
                                env_names(host_.es).script),
                    fmt::format("set {} in one place: in the spec or here", a.name));
    }
}

// What bin/opensearch and opensearch-env read as shell variables (or read
// for nothing eslaunch runs): a plain assignment in the file reaches them.
constexpr std::string_view opensearch_shell_variables[] = {
    "OPENSEARCH_HOME", "OPENSEARCH_TMPDIR", "KEYSTORE_PASSWORD", "JAVA_OPTS", "OPENSEARCH_STARTUP_SLEEP_TIME",
    "PID_DIR", "RESTART_ON_UPGRADE", "HOSTNAME",
};

// opensearch-env sources the file with plain assignments: a variable the
// environment did not already hold stays in the script's shell, and the
// JVM (and its options parser, OPENSEARCH_JAVA_OPTS) never sees it.
void Planner::check_env_not_exported() {
    if (!host_.es.opensearch) return;
    const EnvFileText& t = host_.es.env_file.text;
    auto quiet = [&](const std::string& name) {
        return name == env_names(host_.es).conf || plan_.environment.get(name) != nullptr ||
               std::find(t.exported.begin(), t.exported.end(), name) != t.exported.end() || is_ignored_variable(name) ||
               std::find(std::begin(opensearch_shell_variables), std::end(opensearch_shell_variables), name) !=
                   std::end(opensearch_shell_variables);
    };
    for (const EnvAssignment& a : t.assignments) {
        if (t.last(a.name) != &a || quiet(a.name)) continue;
        env_finding("env-file-not-exported", env_file_at(a.line),
                    fmt::format("{}='{}' never reaches the node: bin/opensearch-env sources this file without "
                                "exporting it, so only the script's shell sees it, not the JVM",
                                a.name, cut(a.value)),
                    fmt::format("set it in the spec: environment={}=\"{}\" (or write export {}=... here)", a.name,
                                cut(a.value), a.name));
    }
}

// OpenSearch 1.3+'s opensearch-env sources the file only when
// OPENSEARCH_PATH_CONF is unset (OpenSearch#875), the reverse of
// Elasticsearch: set, nothing the file says reaches the node.
bool Planner::opensearch_skips_env_file() {
    const std::string* conf = plan_.environment.get("OPENSEARCH_PATH_CONF");
    if (!host_.es.opensearch || conf == nullptr || conf->empty()) return false;
    const std::size_t n = host_.es.env_file.text.assignments.size() + host_.es.env_file.text.unreadable.size();
    if (n == 0) return true;
    env_finding("env-file-not-sourced", plan_.env_file.path,
                fmt::format("bin/opensearch-env does not source {}: OPENSEARCH_PATH_CONF={}{} is set, and OpenSearch "
                            "sources the file only when it is unset; its {} lines do not reach the node",
                            plan_.env_file.path, cut(*conf), variable_origin("OPENSEARCH_PATH_CONF"), n),
                "set what the node needs in the spec's environment=, or remove OPENSEARCH_PATH_CONF from the "
                "environment and set it in the file");
    return true;
}

}  // namespace eslaunch
