// What eslaunch-check reads and the root-run launcher never links:
// elasticsearch.yml (yaml-cpp), java -version, the data and log paths. The
// node's files are read as the node: the launch's default probe through
// `eslaunch-check --node-http-settings` run as the node's user (host.cpp,
// plan_launch_reading_node_settings), check's preflight in a child of its
// own that becomes that user first (gather_preflight_facts); java -version
// runs as the user too.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "eslaunch/apply.hpp"
#include "eslaunch/es_config.hpp"
#include "eslaunch/java.hpp"
#include "eslaunch/plan.hpp"
#include "eslaunch/preflight.hpp"
#include "eslaunch/values.hpp"
#include "child.hpp"
#include "node_settings.hpp"
#include "posix.hpp"
#include "product_names.hpp"
#include "text.hpp"

namespace eslaunch {
namespace {

namespace fs = std::filesystem;

// elasticsearch.yml as the node will read it: the file (none: the defaults),
// the -E settings of command= over it, its ${VAR}s from `env`. The launch's
// default probe and check's preflight both read it through here.
struct NodeSettings {
    std::string yml;      // conf_dir/elasticsearch.yml; empty without a conf_dir
    bool missing = false;  // no such file: Elasticsearch's defaults apply
    EsSettings settings;
    Errors errors;  // why the file could not be read
};

NodeSettings read_node_settings(const std::string& conf_dir, const std::vector<std::string>& argv, const EnvMap& env,
                                std::string_view file = "elasticsearch.yml") {
    NodeSettings n;
    if (!conf_dir.empty()) {
        n.yml = fmt::format("{}/{}", conf_dir, file);
        struct stat st {};
        if (::stat(n.yml.c_str(), &st) != 0 && errno == ENOENT) {
            n.missing = true;
        } else if (auto read = read_es_settings(n.yml)) {
            n.settings = std::move(*read);
        } else {
            n.errors = std::move(read.error());
        }
    }
    n.settings.file = n.yml;
    apply_command_line_settings(n.settings, argv);
    resolve_env_placeholders(n.settings, env);
    return n;
}

// Where Elasticsearch's HTTP layer listens, for the default probe.
void es_http_settings(const std::vector<std::string>& argv, const EnvMap& program_env, EsHomeFacts& es) {
    NodeSettings node = read_node_settings(es.conf_dir, argv, program_env, node_settings_file(es));
    if (!node.errors.empty()) {
        es.settings_error = node.errors.front().str();
        return;
    }
    const EsSettings& settings = node.settings;
    EsHttpSettings& http = es.http;
    for (const char* key : {"http.bind_host", "http.host", "network.bind_host", "network.host"}) {
        const auto hosts = settings.list(key);
        if (!hosts.empty()) {
            http.bind_host = hosts.front();
            http.bind_host_key = key;
            http.bind_host_where = settings.where(key);
            break;
        }
    }
    http.port = settings.get("http.port");
    http.port_where = settings.where("http.port");
    // OpenSearch's security plugin serves HTTPS with its own key.
    http.tls_key = product_names(es.opensearch).tls_key;
    http.tls = settings.get(http.tls_key) == std::optional<std::string>{"true"};
    http.tls_where = settings.where(http.tls_key);
    auto asked = [&](std::string_view key) {
        const auto v = settings.get(key);
        return v && ascii_lower(*v) == "true" ? settings.where(key) : std::string{};
    };
    es.memory_lock_where = asked("bootstrap.memory_lock");
    es.mlockall_where = asked("bootstrap.mlockall");
    if (es.opensearch) return;  // readiness.port is Elasticsearch 8.2+'s
    http.readiness_port = settings.get("readiness.port");
    http.readiness_port_where = settings.where("readiness.port");
}

// The java the launch script of the version runs (choose_java, the rule
// the launch follows too), to be run as the node's user.
JavaFacts script_java(const EsHomeFacts& es, const EnvMap& env) {
    const JavaLookup lookup = host_java_lookup();
    const JavaChoice c = es.opensearch ? choose_opensearch_java(es.version, env, es.home)
                                       : choose_java(es.version, env, es.home, lookup);
    JavaFacts j;
    j.source = c.source;
    j.path = c.path;
    j.passed_over = c.passed_over;
    j.why = c.why;
    if (j.path.empty() || !lookup.executable(j.path)) j.status = JavaFacts::Status::not_found;
    return j;
}

// The version line of `java -version`'s output ("openjdk version "17.0.15"
// 2025-04-15", "java version "1.8.0_292""; "Picked up JAVA_TOOL_OPTIONS:
// ..." may come first) into `j`.
void read_java_version(std::string_view output, JavaFacts& j) {
    for (std::string_view line : split_lines(output)) {
        const std::size_t at = line.find("version \"");
        if (at == std::string_view::npos) continue;
        j.version = std::string{line};
        std::string_view v = line.substr(at + 9);
        if (v.starts_with("1.")) v.remove_prefix(2);
        std::size_t digits = 0;
        while (digits < v.size() && v[digits] >= '0' && v[digits] <= '9') ++digits;
        if (auto n = parse_decimal(v.substr(0, digits)); n && *n < 1000) j.major = static_cast<int>(*n);
        return;
    }
}

// `java -version` as the program's user (become_planned_user), with its
// environment, for at most timeout_ms: a java the user cannot run (a
// JAVA_HOME under /root, a missing library) stops the node as surely as a
// missing one.
void run_java_version(JavaFacts& j, const LaunchPlan& plan, int timeout_ms) {
    ChildProgram java{j.path, {j.path, "-version"}, plan.environment.to_envp_strings(),
                      [&] { return become_planned_user(plan); }, true};
    const ChildResult r = run_program_in_child(
        java, std::chrono::steady_clock::now() + std::chrono::milliseconds{timeout_ms}, 64 * 1024);
    read_java_version(r.output, j);
    if (r.status == ChildResult::Status::done) return;
    j.status = JavaFacts::Status::failed;
    if (r.status == ChildResult::Status::timeout) {
        j.problem = fmt::format("did not finish within {} s", timeout_ms / 1000.0);
    } else if (r.exec_errno != 0) {
        j.problem = fmt::format("could not be executed: {}", std::strerror(r.exec_errno));
    } else if (r.exit_code != 0) {
        j.problem = fmt::format("exited with status {}: {}", r.exit_code, r.output.substr(0, r.output.find('\n')));
    } else if (r.signal != 0) {
        j.problem = fmt::format("was killed by signal {}", r.signal);
    } else {
        j.problem = fmt::format("could not be started: {}", r.output);
    }
}

// `bin/elasticsearch-keystore has-passwd` (bin/opensearch-keystore) as the
// node's user, as the launch script asks it before it reads a passphrase:
// exit 0 protected, 1 not (or no keystore), else a failure. Stdin: /dev/null.
KeystoreFacts ask_keystore(const std::string& path, const std::string& tool, const LaunchPlan& plan,
                           int timeout_ms) {
    KeystoreFacts k;
    k.path = path;
    ChildProgram has_passwd{tool, {tool, "has-passwd", "--silent"}, plan.environment.to_envp_strings(),
                            [&] { return become_planned_user(plan); }, true};
    const ChildResult r = run_program_in_child(
        has_passwd, std::chrono::steady_clock::now() + std::chrono::milliseconds{timeout_ms}, 64 * 1024);
    if (r.status == ChildResult::Status::done) {
        k.status = KeystoreFacts::Status::protected_;
    } else if (r.status == ChildResult::Status::failed && r.exit_code == 1 && r.exec_errno == 0) {
        k.status = KeystoreFacts::Status::unprotected;
    } else if (r.status == ChildResult::Status::timeout) {
        k.problem = fmt::format("{} has-passwd did not finish within {} s", tool, timeout_ms / 1000);
    } else if (r.exec_errno != 0) {
        k.problem = fmt::format("{} could not be executed: {}", tool, std::strerror(r.exec_errno));
    } else {
        k.problem = fmt::format("{} has-passwd {}: {}", tool,
                                r.exit_code != 0 ? fmt::format("exited with status {}", r.exit_code)
                                                 : fmt::format("failed (signal {})", r.signal),
                                cut(r.output.substr(0, r.output.find('\n')), 200));
    }
    return k;
}

PathFacts path_facts(const std::string& path) {
    PathFacts p;
    p.path = fs::path(path).lexically_normal().string();
    if (p.path.size() > 1 && p.path.back() == '/') p.path.pop_back();
    fs::path walked = "/";
    auto add = [&](const fs::path& at) {
        struct stat st {};
        if (::stat(at.c_str(), &st) != 0) return false;
        p.existing.push_back({at.string(), st.st_uid, st.st_gid, st.st_mode});
        return true;
    };
    if (!add(walked)) return p;
    bool all = true;
    for (const auto& part : fs::path(p.path).relative_path()) {
        walked /= part;
        if (!add(walked)) {
            all = false;
            break;
        }
        if (!S_ISDIR(p.existing.back().mode)) {
            all = walked == fs::path(p.path);
            break;
        }
    }
    p.exists = all && !p.existing.empty() && p.existing.back().path == p.path;
    return p;
}

std::string encode_node_settings(const NodeSettings& n) {
    std::string out;
    put_field(out, n.yml);
    put_field(out, n.missing ? "1" : "0");
    put_field(out, n.settings.file);
    put_field(out, std::to_string(n.settings.all().size()));
    for (const auto& [key, s] : n.settings.all()) {
        put_field(out, key);
        put_field(out, s.is_list ? "1" : "0");
        put_field(out, std::to_string(s.line));
        put_field(out, s.origin);
        put_field(out, std::to_string(s.values.size()));
        for (const auto& v : s.values) put_field(out, v);
    }
    put_field(out, std::to_string(n.errors.size()));
    for (const auto& e : n.errors) {
        put_field(out, std::to_string(e.status));
        put_field(out, e.file);
        put_field(out, std::to_string(e.line));
        put_field(out, e.what);
        put_field(out, e.hint);
    }
    return out;
}

bool decode_node_settings(std::string_view in, NodeSettings& n) {
    std::string f;
    auto number = [&](std::uint64_t& value) {
        if (!take_field(in, f)) return false;
        auto v = parse_decimal(f);
        if (!v || *v > (1U << 30)) return false;
        value = *v;
        return true;
    };
    std::uint64_t count = 0;
    if (!take_field(in, n.yml) || !take_field(in, f)) return false;
    n.missing = f == "1";
    if (!take_field(in, n.settings.file) || !number(count)) return false;
    for (std::uint64_t i = 0; i < count; ++i) {
        std::string key;
        EsSetting s;
        std::uint64_t line = 0;
        std::uint64_t values = 0;
        if (!take_field(in, key) || !take_field(in, f)) return false;
        s.is_list = f == "1";
        if (!number(line) || !take_field(in, s.origin) || !number(values)) return false;
        s.line = static_cast<int>(line);
        for (std::uint64_t k = 0; k < values; ++k) {
            if (!take_field(in, f)) return false;
            s.values.push_back(f);
        }
        n.settings.set(std::move(key), std::move(s));
    }
    if (!number(count)) return false;
    for (std::uint64_t i = 0; i < count; ++i) {
        Error e;
        std::uint64_t status = 0;
        std::uint64_t line = 0;
        if (!number(status) || !take_field(in, e.file) || !number(line) || !take_field(in, e.what) ||
            !take_field(in, e.hint)) {
            return false;
        }
        e.status = static_cast<int>(status);
        e.line = static_cast<int>(line);
        n.errors.push_back(std::move(e));
    }
    return in.empty();
}

// The most the answer below may be: all parse_es_settings lets through is
// 8 MiB of names and values, framed in about 22 bytes a setting (2.2 MiB for
// 100,000), with room for ${VAR}s. The default 1 MiB cut 100,000 keys.
constexpr std::size_t node_settings_answer = std::size_t{16} << 20;
static_assert(node_settings_answer > max_yml_text + 22 * max_yml_nodes);

// read_node_settings as the node: in a child that becomes the planned user
// first (as the launch's read through eslaunch-check does). What that user
// cannot read is an error about the file, as the node would meet it.
NodeSettings read_node_settings_as(const LaunchPlan& plan, const std::string& conf_dir, std::string_view file,
                                   const std::vector<std::string>& argv) {
    const pid_t parent = ::getpid();
    const auto work = [&]() -> std::string {
        if (std::string problem = become_node_reader(plan, parent); !problem.empty()) return "!" + problem;
        return encode_node_settings(read_node_settings(conf_dir, argv, plan.environment, file));
    };
    const ChildResult r =
        run_in_child(work, std::chrono::steady_clock::now() + reader_timeout, -1, node_settings_answer);
    NodeSettings n;
    if (r.status == ChildResult::Status::done && !r.output.starts_with("!") && decode_node_settings(r.output, n)) {
        return n;
    }
    n = {};
    n.yml = conf_dir.empty() ? std::string{} : fmt::format("{}/{}", conf_dir, file);
    n.settings.file = n.yml;
    const std::string why = r.status != ChildResult::Status::done ? reader_failure(r)
                            : r.output.starts_with("!")           ? cut(r.output.substr(1), 200)
                                                                  : std::string{"gave an answer check cannot read"};
    n.errors.push_back(Error{status::config, n.yml, 0, fmt::format("reading it as user {}: {}", plan.user_name, why),
                             ""});
    return n;
}

// Who reads the node's files for check: the planned user; where this host
// cannot act as that user and check runs as root, uid 65534 (nobody), never
// root, whom the service's group could feed a file (doc/design.md).
LaunchPlan files_reader(const LaunchPlan& plan, const AsUser& as) {
    if (as.possible || ::geteuid() != 0) return plan;
    constexpr uid_t nobody = 65534;
    LaunchPlan reader = plan;
    reader.change_identity = true;
    reader.uid = nobody;
    reader.gid = nobody;
    reader.groups = {nobody};
    reader.user_name = "nobody (uid 65534, standing in for user " + as.user + ")";
    return reader;
}

// Where the node's HTTP layer listens, for the default probe, read as
// `reader` into `es` (host.cpp's read_http_settings_as, without the exec).
void read_http_settings_for_check(const std::vector<std::string>& argv, const LaunchPlan& reader, EsHomeFacts& es) {
    const pid_t parent = ::getpid();
    const ChildResult r = run_in_child(
        [&]() -> std::string {
            if (std::string problem = become_node_reader(reader, parent); !problem.empty()) return "!" + problem;
            return node_http_settings_answer(es.conf_dir, argv, reader.environment, es.opensearch);
        },
        std::chrono::steady_clock::now() + reader_timeout, -1);
    es.http = {};
    es.settings_error.clear();
    es.reader_error.clear();
    if (r.status == ChildResult::Status::done && !r.output.starts_with('!') && decode_http_settings(r.output, es)) {
        return;
    }
    const std::string why = r.status != ChildResult::Status::done ? reader_failure(r)
                            : r.output.starts_with('!')           ? cut(r.output.substr(1), 200)
                                                                  : std::string{"gave an answer check cannot read"};
    es.reader_error =
        fmt::format("reading {}/{} as user {}: {}", es.conf_dir, node_settings_file(es), reader.user_name, why);
}

}  // namespace

PlanAttempt plan_for_check(const Spec& spec, HostFacts& host) {
    if (auto plan = plan_launch_reading_node_settings(spec, host)) return {std::move(*plan), {}};
    auto attempt = [&] {
        PlanAttempt a = plan_launch_partial(spec, host);
        // A user= this host does not have: named all the same.
        if (a.plan.user_name.empty() && spec.user) a.plan.user_name = spec.user->text;
        return a;
    };
    PlanAttempt first = attempt();
    if (host.es.home.empty()) return first;
    // The default probe and memory_lock follow elasticsearch.yml, as for a launch.
    const AsUser as = as_user_here(spec, first.plan, first.errors);
    read_http_settings_for_check(spec.argv, files_reader(first.plan, as), host.es);
    return attempt();
}

std::string node_http_settings_answer(const std::string& conf_dir, const std::vector<std::string>& argv,
                                      const EnvMap& env, bool opensearch) {
    EsHomeFacts es;
    es.conf_dir = conf_dir;
    es.opensearch = opensearch;
    es_http_settings(argv, env, es);
    return encode_http_settings(es);
}

// The launch starts the program only once eslaunch-watch runs as the user:
// ask the same as that user (groups, gid, uid), in a child, so that check
// stops where the launch would, with its words (execve's EACCES for a
// directory). The error, or nothing.
std::optional<Error> watcher_problem(const LaunchPlan& plan) {
    if (!plan.readiness.watcher) return std::nullopt;
    const std::string& path = *plan.readiness.watcher;
    const ChildResult r = run_in_child(
        [&]() -> std::string {
            if (std::string problem = become_planned_user(plan); !problem.empty()) return "!" + problem;
            struct stat st {};
            int err = 0;
            if (::access(path.c_str(), X_OK) != 0 || ::stat(path.c_str(), &st) != 0) err = errno;
            else if (!S_ISREG(st.st_mode)) err = EACCES;
            return err == 0 ? "" : std::to_string(err);
        },
        std::chrono::steady_clock::now() + std::chrono::seconds{5}, -1);
    std::string why;
    if (r.status == ChildResult::Status::done) {
        if (r.output.empty()) return std::nullopt;
        if (auto err = parse_decimal(r.output)) {
            Error e = watcher_exec_error(plan, static_cast<int>(*err));
            e.status = status::config;  // check reports every problem as 78
            return e;
        }
        why = r.output.starts_with('!') ? r.output.substr(1) : r.output;
    } else {
        why = r.status == ChildResult::Status::timeout ? "took more than 5 s" : r.output;
    }
    return Error{status::config, plan.file, 0, fmt::format("cannot check {} as user {}: {}", path, plan.user_name, why),
                 "run check as the launch runs (as root, for user=)"};
}

PreflightFacts gather_preflight_facts(const Spec& spec, const LaunchPlan& plan, const HostFacts& host,
                                      int java_timeout_ms, const AsUser& as) {
    PreflightFacts f;
    f.as_user = as;
    std::string count = read_small_file("/proc/sys/vm/max_map_count");
    while (!count.empty() && std::isspace(static_cast<unsigned char>(count.back()))) count.pop_back();
    f.max_map_count = parse_decimal(count);

    NodeSettings node =
        read_node_settings_as(files_reader(plan, as), host.es.conf_dir, node_settings_file(host.es), spec.argv);
    f.yml = node.yml;
    f.yml_missing = node.missing;
    f.settings_errors = std::move(node.errors);
    EsSettings& settings = node.settings;

    if (plan.change_identity) {
        f.groups = plan.groups;
    } else {
        const int n = ::getgroups(0, nullptr);
        if (n > 0) {
            f.groups.resize(static_cast<std::size_t>(n));
            f.groups.resize(static_cast<std::size_t>(std::max(::getgroups(n, f.groups.data()), 0)));
        }
    }
    if (host.es.version) {  // a recognised home: evaluate_preflight skips these otherwise
        const EsPaths paths = es_paths(settings, host.es.home);
        for (const auto& p : paths.data) f.data_paths.push_back(path_facts(p));
        if (!paths.logs.empty()) f.logs_path = path_facts(paths.logs);
        JavaFacts java = script_java(host.es, plan.environment);
        // Without the user, java's executable bits are all check can judge.
        if (java.status == JavaFacts::Status::ran && as.possible) run_java_version(java, plan, java_timeout_ms);
        f.java = std::move(java);
        // 7.7 brought the password-protected keystore and has-passwd; OpenSearch forked 7.10.
        const std::string_view product = product_names(host.es.opensearch).script;
        const std::string keystore = fmt::format("{}/{}.keystore", host.es.conf_dir, product);
        struct stat st {};
        const bool has_passwd = host.es.opensearch || *host.es.version >= EsVersion{7, 7, 0};
        if (has_passwd && as.possible && ::stat(keystore.c_str(), &st) == 0) {
            const std::string tool = fmt::format("{}/bin/{}-keystore", host.es.home, product);
            f.keystore = ask_keystore(keystore, tool, plan, keystore_timeout_ms);
        }
    }
    f.settings = std::move(settings);
    return f;
}

}  // namespace eslaunch
