// preflight: Elasticsearch's bootstrap checks, and what else stops a node at
// start, evaluated before the start against the plan (the limits, user and
// heap the program will get, not eslaunch's own) and this host. Only
// `eslaunch check` runs it: gathering reads elasticsearch.yml and runs
// `java -version` as the service user, which a launch never does.
//
// evaluate_preflight() is pure: tests build PreflightFacts by hand;
// gather_preflight_facts() (in host.cpp) is the only code that reads them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eslaunch/environment.hpp"
#include "eslaunch/error.hpp"
#include "eslaunch/es_config.hpp"
#include "eslaunch/finding.hpp"
#include "eslaunch/heap.hpp"
#include "eslaunch/host.hpp"
#include "eslaunch/plan.hpp"
#include "eslaunch/spec.hpp"

namespace eslaunch {

// One path and every directory above it, as stat() saw them.
struct PathFacts {
    struct Entry {
        std::string path;
        uid_t uid = 0;
        gid_t gid = 0;
        mode_t mode = 0;  // st_mode
    };
    std::string path;             // absolute
    std::vector<Entry> existing;  // "/" first, down to the deepest component that exists
    bool exists = false;          // existing.back() is `path` itself
};

// The java the launch script of the version runs (choose_java: ES_JAVA_HOME,
// JAVA_HOME, the bundled JDK, or PATH, by version), and what `java -version`
// said when run as the program's user.
struct JavaFacts {
    enum class Status { ran, not_found, failed };
    Status status = Status::ran;
    std::string source;   // "ES_JAVA_HOME", "JAVA_HOME", "bundled jdk" (7.0-7.11), "bundled JDK", "PATH"
    std::string path;     // the java the script would run; empty: none in PATH
    std::string version;  // the first line of `java -version`, e.g. openjdk version "17.0.15" 2025-04-15
    int major = 0;        // 8 for "1.8.0_292", 17 for "17.0.15"; 0 unknown
    std::string problem;  // Status::failed: "did not finish within 5 s", "exited with status 1: ...", ...
    std::string passed_over;  // 2.x-6.x: a JAVA_HOME without an executable bin/java, which the script skips
    std::string why;          // why the script takes it (JavaChoice::why), e.g. "ES_JAVA_HOME is set"
};

// The node's keystore (7.7+: CONF/elasticsearch.keystore) and what
// `bin/elasticsearch-keystore has-passwd`, run as the program's user with
// stdin /dev/null, said of it.
struct KeystoreFacts {
    enum class Status { protected_, unprotected, failed };
    std::string path;
    Status status = Status::failed;
    std::string problem;  // Status::failed: "did not finish within 60 s", "exited with status 74: ..."
};

// Whether check can test paths as the node's user on this host: it can when
// the plan's identity holds here (root switching to user=, or check running
// as the program's own user). `why_not` names the plan error that stops it.
struct AsUser {
    bool possible = true;
    std::string user;     // user= as written, or the planned user's name
    std::string why_not;  // e.g. "user 'elastic' does not exist (the error above, status 217)"
};

struct PreflightFacts {
    AsUser as_user;  // not possible: no run-as-root or path permission checks, java not run
    std::optional<std::uint64_t> max_map_count;  // /proc/sys/vm/max_map_count
    std::string yml;                             // conf_dir/elasticsearch.yml (opensearch.yml); empty without a home
    bool yml_missing = false;                    // it does not exist: Elasticsearch's defaults apply
    std::optional<EsSettings> settings;          // with command= settings and ${VAR}s applied
    Errors settings_errors;                      // why elasticsearch.yml could not be read
    std::vector<gid_t> groups;                   // the groups the program will have
    std::vector<PathFacts> data_paths;
    std::optional<PathFacts> logs_path;
    std::optional<JavaFacts> java;               // these three only for a home with a version
    std::optional<KeystoreFacts> keystore;       // 7.7+ with a keystore, asked as the user
};

// Where Elasticsearch keeps data and logs for these settings: path.data
// (a list) and path.logs, else the packages' default.path.* (5.x passes
// them with -E), else HOME/data and HOME/logs, the default of every version
// from 2.x to 8.x; relative paths are under HOME.
struct EsPaths {
    std::vector<std::string> data;
    std::string data_where;  // "FILE:LINE", "command= (...)", or the file alone when not set
    std::string logs;
    std::string logs_where;
};
[[nodiscard]] EsPaths es_paths(const EsSettings& settings, const std::string& home);

// Replaces ${NAME} (and ${NAME:default}) in every value with the program's
// environment, as Elasticsearch does when it reads elasticsearch.yml.
// Unknown names stay as written.
void resolve_env_placeholders(EsSettings& settings, const EnvMap& env);

struct Preflight {
    std::string product;            // "Elasticsearch" or "OpenSearch" (profile opensearch)
    std::string version;            // "7.17.25", or "unknown"
    std::string yml;
    bool bootstrap_enforced = false;  // production mode: bootstrap checks stop the node
    std::string mode_reason;          // why, naming the setting
    std::optional<JavaFacts> java;    // the java the node runs, and why (a home with a version)
    std::string keystore;             // what has-passwd said and what stdin= gives; empty: no keystore
    std::vector<Finding> findings;    // errors first, then warnings
    [[nodiscard]] int errors() const;
    [[nodiscard]] int warnings() const;
};

[[nodiscard]] Preflight evaluate_preflight(const Spec& spec, const LaunchPlan& plan, const HostFacts& host,
                                           const PreflightFacts& facts);

// Reads what evaluate_preflight needs for `plan` on this host (host.cpp).
// Runs `java -version` as the plan's user, for at most `java_timeout_ms`.
// Without `as.possible`, the node's files are read as uid 65534 (nobody)
// when check runs as root, and java is not run.
[[nodiscard]] PreflightFacts gather_preflight_facts(const Spec& spec, const LaunchPlan& plan, const HostFacts& host,
                                                    int java_timeout_ms = 5000, const AsUser& as = {});

// How long check lets `elasticsearch-keystore has-passwd` (a JVM) run.
inline constexpr int keystore_timeout_ms = 60000;

// check's plan: plan_launch_reading_node_settings when the spec can be
// launched here; else plan_launch_partial, with elasticsearch.yml read as
// the planned user (or nobody, see gather_preflight_facts) for the probe.
[[nodiscard]] PlanAttempt plan_for_check(const Spec& spec, HostFacts& host);

// What a plan with these errors lets check do as the node's user.
[[nodiscard]] AsUser as_user_here(const Spec& spec, const LaunchPlan& plan, const Errors& plan_errors);

// The paths the launch itself needs before the program runs: directory=
// (chdir, status 200) and the program (execve, status 203), tested as the
// node's user in a child that drops to it (drop_privileges), in the
// launch's order. Without `as.possible`: what stat() tells, and a warning
// that says what was not tested and why. Errors carry the launch's status.
// Also stdin=file:PATH, opened as the launch opens it (as root, the file
// and its directories root's): an error (78) where the launch would stop; a
// warning when check is not root, or (profile elasticsearch) when the file
// does not end with a newline.
[[nodiscard]] std::vector<Finding> check_launch_paths(const Spec& spec, const LaunchPlan& plan, const AsUser& as);

// Whether the plan's user can execute eslaunch-watch, asked as that user in
// a child, so that check stops where the launch would (203 there): the
// error (status 78), or nothing.
[[nodiscard]] std::optional<Error> watcher_problem(const LaunchPlan& plan);

}  // namespace eslaunch
