// The program spec (eslaunch.ini(5)): one [program:NAME] section of a supervisord
// INI file, read strictly into a typed Spec. Pure: the text, the path and a
// ParseContext in; a Spec or every error found (FILE:LINE, status 78) out.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eslaunch/environment.hpp"
#include "eslaunch/error.hpp"
#include "eslaunch/heap.hpp"
#include "eslaunch/limits.hpp"
#include "eslaunch/values.hpp"

namespace eslaunch {

enum class Profile { automatic, elasticsearch, jvm, plain, opensearch };
[[nodiscard]] std::string_view profile_name(Profile p);
// Elasticsearch or its fork OpenSearch: a search node, with its home,
// launch scripts, jvm.options and bootstrap checks.
[[nodiscard]] inline bool search_node(Profile p) { return p == Profile::elasticsearch || p == Profile::opensearch; }

// What parsing needs from outside the file, gathered once by the caller.
struct ParseContext {
    EnvMap environ;              // eslaunch's own environment: %(ENV_X)s
    std::string host_node_name;  // %(host_node_name)s (uname's nodename)
    std::optional<std::string> program;  // --program NAME
};

struct SupplementaryGroups {
    enum class Mode { automatic, none, list };
    Mode mode = Mode::automatic;
    std::vector<IdRef> groups;
    [[nodiscard]] std::string str() const;
};

struct SupervisordKey {
    std::string key;
    std::string value;  // as written (supervisord expands it itself)
    int line = 0;
};

// A warning, or a place where eslaunch and supervisord differ (the one rule).
struct Note {
    int line = 0;  // 0: about the section as a whole
    std::string text;
};

struct Spec {
    std::string file;     // absolute path, as FILE:LINE names it
    std::string program;  // NAME of [program:NAME]
    int section_line = 0;

    std::string command;  // after expansion
    std::vector<std::string> argv;
    std::optional<IdRef> user;
    std::optional<IdRef> group;
    SupplementaryGroups supplementary_groups;
    std::optional<std::string> directory;
    std::optional<mode_t> umask;
    std::vector<EnvVar> environment;
    // environment= of [supervisord] in the same file: supervisord gives it to
    // every program, under the program's own environment=.
    std::vector<EnvVar> supervisord_environment;
    bool clear_environment = false;

    Profile profile_setting = Profile::automatic;  // as written
    Profile profile = Profile::plain;              // resolved

    std::map<LimitResource, LimitValue> limits;  // written in the spec: required
    std::optional<HeapSize> heap_size;
    HeapVia heap_via;
    std::optional<ReadyProbe> ready;  // unset: the profile's default
    std::vector<StatusRange> ready_expect{{200, 499}};
    Duration ready_timeout{std::chrono::minutes{15}};
    Duration ready_interval{std::chrono::milliseconds{50}};
    std::optional<std::string> ready_ca;
    bool ready_insecure = false;
    std::optional<std::string> ready_user;
    std::optional<std::string> ready_password_file;
    bool watchdog = false;
    bool no_new_privileges = true;
    bool allow_root = false;
    std::optional<std::string> es_home;
    std::optional<std::string> es_path_conf;
    // tmpdir=: the node's private temporary directory; "" for tmpdir=none;
    // unset: the profile's default (eslaunch.ini(5), TEMPORARY DIRECTORY).
    std::optional<std::string> tmpdir;
    // stdin=: the program's standard input. Unset or `null`: /dev/null;
    // `file:PATH`: that file, opened by eslaunch as root (eslaunch.ini(5)).
    std::optional<std::string> stdin_file;

    std::vector<SupervisordKey> supervisord_only;
    std::map<std::string, int> key_lines;  // every key the section sets -> its line
    bool has_include = false;               // the file has an [include] section
    std::vector<Note> warnings;             // printed at launch too (the plan carries them)

    [[nodiscard]] int line_of(std::string_view key) const;  // 0 when not set
    // What is set over the inherited environment, in order: [supervisord]'s
    // environment=, then the program's.
    [[nodiscard]] std::vector<EnvVar> environment_settings() const;
};

[[nodiscard]] Result<Spec> parse_spec(std::string_view text, const std::string& path, const ParseContext& context);

// Reads FILE (a regular file under 1 MiB) and parses it. `path` is made
// absolute, as %(here)s and the messages need it.
[[nodiscard]] Result<Spec> load_spec(const std::string& path, const ParseContext& context);

// Elasticsearch's -d/--daemonize in argv (also clustered, -dp FILE), if any.
[[nodiscard]] std::optional<std::string> find_daemonize_flag(const std::vector<std::string>& argv);

// The Elasticsearch home eslaunch uses: es_home=, or the parent of the
// command's bin/ directory (not for profile plain or jvm, and never /, /usr
// or /usr/local). Empty when neither applies.
[[nodiscard]] std::string es_home_of(const Spec& spec);

// Its configuration directory: es_path_conf=, else ES_PATH_CONF in the
// program's environment, else HOME/config (empty without a home).
[[nodiscard]] std::string es_conf_dir_of(const Spec& spec, const EnvMap& program_env, const std::string& home);

// The open files Elasticsearch's max-file-descriptors bootstrap check wants:
// 65535 from 7.0 (elastic/elasticsearch#37537), 65536 before (5.x and 6.x
// refuse to start below it in production mode; 2.x logs a warning). An
// unknown version gets 65535, as Elastic's packaging of current versions.
[[nodiscard]] std::uint64_t es_min_open_files(const std::optional<EsVersion>& version);

// The profile `elasticsearch`'s best-effort limits (eslaunch.ini(5),
// PROFILES), with nofile es_min_open_files(es_version).
[[nodiscard]] std::map<LimitResource, LimitValue> profile_limits(Profile p,
                                                                 const std::optional<EsVersion>& es_version = std::nullopt);

// What eslaunch says of startsecs=, for any value (after "startsecs=N: ").
// README.md and eslaunch(1) quote it word for word; cli_test keeps them so.
inline constexpr std::string_view startsecs_advice =
    "startsecs is only how long the program must stay up for supervisord to call it RUNNING, not whether "
    "Elasticsearch serves: it is no readiness check; the line 'eslaunch: NAME ready after N s' in its stderr log "
    "says when the node answers (ready=, or the default probe of its HTTP port)";

// The keys of each kind, for hints, check and the man page.
[[nodiscard]] const std::vector<std::string_view>& applied_keys();
[[nodiscard]] const std::vector<std::string_view>& eslaunch_keys();
[[nodiscard]] const std::vector<std::string_view>& supervisord_only_keys();

}  // namespace eslaunch
