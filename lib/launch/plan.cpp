#include "eslaunch/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "eslaunch/apply.hpp"
#include "planner.hpp"

namespace eslaunch {

int Planner::variable_line(std::string_view name) const {
    int line = 0;
    // The program's environment= is applied over [supervisord]'s.
    for (const auto* vars : {&spec_.supervisord_environment, &spec_.environment}) {
        for (const auto& v : *vars) {
            if (v.name == name) line = v.line;
        }
    }
    return line;
}

std::string Planner::variable_origin(std::string_view name) const {
    const int line = variable_line(name);
    return line > 0 ? fmt::format(" (environment= at line {})", line)
                    : std::string{" (inherited from eslaunch's environment)"};
}

// Who the program runs as: eslaunch's own identity when not root, root
// itself only with allow_root, else the spec's user= for good.
void Planner::plan_identity() {
    if (host_.euid != 0) {
        keep_own_identity();
    } else if (!spec_.user) {
        stay_root();
    } else if (const UserEntry* user = service_user()) {
        switch_to(*user);
    }
}

// Not root, eslaunch cannot switch: user= and group= must name who it is.
void Planner::keep_own_identity() {
    const int user_line = spec_.line_of("user");
    const int group_line = spec_.line_of("group");
    plan_.change_identity = false;
    plan_.uid = host_.euid;
    plan_.gid = host_.egid;
    plan_.user_name = host_.current_user ? host_.current_user->name : std::to_string(host_.euid);
    if (spec_.user) {
        if (!host_.user) {
            error(status::user, user_line, fmt::format("user: {}", host_.user_error),
                  "create the user or fix user=");
        } else if (host_.user->uid != host_.euid) {
            error(status::user, user_line,
                  fmt::format("user={}: eslaunch is not running as root (uid {}), so it cannot switch to uid {}",
                              spec_.user->text, host_.euid, host_.user->uid),
                  "start eslaunch as root (it drops privileges itself), or remove user=");
        }
    }
    if (spec_.group && host_.group && host_.group->gid != host_.egid) {
        error(status::group, group_line,
              fmt::format("group={}: eslaunch is not running as root (gid {}), so it cannot switch to gid {}",
                          spec_.group->text, host_.egid, host_.group->gid),
              "start eslaunch as root, or remove group=");
    } else if (spec_.group && !host_.group) {
        error(status::group, group_line, fmt::format("group: {}", host_.group_error), "create the group or fix group=");
    }
}

// Root with no user=: the program stays root, which allow_root must say.
void Planner::stay_root() {
    if (!spec_.allow_root) {
        error(status::user, spec_.section_line,
              fmt::format("[program:{}] has no user=, so the program would run as root", spec_.program),
              "set user= to the service account (Elasticsearch refuses to run as root), or allow_root=true");
        return;
    }
    plan_.change_identity = false;
    plan_.uid = 0;
    plan_.gid = host_.egid;
    plan_.user_name = host_.current_user ? host_.current_user->name : "root";
}

// user='s passwd entry, or nullptr with the error: it is missing, or is root
// without allow_root.
const UserEntry* Planner::service_user() {
    const int user_line = spec_.line_of("user");
    if (!host_.user) {
        error(status::user, user_line, fmt::format("user: {}", host_.user_error),
              fmt::format("create it (useradd --system {}) or fix user=", spec_.user->text));
        return nullptr;
    }
    if (host_.user->uid == 0 && !spec_.allow_root) {
        error(status::user, user_line, fmt::format("user={} runs the program as root", spec_.user->text),
              "use a service account (Elasticsearch refuses to run as root), or set allow_root=true");
        return nullptr;
    }
    return &*host_.user;
}

// Root dropping to `user`: its ids, group= over its primary group, the
// supplementary groups, and the variables its login would set.
void Planner::switch_to(const UserEntry& user) {
    plan_.change_identity = true;
    plan_.user_name = user.name;
    plan_.uid = user.uid;
    plan_.gid = user.gid;
    if (spec_.group) {
        if (!host_.group) {
            error(status::group, spec_.line_of("group"), fmt::format("group: {}", host_.group_error),
                  fmt::format("create it (groupadd --system {}) or fix group=", spec_.group->text));
            return;
        }
        plan_.gid = host_.group->gid;
    }
    plan_.groups = planned_groups();

    // supervisord leaves its own HOME; a JVM wants the service user's.
    const std::pair<const char*, std::string> from_passwd[] = {
        {"HOME", user.home}, {"USER", user.name}, {"LOGNAME", user.name}, {"SHELL", user.shell}};
    for (const auto& [name, value] : from_passwd) {
        if (!spec_sets_variable(name)) plan_.environment.set(name, value);
    }
}

// The planned gid first, then supplementary_groups= (the user's, none, or a
// list), each once.
std::vector<gid_t> Planner::planned_groups() {
    std::vector<gid_t> groups{plan_.gid};
    auto add = [&](gid_t g) {
        if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
    };
    switch (spec_.supplementary_groups.mode) {
        case SupplementaryGroups::Mode::automatic:
            for (gid_t g : host_.user_groups) add(g);
            break;
        case SupplementaryGroups::Mode::none: break;
        case SupplementaryGroups::Mode::list:
            for (const auto& ref : spec_.supplementary_groups.groups) {
                auto it = host_.supplementary.find(ref.text);
                if (it == host_.supplementary.end()) {
                    error(status::group, spec_.line_of("supplementary_groups"),
                          fmt::format("supplementary_groups: group '{}' does not exist", cut(ref.text)),
                          "create it or remove it from the list");
                    continue;
                }
                add(it->second.gid);
            }
            break;
    }
    return groups;
}

// Ids the kernel cannot take, and root's group, in what plan_identity chose.
void Planner::check_identity_ids() {
    if (!plan_.change_identity) return;
    constexpr auto none = static_cast<std::uint32_t>(-1);  // setres[ug]id() read it as "leave unchanged"
    const int user_line = spec_.line_of("user");
    if (plan_.uid == none) {
        error(status::user, user_line,
              fmt::format("user={}: its passwd entry has uid {}, which setresuid() takes as \"leave the uid as it is\"",
                          cut(spec_.user->text), none),
              "give the user a real uid (usermod -u)");
    }
    const int gid_line = spec_.group ? spec_.line_of("group") : user_line;
    const std::string gid_key = spec_.group ? "group=" + cut(spec_.group->text)
                                            : "user=" + cut(spec_.user->text) + " (its primary group)";
    if (plan_.gid == none) {
        error(status::group, gid_line,
              fmt::format("{}: gid {} is what setresgid() takes as \"leave the gid as it is\"", gid_key, none),
              "give the group a real gid (groupmod -g)");
    } else if (plan_.gid == 0) {
        warn(gid_line, fmt::format("{} makes gid 0 (root's group) the program's group: it may read and write "
                                   "whatever root's group may",
                                   gid_key));
    }
    const bool listed = spec_.supplementary_groups.mode == SupplementaryGroups::Mode::list;
    const int extra_line = listed ? spec_.line_of("supplementary_groups") : user_line;
    const char* extra_key = listed ? "supplementary_groups=" : "supplementary_groups (the user's, from the group database)";
    for (std::size_t i = 1; i < plan_.groups.size(); ++i) {
        if (plan_.groups[i] == none) {
            error(status::group, extra_line, fmt::format("{}: gid {} is not a group setgroups() can take", extra_key, none),
                  "give the group a real gid (groupmod -g)");
        } else if (plan_.groups[i] == 0) {
            warn(extra_line, fmt::format("{} gives the program gid 0 (root's group) as a supplementary group: it may "
                                         "read and write whatever root's group may",
                                         extra_key));
        }
    }
}

void Planner::plan_profile() {
    plan_.profile = spec_.profile;
    if (spec_.profile_setting == Profile::automatic && spec_.profile == Profile::plain && host_.es.version) {
        plan_.profile = host_.es.opensearch ? Profile::opensearch : Profile::elasticsearch;
        if (auto flag = find_daemonize_flag(spec_.argv)) {
            error(status::config, spec_.line_of("command"),
                  fmt::format("command: '{}' daemonizes {} ({} holds {}), so it leaves the foreground", cut(*flag),
                              host_.es.opensearch ? "OpenSearch" : "Elasticsearch", host_.es.home,
                              host_.es.version_source),
                  "remove it: systemd and supervisord supervise the program itself, in the foreground");
        }
    }
}

std::string memory_lock_request(Profile profile, const EsHomeFacts& es) {
    if (!search_node(profile)) return {};
    if (profile == Profile::opensearch) {  // forked from 7.10: bootstrap.memory_lock only
        return es.memory_lock_where.empty() ? std::string{}
                                            : fmt::format("bootstrap.memory_lock: true ({})", es.memory_lock_where);
    }
    // Each version reads its own name; an unknown version either.
    const bool before_5 = es.version && es.version->major < 5;
    const bool from_5 = es.version && es.version->major >= 5;
    if (!es.memory_lock_where.empty() && !before_5) {
        return fmt::format("bootstrap.memory_lock: true ({})", es.memory_lock_where);
    }
    if (!es.mlockall_where.empty() && !from_5) return fmt::format("bootstrap.mlockall: true ({})", es.mlockall_where);
    return {};
}

std::string memory_lock_hint(const std::string& request) {
    const std::string setting = request.substr(0, request.find(':'));
    return fmt::format("set LimitMEMLOCK=infinity in the unit (supervisord: start it with ulimit -l unlimited), or "
                       "run eslaunch as root with CAP_SYS_RESOURCE, or set {}: false",
                       setting);
}

// What the spec, the profile or the node's memory lock ask of `r`; nullopt
// when nothing does, or when the spec asks less than the lock needs (78).
std::optional<Planner::LimitWish> Planner::limit_wish(LimitResource r,
                                                      const std::map<LimitResource, LimitValue>& defaults,
                                                      const std::string& lock) {
    const auto in_spec = spec_.limits.find(r);
    const auto in_profile = defaults.find(r);
    const bool locked = r == LimitResource::memlock && !lock.empty();
    LimitWish w;
    if (in_spec != spec_.limits.end()) {
        w = {in_spec->second, true, spec_.line_of(limit_key(r)), format_limit(r, in_spec->second), {}};
    } else if (locked) {
        w = {{limit_infinity, limit_infinity}, true, 0, {}, {}};
    } else if (in_profile != defaults.end()) {
        w.want = in_profile->second;
    } else {
        return std::nullopt;
    }
    if (!locked) return w;
    w.why = lock;
    if (w.want.soft != limit_infinity || w.want.hard != limit_infinity) {
        error(status::config, w.line,
              fmt::format("limit_memlock={}: {} needs the memlock limit unlimited", w.written, lock),
              "write limit_memlock=infinity (or remove the line: eslaunch then requires infinity), or set " +
                  lock.substr(0, lock.find(':')) + ": false");
        return std::nullopt;
    }
    return w;
}

// As systemd: LimitNOFILE=infinity means fs.nr_open, the kernel's ceiling.
// False when a required limit is above it (the error is reported).
bool Planner::clamp_nofile(const LimitWish& w, LimitValue& want) {
    if (want.soft == limit_infinity) want.soft = host_.nr_open;
    if (want.hard == limit_infinity) want.hard = host_.nr_open;
    if (want.hard <= host_.nr_open) return true;
    if (w.required) {
        error(status::limits, w.line,
              fmt::format("limit_nofile={} is above the kernel's fs.nr_open ({})", w.written, host_.nr_open),
              fmt::format("lower limit_nofile, or raise the sysctl fs.nr_open to at least {}", want.hard));
        return false;
    }
    want.hard = host_.nr_open;
    want.soft = std::min(want.soft, want.hard);
    return true;
}

void Planner::plan_limit(LimitResource r, LimitWish w) {
    const auto cur_it = host_.current_limits.find(r);
    const LimitValue current =
        cur_it == host_.current_limits.end() ? LimitValue{limit_infinity, limit_infinity} : cur_it->second;
    LimitValue want = w.want;
    if (r == LimitResource::nofile && !clamp_nofile(w, want)) return;
    LimitValue planned = want;
    if (!w.required) {
        // Best effort: never lower what is there, raise as far as allowed.
        planned.soft = std::max(want.soft, current.soft);
        planned.hard = std::max(want.hard, current.hard);
    }
    if (planned.hard > current.hard && !host_.cap_sys_resource) {
        const std::string hard = format_limit_number(r, current.hard);
        if (!w.why.empty()) {
            error(status::limits, w.line,
                  fmt::format("{} needs the memlock limit unlimited; the hard limit is {} and eslaunch cannot raise "
                              "it (no CAP_SYS_RESOURCE)",
                              w.why, hard),
                  memory_lock_hint(w.why));
            return;
        }
        if (w.required) {
            error(status::limits, w.line,
                  fmt::format("{}={}: the hard limit is {} and eslaunch cannot raise it (no CAP_SYS_RESOURCE)",
                              limit_key(r), w.written, hard),
                  limit_raise_hint(r, planned.hard));
            return;
        }
        planned.hard = current.hard;
        planned.soft = std::min(planned.soft, planned.hard);
        warn(0, fmt::format("{}: profile {} wants {}, the hard limit is {}: set to {} (best effort); {}", limit_key(r),
                            profile_name(plan_.profile), format_limit(r, want), hard, format_limit(r, planned),
                            limit_raise_hint(r, want.hard)));
    }
    plan_.limits.push_back({r, current, planned, w.required, std::move(w.why)});
}

void Planner::plan_limits() {
    const auto defaults = profile_limits(plan_.profile, host_.es.version);
    const std::string lock = memory_lock_request(plan_.profile, host_.es);
    // With ready=, only memory_lock reads elasticsearch.yml: say when it could not.
    const std::string& unread = host_.es.settings_error.empty() ? host_.es.reader_error : host_.es.settings_error;
    if (search_node(plan_.profile) && spec_.ready && !unread.empty()) {
        warn(0, fmt::format("whether the node asks for bootstrap.memory_lock is not known: {}", unread));
    }
    for (LimitResource r : all_limit_resources) {
        if (auto wish = limit_wish(r, defaults, lock)) plan_limit(r, std::move(*wish));
    }
}

void Planner::plan_executable() {
    if (spec_.argv.empty()) return;
    const std::string& name = spec_.argv.front();
    plan_.program = name;
    if (name.find('/') != std::string::npos) {
        plan_.executable = name;
        return;
    }
    if (host_.program_path) {
        plan_.executable = *host_.program_path;
        return;
    }
    const std::string* path = plan_.environment.get("PATH");
    error(status::exec, spec_.line_of("command"),
          fmt::format("command: '{}' is not in PATH ({})", cut(name), path != nullptr ? *path : std::string{"unset"}),
          "write the program's absolute path in command=");
}

// Who tells systemd the program is ready: nobody (ready=none outside
// systemd), the program itself (ready=native), or eslaunch-watch.
void Planner::plan_readiness() {
    ReadinessPlan& r = plan_.readiness;
    choose_probe();
    r.notify = host_.environ.get("NOTIFY_SOCKET") != nullptr;
    r.watchdog = spec_.watchdog;
    using Kind = ReadyProbe::Kind;
    if (r.probe.kind == Kind::native) {
        let_program_notify();
        return;
    }
    // Only the watcher talks to systemd: a program that finds NOTIFY_SOCKET
    // might send READY=1 before it is really ready.
    for (std::string_view name : notify_variables) {
        if (!spec_sets_variable(name)) plan_.environment.erase(name);
    }
    if (spec_.watchdog && r.probe.kind == Kind::none) {
        warn(spec_.line_of("watchdog"), "watchdog=true needs a probe to decide health, and ready=none has none; "
                                        "set ready= to a probe");
    }
    if (r.probe.kind == Kind::none && !r.notify) return;  // nothing to probe, nobody to tell
    plan_watcher();
}

// ready=, else the elasticsearch profile's default (which follows
// elasticsearch.yml when it could be read), else none.
void Planner::choose_probe() {
    ReadinessPlan& r = plan_.readiness;
    if (spec_.ready) {
        r.probe = *spec_.ready;
        r.source = fmt::format("ready= at line {}", spec_.line_of("ready"));
    } else if (search_node(plan_.profile)) {
        const bool opensearch = plan_.profile == Profile::opensearch;
        DefaultProbe d = elasticsearch_default_probe(host_.es.http, opensearch ? "OpenSearch" : "Elasticsearch");
        r.probe = d.probe;
        r.source = fmt::format("profile {}: {}", profile_name(plan_.profile), d.why);
        if (d.warning) warn(0, *d.warning);
        // Before 8.2 there is no readiness service: the node refuses the setting.
        const auto& port = host_.es.http.readiness_port;
        if (port && *port != "-1" && host_.es.version && *host_.es.version < EsVersion{8, 2, 0}) {
            warn(0, fmt::format("{}: readiness.port is an Elasticsearch 8.2+ setting: {} refuses to start with it "
                                "(unknown setting); remove it",
                                host_.es.http.readiness_port_where, host_.es.version->str()));
        }
        const char* yml = node_settings_file(host_.es);
        if (!host_.es.settings_error.empty()) {
            warn(0, fmt::format("the default probe ignores {}, which {} will refuse too: {}", yml,
                                opensearch ? "OpenSearch" : "Elasticsearch", host_.es.settings_error));
        } else if (!host_.es.reader_error.empty()) {
            warn(0, fmt::format("the default probe ignores {}: {}", yml, host_.es.reader_error));
        }
    } else {
        r.source = "default";
    }
}

// ready=native: the program talks to systemd itself, through the
// NOTIFY_SOCKET it inherits. Elasticsearch 7+ packages only notify when asked.
void Planner::let_program_notify() {
    if (plan_.profile == Profile::elasticsearch && host_.es.version && host_.es.version->major >= 7 &&
        !spec_sets_variable("ES_SD_NOTIFY")) {
        plan_.environment.set("ES_SD_NOTIFY", "true");
    }
    // OpenSearch's modules/systemd reads OPENSEARCH_SD_NOTIFY (1.x and 2.x);
    // only its deb/rpm ship the module, so a tar home never notifies.
    if (plan_.profile == Profile::opensearch && !spec_sets_variable("OPENSEARCH_SD_NOTIFY")) {
        plan_.environment.set("OPENSEARCH_SD_NOTIFY", "true");
    }
    if (plan_.profile == Profile::opensearch && !host_.es.home.empty() && !host_.es.systemd_module) {
        warn(spec_.line_of("ready"),
             fmt::format("ready=native: {}/modules/systemd is missing (only OpenSearch's deb and rpm packages ship "
                         "it), so the node never tells systemd it is ready; remove ready= for the default probe",
                         host_.es.home));
    }
    if (spec_.watchdog) {
        warn(spec_.line_of("watchdog"), "watchdog=true does nothing with ready=native: the program feeds "
                                        "systemd's watchdog itself, or not at all");
    }
}

// eslaunch-watch's path, arguments and environment.
void Planner::plan_watcher() {
    ReadinessPlan& r = plan_.readiness;
    if (!host_.watcher) {
        error(status::exec, spec_.line_of("ready"),
              fmt::format("eslaunch-watch, which runs the readiness probe, is not at {}", host_.watcher_expected),
              "reinstall eslaunch, or set ready=none");
        return;
    }
    r.watcher = *host_.watcher;
    WatchOptions w;
    w.program = spec_.program;
    w.probe = r.probe;
    w.expect = spec_.ready_expect;
    w.timeout = spec_.ready_timeout;
    w.interval = spec_.ready_interval;
    w.ca = spec_.ready_ca;
    w.insecure = spec_.ready_insecure;
    w.user = spec_.ready_user;
    w.password_file = spec_.ready_password_file;
    w.watchdog = spec_.watchdog;
    r.watcher_argv = {"eslaunch-watch"};
    for (auto& a : watch_args(w)) r.watcher_argv.push_back(std::move(a));
    // The watcher runs exec: probes with the program's environment, and
    // alone holds systemd's notify variables.
    r.watcher_environment = plan_.environment;
    for (std::string_view name : notify_variables) {
        if (const std::string* v = host_.environ.get(name)) r.watcher_environment.set(name, *v);
    }
}

PlanAttempt Planner::attempt() {
    plan_.file = spec_.file;
    plan_.argv = spec_.argv;
    plan_.umask = spec_.umask;
    plan_.directory = spec_.directory;
    plan_.stdin_file = spec_.stdin_file.value_or("");
    plan_.stdin_line = spec_.line_of("stdin");
    plan_.no_new_privileges = spec_.no_new_privileges;
    plan_.warnings = spec_.warnings;
    plan_.environment = program_environment(host_.environ, spec_.clear_environment, spec_.environment_settings());

    plan_identity();
    check_identity_ids();
    plan_profile();
    plan_heap();
    plan_tmpdir();
    plan_java();
    plan_limits();
    plan_executable();
    plan_readiness();
    plan_env_file();  // last: it compares the file with the environment the others made
    return {std::move(plan_), std::move(errors_)};
}

Result<LaunchPlan> Planner::run() {
    PlanAttempt a = attempt();
    if (!a.errors.empty()) return failure(std::move(a.errors));
    return std::move(a.plan);
}

Result<LaunchPlan> plan_launch(const Spec& spec, const HostFacts& host) { return Planner{spec, host}.run(); }

PlanAttempt plan_launch_partial(const Spec& spec, const HostFacts& host) { return Planner{spec, host}.attempt(); }

}  // namespace eslaunch
