// Everything `plan` needs to know about this machine, gathered once, in one
// place: users and groups, limits, memory, the Elasticsearch home, the spec
// file's ownership. Tests build HostFacts by hand; gather_host_facts() is the
// only code that reads the system for a launch.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eslaunch/env_file.hpp"
#include "eslaunch/environment.hpp"
#include "eslaunch/heap.hpp"
#include "eslaunch/java.hpp"
#include "eslaunch/limits.hpp"
#include "eslaunch/readiness.hpp"
#include "eslaunch/spec.hpp"

namespace eslaunch {

// A passwd entry: what eslaunch takes from it.
struct UserEntry {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::string shell;
    friend bool operator==(const UserEntry&, const UserEntry&) = default;
};

// A group entry: its name and gid.
struct GroupEntry {
    std::string name;
    gid_t gid = 0;
    friend bool operator==(const GroupEntry&, const GroupEntry&) = default;
};

// bin/elasticsearch-env of a 6.0+ home, and the environment file a
// package's sources (env_file.hpp).
struct EnvFileFacts {
    std::string script;  // HOME/bin/elasticsearch-env; empty: not read (no version, or before 6.0)
    EsLayout layout;     // unknown, with why, when the script could not be read
    std::string error;   // package: the environment file could not be read ("FILE: why")
    std::string untrusted;  // package: why the file the script names is not read (a script others can change)
    EnvFileText text;    // package: what it assigns, and what it cannot be read for
};

struct EsHomeFacts {
    std::string home;                     // where it was looked for ("" when unknown)
    std::optional<EsVersion> version;     // from lib/elasticsearch-X.Y.Z.jar (opensearch: lib/opensearch-X.Y.Z.jar)
    bool opensearch = false;              // an OpenSearch home: profile opensearch, or its jar found
    bool systemd_module = false;          // OpenSearch: HOME/modules/systemd (READY=1) is there
    std::string version_source;           // the jar's path
    std::string conf_dir;                 // the node's: es_node_conf_dir()
    std::string conf_dir_source;          // where conf_dir comes from: "es_path_conf=", "FILE:LINE", ...
    EnvFileFacts env_file;
    std::vector<HeapOption> jvm_options;  // heap lines of jvm.options and jvm.options.d/*.options
    std::optional<JavaChoice> java;       // the java its launch script runs (choose_java), for a known version
    EsHttpSettings http;  // where its HTTP layer listens, from elasticsearch.yml
    std::string settings_error;  // elasticsearch.yml could not be read: why
    std::string reader_error;    // eslaunch-check could not read it for us (missing, failed): why
    // Where elasticsearch.yml or command='s -E sets bootstrap.memory_lock
    // (5.x+) or bootstrap.mlockall (1.x, 2.x) to true ("FILE:LINE",
    // "command= (-E...)"); empty: it does not. Read with `http`.
    std::string memory_lock_where;
    std::string mlockall_where;
};

struct HostFacts {
    uid_t euid = 0;
    gid_t egid = 0;
    std::optional<UserEntry> current_user;  // the passwd entry of euid
    bool cap_sys_resource = false;

    EnvMap environ;  // eslaunch's own

    // The spec's user= and group= looked up, or why not.
    std::optional<UserEntry> user;
    std::string user_error;
    std::optional<GroupEntry> group;
    std::string group_error;
    std::vector<gid_t> user_groups;  // the user's groups in the group database (initgroups); read for supplementary_groups=auto only
    std::map<std::string, GroupEntry> supplementary;  // supplementary_groups= entries, by text
    std::string supplementary_error;

    std::map<LimitResource, LimitValue> current_limits;
    std::uint64_t nr_open = 1048576;

    std::uint64_t mem_total = 0;                    // /proc/meminfo MemTotal, bytes
    std::optional<std::uint64_t> cgroup_memory;     // the cgroup's limit, when it has one
    std::string cgroup_memory_source;               // the file it came from

    EsHomeFacts es;
    std::optional<std::string> program_path;  // command's program found in PATH (no '/' in it)
    std::optional<std::string> watcher;  // eslaunch-watch's path, when it is there
    std::string watcher_expected;        // where it was looked for
    std::optional<std::string> node_reader;  // eslaunch-check's path, for elasticsearch.yml (found as `watcher` is)
    std::string node_reader_expected;
    int java_major = 0;  // of es.java, from its JDK's release file; 0 = unknown
};

// Where eslaunch is installed (meson's bindir and libexecdir), to find
// eslaunch-watch: next to the running eslaunch when that is not bindir (a
// build tree), else in libexecdir. Empty: not looked for.
struct InstallDirs {
    std::string bindir;
    std::string libexecdir;
};

// The directories this library was built for (its prefix's bindir and
// libexecdir): where the eslaunch installed with it keeps its helpers.
// gather_host_facts' default; pass an InstallDirs of your own to override.
[[nodiscard]] InstallDirs installed_dirs();

// eslaunch's helper program `name` (eslaunch-watch, eslaunch-check): beside
// this program when it does not run from `dirs.bindir` (a build tree, or a
// helper that runs from libexecdir), else in `dirs.libexecdir`; `expected`
// is where it should be.
[[nodiscard]] std::optional<std::string> find_helper(const InstallDirs& dirs, std::string_view name,
                                                     std::string& expected);

// The configuration directory the node reads, and where that comes from:
// a package's environment file's ES_PATH_CONF (sourced after the
// environment, it wins), else es_path_conf=, else ES_PATH_CONF of the
// program's environment, else HOME/config, which packages do not have
// ("" then: the plan refuses it). OpenSearch: OPENSEARCH_PATH_CONF, and
// its script sources the file only when that is unset in the environment.
[[nodiscard]] std::string es_node_conf_dir(const Spec& spec, const EnvMap& program_env, const EsHomeFacts& es,
                                           std::string& source);

// The node's settings file in its configuration directory: elasticsearch.yml
// or opensearch.yml.
[[nodiscard]] inline const char* node_settings_file(const EsHomeFacts& es) {
    return es.opensearch ? "opensearch.yml" : "elasticsearch.yml";
}

// Reads the system for `spec` as eslaunch runs now. Never fails: what it
// cannot read stays empty and `plan` says what that means. The
// environment becomes HostFacts::environ (move it in: a launch copies it
// no more than it must).
[[nodiscard]] HostFacts gather_host_facts(const Spec& spec, EnvMap own_environment,
                                          const InstallDirs& dirs = installed_dirs());

}  // namespace eslaunch
