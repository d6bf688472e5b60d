// plan: Spec + HostFacts -> LaunchPlan, pure. The plan is complete: what
// `check` prints is exactly what `apply` does.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "eslaunch/env_file.hpp"
#include "eslaunch/environment.hpp"
#include "eslaunch/error.hpp"
#include "eslaunch/finding.hpp"
#include "eslaunch/heap.hpp"
#include "eslaunch/host.hpp"
#include "eslaunch/limits.hpp"
#include "eslaunch/readiness.hpp"
#include "eslaunch/spec.hpp"

namespace eslaunch {

struct PlannedLimit {
    LimitResource resource;
    LimitValue current;
    LimitValue planned;
    bool required = false;  // written in the spec (else a profile default, best effort)
    std::string why;        // required by the node, not the spec: e.g. "bootstrap.memory_lock: true (FILE:LINE)"
};

struct HeapPlan {
    std::optional<std::uint64_t> bytes;  // set: eslaunch passes this heap
    std::string via;                     // "ES_HEAP_SIZE", "ES_JAVA_OPTS", "JAVA_TOOL_OPTIONS", "env:NAME"
    std::string passed;                  // what was set, e.g. "ES_JAVA_OPTS=-Xms4g -Xmx4g"
    std::optional<EsVersion> version;
    std::string version_source;
    std::uint64_t memory_limit = 0;
    std::string memory_limit_source;
    std::vector<std::string> overrides;  // heap settings ours replaces, with where they are
};

struct ReadinessPlan {
    ReadyProbe probe;
    std::string source;  // "ready= at line 12", or why the profile's default is what it is
    bool notify = false;  // NOTIFY_SOCKET is set: systemd waits for READY=1
    bool watchdog = false;
    // eslaunch-watch, started just before the exec when there is a probe to
    // run or systemd to tell; nullopt: no watcher.
    std::optional<std::string> watcher;
    std::vector<std::string> watcher_argv;
    EnvMap watcher_environment;
};

// The environment file a 6.0+ package's bin/elasticsearch-env sources after
// the environment eslaunch passes, and what it changes there.
struct EnvFilePlan {
    std::string layout;         // "package", "archive", "unknown"; empty: not looked at
    std::string layout_source;  // "HOME/bin/elasticsearch-env:LINE", or why the layout is unknown
    std::string path;           // package: the file
    std::vector<EnvAssignment> assignments;  // what it assigns, in order
    std::string conf_dir;         // the configuration directory the node reads
    std::string conf_dir_source;  // "FILE:LINE", "es_path_conf=", "ES_PATH_CONF", "es_home/config"
    std::vector<Finding> findings;  // warnings; a conflict that stops the launch is an error of the plan
};

// The node's private temporary directory (tmpdir=), which eslaunch creates
// as root before it drops privileges: owned by the node's user, mode 0700.
struct TmpdirPlan {
    std::string path;    // empty: eslaunch makes none
    std::string source;  // "tmpdir= at line 9", "profile elasticsearch: ...", or why there is none
    std::string passed;  // how the node gets it: "ES_TMPDIR", "ES_JAVA_OPTS (-Djava.io.tmpdir=)", "TMPDIR"
};

// The directory every parent of which eslaunch creates root's, 0755, for
// profile elasticsearch's default tmpdir: DIR/NAME/tmp.
inline constexpr const char* default_tmpdir_parent = "/var/lib/eslaunch";

struct LaunchPlan {
    std::string file;
    std::string program;  // the name given
    std::string executable;  // the path execve() gets
    std::vector<std::string> argv;
    EnvMap environment;

    bool change_identity = false;  // running as root: setgroups/setresgid/setresuid
    std::string user_name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // primary gid first

    std::vector<PlannedLimit> limits;
    std::optional<mode_t> umask;
    std::optional<std::string> directory;
    // stdin=file:PATH, opened as root before the limits and put on fd 0
    // just before the execve; empty: /dev/null. Its line in the spec.
    std::string stdin_file;
    int stdin_line = 0;
    bool no_new_privileges = true;
    Profile profile = Profile::plain;
    HeapPlan heap;
    ReadinessPlan readiness;
    EnvFilePlan env_file;
    std::vector<Note> warnings;
    TmpdirPlan tmpdir;
};

[[nodiscard]] Result<LaunchPlan> plan_launch(const Spec& spec, const HostFacts& host);

// Where the node asks to lock its memory, as the message names it
// ("bootstrap.memory_lock: true (FILE:LINE)"), with the setting its version
// reads (1.x, 2.x: bootstrap.mlockall); empty when it does not ask.
[[nodiscard]] std::string memory_lock_request(Profile profile, const EsHomeFacts& es);

// The fix when the memlock limit cannot be raised for `request`.
[[nodiscard]] std::string memory_lock_hint(const std::string& request);

// For `check` only: the plan as far as it goes, and every error on the way
// (none: the plan plan_launch gives). A spec this host cannot launch (its
// user exists only on the production host) still shows the rest; a launch
// never runs a plan that has errors.
struct PlanAttempt {
    LaunchPlan plan;
    Errors errors;
};
[[nodiscard]] PlanAttempt plan_launch_partial(const Spec& spec, const HostFacts& host);

// plan_launch, as `eslaunch FILE` and `eslaunch check` run it: when the
// default probe follows elasticsearch.yml (an Elasticsearch home, no ready=),
// the file is read after a first plan, in a child process running as the
// planned user with no_new_privs (never by root: the service's group can
// often write it), into host.es.http (or host.es.settings_error), and the
// launch planned again with it. Not pure: forks.
[[nodiscard]] Result<LaunchPlan> plan_launch_reading_node_settings(const Spec& spec, HostFacts& host);

}  // namespace eslaunch
