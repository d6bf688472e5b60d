#include "eslaunch/host.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "eslaunch/apply.hpp"
#include "eslaunch/plan.hpp"
#include "eslaunch/values.hpp"
#include "child.hpp"
#include "node_settings.hpp"
#include "path_walk.hpp"
#include "posix.hpp"
#include "text.hpp"
#include "users.hpp"

namespace eslaunch {
namespace {

namespace fs = std::filesystem;

std::uint64_t meminfo_total() {
    const std::string text = read_small_file("/proc/meminfo");
    for (std::string_view line : split_lines(text)) {
        // "MemTotal:       16318148 kB"
        if (!line.starts_with("MemTotal:")) continue;
        line.remove_prefix(9);
        while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        const std::size_t digits = std::min(line.find(' '), line.size());
        if (auto kib = parse_decimal(line.substr(0, digits)); kib && *kib < (std::uint64_t{1} << 50)) return *kib * 1024;
        return 0;
    }
    return 0;
}

// The memory limit of the cgroup eslaunch is in: v2 memory.max, v1
// memory.limit_in_bytes (where "no limit" is a huge number).
void cgroup_memory(HostFacts& facts) {
    const std::string text = read_small_file("/proc/self/cgroup");
    for (std::string_view line_view : split_lines(text)) {
        const std::string line{line_view};
        const auto first = line.find(':');
        const auto second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        const std::string controllers = line.substr(first + 1, second - first - 1);
        const std::string path = line.substr(second + 1);
        std::string file;
        if (controllers.empty() && line.starts_with("0:")) {
            file = fmt::format("{}{}/memory.max",
                               fs::exists("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup", path);
        } else if (("," + controllers + ",").find(",memory,") != std::string::npos) {
            file = fmt::format("/sys/fs/cgroup/memory{}/memory.limit_in_bytes", path);
        } else {
            continue;
        }
        std::string value = read_small_file(file);
        while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
        auto bytes = parse_decimal(value);
        if (bytes && *bytes < (std::uint64_t{1} << 60)) {
            if (!facts.cgroup_memory || *bytes < *facts.cgroup_memory) {
                facts.cgroup_memory = *bytes;
                facts.cgroup_memory_source = file;
            }
        }
    }
}

bool has_cap_sys_resource() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0) return false;
    return (data[CAP_SYS_RESOURCE / 32].effective >> (CAP_SYS_RESOURCE % 32)) & 1U;
}

// The most of bin/elasticsearch-env eslaunch reads (Elastic's is about 5 KiB).
constexpr std::size_t max_env_script = 256 * 1024;

// Root reads the file a script names only where root chose it: the script
// is root's alone, or the file is one of the packages' own. Else whoever can
// change the script could make root read, and echo, any file.
bool env_file_may_be_read(EnvFileFacts& f) {
    const std::string& file = f.layout.env_file;
    if (file == "/etc/default/elasticsearch" || file == "/etc/sysconfig/elasticsearch") return true;
    if (file == "/etc/default/opensearch" || file == "/etc/sysconfig/opensearch") return true;
    const WalkText text{"whoever can change it chooses which file root reads", "", ""};
    auto trusted = read_walking(f.script, Trust::root_only, max_env_script, f.script, text);
    if (trusted) return true;
    f.untrusted = trusted.error().what;
    return false;
}

// bin/elasticsearch-env of 6.0 and later, and the environment file a
// package's sources. Read as root through the walk without the ownership
// rule, as jvm.options: Elastic ships the file root:elasticsearch 0660, and
// what it says only feeds the plan's checks and the config directory.
void env_file_facts(EsHomeFacts& es) {
    // 2.x and 5.x do not source it; OpenSearch's opensearch-env (1.3+) does.
    if (!es.opensearch && (!es.version || es.version->major < 6)) return;
    EnvFileFacts& f = es.env_file;
    const std::string_view name = es.opensearch ? "opensearch-env" : "elasticsearch-env";
    f.script = fmt::format("{}/bin/{}", es.home, name);
    auto script = read_walking(f.script, Trust::any, max_env_script, f.script, {});
    if (!script) {
        f.layout.why = fmt::format("cannot read it: {}", script.error().what);
        return;
    }
    f.layout = es_layout_of(*script, es.opensearch ? "OPENSEARCH_PATH_CONF" : "ES_PATH_CONF");
    if (f.layout.kind != EsLayout::Kind::package) return;
    if (!env_file_may_be_read(f)) return;
    const std::string missing = fmt::format("bin/{} sources it, and the node stops without it: create it", name);
    const std::string irregular = fmt::format("bin/{} sources it: make it a regular file", name);
    const WalkText text{"", missing, irregular};
    auto file = read_walking(f.layout.env_file, Trust::any, max_env_file, f.layout.env_file, text);
    if (!file) {
        f.error = file.error().str();
        return;
    }
    f.text = parse_env_file(*file);
}

// The Java major version of `java` from its JDK's release file (the
// directory above bin/, links followed): 0 when it has none. Read as root,
// so through the walk, as jvm.options is.
int java_major_of(const std::string& java) {
    if (!java.starts_with('/')) return 0;  // relative to a directory= the launch has not entered yet
    std::error_code ec;
    const fs::path real = fs::canonical(java, ec);
    if (ec) return 0;
    const std::string release = (real.parent_path().parent_path() / "release").string();
    auto text = read_walking(release, Trust::any, 64 << 10, release, {});
    return text ? java_major_from_release(*text) : 0;
}

// The version from lib/'s jar: elasticsearch-X.Y.Z.jar, or for profile
// opensearch (or an automatic profile with no such jar) opensearch-X.Y.Z.jar.
void home_version(const Spec& spec, EsHomeFacts& es) {
    struct Found {
        std::optional<EsVersion> version;
        std::string jar;
    } best[2];  // [0] Elasticsearch, [1] OpenSearch
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(es.home + "/lib", ec)) {
        const std::string name = entry.path().filename().string();
        const std::optional<EsVersion> v[2] = {es_version_from_jar_name(name), opensearch_version_from_jar_name(name)};
        for (int k = 0; k < 2; ++k) {
            if (v[k] && (!best[k].version || *v[k] > *best[k].version)) best[k] = {v[k], entry.path().string()};
        }
    }
    const bool opensearch = spec.profile == Profile::opensearch ||
                            (spec.profile_setting == Profile::automatic && spec.profile == Profile::plain &&
                             !best[0].version && best[1].version);
    const Found& found = best[opensearch ? 1 : 0];
    es.opensearch = opensearch;
    es.version = found.version;
    es.version_source = found.jar;
}

void es_home_facts(const Spec& spec, const EnvMap& program_env, HostFacts& facts) {
    EsHomeFacts& es = facts.es;  // es.home: set by the caller, not empty
    home_version(spec, es);
    env_file_facts(es);
    es.conf_dir = es_node_conf_dir(spec, program_env, es, es.conf_dir_source);
    // jvm.options' "8:", "9-:" lines apply to the java the script will run.
    if (es.opensearch) {
        std::error_code ec;
        es.systemd_module = fs::is_directory(es.home + "/modules/systemd", ec);
        es.java = choose_opensearch_java(es.version, program_env, es.home);
        facts.java_major = java_major_of(es.java->path);
    } else if (es.version) {
        es.java = choose_java(es.version, program_env, es.home, host_java_lookup());
        facts.java_major = java_major_of(es.java->path);
    }
    if (es.conf_dir.empty()) return;  // a package with none: the plan says so
    // elasticsearch.yml, which the default probe follows, is read after the
    // plan, as the plan's user: plan_launch_reading_node_settings.
    // Read as root, so through the walk: a FIFO or device planted there
    // cannot stall or feed the launch (open_walking takes regular files
    // only); a file it cannot read names no heap, as before.
    auto add_file = [&](const std::string& path) {
        auto text = read_walking(path, Trust::any, 1 << 20, path, {});
        if (!text) return;
        auto found = jvm_options_heap(*text, path, facts.java_major);
        es.jvm_options.insert(es.jvm_options.end(), found.begin(), found.end());
    };
    add_file(es.conf_dir + "/jvm.options");
    std::vector<std::string> drop_ins;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(es.conf_dir + "/jvm.options.d", ec)) {
        if (entry.path().extension() == ".options") drop_ins.push_back(entry.path().string());
    }
    std::sort(drop_ins.begin(), drop_ins.end());
    for (const auto& path : drop_ins) add_file(path);
}

// The current user (for a plan that keeps it), user= and group=, and the
// groups the plan may add.
void identity_facts(const Spec& spec, HostFacts& facts) {
    if (facts.euid != 0 || !spec.user) {
        std::string ignored;
        facts.current_user = lookup_user(IdRef{std::to_string(facts.euid), facts.euid}, ignored);
    }
    if (spec.user) {
        facts.user = lookup_user(*spec.user, facts.user_error);
        // The group database only for supplementary_groups=auto: `none` and
        // a list never look at it (plan_identity).
        if (facts.user && spec.supplementary_groups.mode == SupplementaryGroups::Mode::automatic) {
            facts.user_groups = user_groups(facts.user->name, facts.user->gid);
        }
    }
    if (spec.group) facts.group = lookup_group(*spec.group, facts.group_error);
    for (const auto& ref : spec.supplementary_groups.groups) {
        std::string error;
        if (auto g = lookup_group(ref, error)) facts.supplementary[ref.text] = *g;
        else facts.supplementary_error = error;
    }
}

// Every limit eslaunch may set, as it is now, and the kernel's ceiling on
// open files.
void limit_facts(HostFacts& facts) {
    for (LimitResource r : all_limit_resources) {
        rlimit lim{};
        if (::getrlimit(static_cast<__rlimit_resource>(limit_rlimit_number(r)), &lim) != 0) continue;
        auto to_u64 = [](rlim_t v) { return v == RLIM_INFINITY ? limit_infinity : static_cast<std::uint64_t>(v); };
        facts.current_limits[r] = {to_u64(lim.rlim_cur), to_u64(lim.rlim_max)};
    }
    std::string nr_open = read_small_file("/proc/sys/fs/nr_open");
    while (!nr_open.empty() && std::isspace(static_cast<unsigned char>(nr_open.back()))) nr_open.pop_back();
    if (auto n = parse_decimal(nr_open)) facts.nr_open = *n;
}

// The Elasticsearch home and the command's path. The program's environment
// is built only where one of them reads it: the home's conf dir, or a
// command looked up in PATH.
void program_facts(const Spec& spec, HostFacts& facts) {
    std::optional<EnvMap> program_env_storage;
    auto program_env = [&]() -> const EnvMap& {
        if (!program_env_storage) {
            program_env_storage = program_environment(facts.environ, spec.clear_environment, spec.environment_settings());
        }
        return *program_env_storage;
    };
    facts.es.home = es_home_of(spec);
    if (!facts.es.home.empty()) es_home_facts(spec, program_env(), facts);
    if (!spec.argv.empty() && spec.argv.front().find('/') == std::string::npos) {
        facts.program_path = search_path(spec.argv.front(), program_env().get("PATH"));
    }
}

// eslaunch-watch only where plan_readiness may start it (a probe, or systemd
// waiting on NOTIFY_SOCKET); eslaunch-check only where the default probe
// or bootstrap.memory_lock follow elasticsearch.yml
// (plan_launch_reading_node_settings).
void helper_facts(const Spec& spec, const InstallDirs& dirs, HostFacts& facts) {
    if (dirs.libexecdir.empty()) return;
    const bool may_be_elasticsearch =
        search_node(spec.profile) ||
        (spec.profile_setting == Profile::automatic && spec.profile == Profile::plain && facts.es.version);
    const bool may_probe = spec.ready ? spec.ready->kind != ReadyProbe::Kind::none : may_be_elasticsearch;
    if (may_probe || facts.environ.get("NOTIFY_SOCKET") != nullptr) {
        facts.watcher = find_helper(dirs, "eslaunch-watch", facts.watcher_expected);
    }
    if (!facts.es.home.empty()) {
        facts.node_reader = find_helper(dirs, "eslaunch-check", facts.node_reader_expected);
    }
}

}  // namespace

std::string es_node_conf_dir(const Spec& spec, const EnvMap& program_env, const EsHomeFacts& es,
                             std::string& source) {
    const EnvFileFacts& f = es.env_file;
    const bool package = f.layout.kind == EsLayout::Kind::package;
    const char* variable = es.opensearch ? "OPENSEARCH_PATH_CONF" : "ES_PATH_CONF";
    const std::string* env = program_env.get(variable);
    // OpenSearch's script sources the file only when the variable is unset.
    const bool sourced = package && !(es.opensearch && env != nullptr && !env->empty());
    if (sourced && f.error.empty()) {
        const EnvAssignment* a = f.text.last(variable);
        if (a != nullptr && f.text.unreadable_assignment(variable, a->line) == nullptr) {
            source = fmt::format("{}:{}", f.layout.env_file, a->line);
            return a->value;
        }
    }
    if (spec.es_path_conf) {
        source = "es_path_conf=";
    } else if (env != nullptr && !env->empty()) {
        source = variable;
    } else if (package) {
        source = {};
        return {};
    } else {
        source = "es_home/config";
    }
    if (spec.es_path_conf) return *spec.es_path_conf;
    if (env != nullptr && !env->empty()) return *env;
    return es.home.empty() ? std::string{} : es.home + "/config";
}

std::optional<std::string> search_path(const std::string& name, const std::string* path) {
    if (path == nullptr) return std::nullopt;
    std::size_t start = 0;
    while (start <= path->size()) {
        const std::size_t colon = std::min(path->find(':', start), path->size());
        const std::string_view dir = std::string_view{*path}.substr(start, colon - start);
        const std::string candidate = fmt::format("{}/{}", dir.empty() ? std::string_view{"."} : dir, name);
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0) return candidate;
        start = colon + 1;
    }
    return std::nullopt;
}

InstallDirs installed_dirs() { return {ESLAUNCH_INSTALLED_BINDIR, ESLAUNCH_INSTALLED_LIBEXECDIR}; }

std::optional<std::string> find_helper(const InstallDirs& dirs, std::string_view name, std::string& expected) {
    expected = (fs::path{dirs.libexecdir} / name).string();
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        const fs::path dir = fs::path{std::string{self, static_cast<std::size_t>(n)}}.parent_path();
        std::error_code ec;
        if (!fs::equivalent(dir, dirs.bindir, ec)) {  // a build tree (all programs in shim/), or libexecdir
            const fs::path beside = dir / name;
            if (::access(beside.c_str(), X_OK) == 0) return beside.string();
        }
    }
    if (::access(expected.c_str(), X_OK) == 0) return expected;
    return std::nullopt;
}

// Only what this spec needs is read: a launch pays for each lookup.
HostFacts gather_host_facts(const Spec& spec, EnvMap own_environment, const InstallDirs& dirs) {
    HostFacts facts;
    facts.euid = ::geteuid();
    facts.egid = ::getegid();
    facts.environ = std::move(own_environment);
    identity_facts(spec, facts);
    facts.cap_sys_resource = has_cap_sys_resource();
    limit_facts(facts);
    if (spec.heap_size) {  // the memory limit matters only for a heap eslaunch sets
        facts.mem_total = meminfo_total();
        cgroup_memory(facts);
    }
    program_facts(spec, facts);
    helper_facts(spec, dirs, facts);
    return facts;
}

}  // namespace eslaunch

namespace eslaunch {
namespace {

// The most eslaunch-check's answer may be: its bind host and port are
// values of a file of at most 1 MiB, with three FILE:LINEs.
constexpr std::size_t http_settings_answer = std::size_t{2} << 20;

// elasticsearch.yml read by `eslaunch-check --node-http-settings` as the
// planned user: the service's group may write the file (root:elasticsearch
// 0660), so no YAML parser runs on it as root (doc/design.md).
void read_http_settings_as(const Spec& spec, const LaunchPlan& plan, const HostFacts& host, EsHomeFacts& es) {
    es.http = {};
    es.settings_error.clear();
    es.reader_error.clear();
    if (!host.node_reader) {
        es.reader_error = fmt::format("eslaunch-check, which reads it, is not at {}; reinstall eslaunch",
                                      host.node_reader_expected);
        return;
    }
    const char* mode = es.opensearch ? "--node-http-settings-opensearch" : "--node-http-settings";
    std::vector<std::string> argv{*host.node_reader, mode, es.conf_dir, "--"};
    argv.insert(argv.end(), spec.argv.begin(), spec.argv.end());
    const pid_t parent = ::getpid();
    const ChildResult r = run_program_in_child(
        {*host.node_reader, argv, plan.environment.to_envp_strings(), [&] { return become_node_reader(plan, parent); }},
        std::chrono::steady_clock::now() + reader_timeout, http_settings_answer);
    // decode_http_settings fills `es` only when the whole answer reads.
    if (r.status == ChildResult::Status::done && decode_http_settings(r.output, es)) return;
    const std::string why =
        r.status == ChildResult::Status::done ? std::string{"gave an answer eslaunch cannot read"} : reader_failure(r);
    es.reader_error = fmt::format("eslaunch-check, reading {}/{} as user {}, {}", es.conf_dir, node_settings_file(es),
                                  plan.user_name, why);
}

// A reader's own limits, below any it inherits. Measured (README,
// Readiness): 100,000 keys in 1 MiB need 128 MiB and 0.3 s of CPU, the
// densest 1 MiB of YAML 0.5 GiB and 1 s; a bomb past both dies early.
constexpr rlim_t reader_address_space = rlim_t{1} << 30;
constexpr rlim_t reader_cpu_seconds = 5;
#if defined(__SANITIZE_ADDRESS__)
constexpr bool address_sanitizer = true;  // gcc
#elif defined(__has_feature)
constexpr bool address_sanitizer = __has_feature(address_sanitizer);  // clang
#else
constexpr bool address_sanitizer = false;
#endif

// Lowers `resource` to at most soft:hard; "" or why not.
std::string lower_limit(int resource, rlim_t soft, rlim_t hard, const char* name) {
    rlimit now{};
    if (::getrlimit(static_cast<__rlimit_resource>(resource), &now) != 0) {
        return fmt::format("getrlimit({}): {}", name, std::strerror(errno));
    }
    const rlim_t new_hard = std::min(hard, now.rlim_max);  // RLIM_INFINITY is the largest rlim_t
    const rlimit to{std::min({soft, now.rlim_cur, new_hard}), new_hard};
    if (::setrlimit(static_cast<__rlimit_resource>(resource), &to) != 0) {
        return fmt::format("setrlimit({}): {}", name, std::strerror(errno));
    }
    return {};
}

}  // namespace

std::string become_planned_user(const LaunchPlan& plan) {
    RealSyscalls sys;
    if (auto error = drop_privileges(plan, sys, true)) return error->what;
    return {};
}

std::string become_node_reader(const LaunchPlan& plan, pid_t parent) {
    if (std::string problem = become_planned_user(plan); !problem.empty()) return problem;
    // Dies with its parent (set after the identity change, which clears it;
    // a parent already gone would never send it), so no reader outlives it.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
        return fmt::format("prctl(PR_SET_PDEATHSIG): {}", std::strerror(errno));
    }
    if (::getppid() != parent) return "its parent exited";
    std::string problem = lower_limit(RLIMIT_CPU, reader_cpu_seconds, reader_cpu_seconds + 1, "RLIMIT_CPU");
    if (problem.empty()) problem = lower_limit(RLIMIT_CORE, 0, 0, "RLIMIT_CORE");  // no core of a bomb
    // AddressSanitizer reserves terabytes of address space up front.
    if (problem.empty() && !address_sanitizer) {
        problem = lower_limit(RLIMIT_AS, reader_address_space, reader_address_space, "RLIMIT_AS");
    }
    return problem;
}

std::string reader_failure(const ChildResult& r) {
    if (r.status == ChildResult::Status::timeout) return fmt::format("took more than {} s", reader_timeout.count());
    if (r.signal != 0) {
        return fmt::format("was killed by signal {} (a reader may use {} s of CPU and {} MiB of address space)",
                           r.signal, reader_cpu_seconds, reader_address_space >> 20);
    }
    return fmt::format("failed: {}", cut(r.output, 200));
}

std::string encode_http_settings(const EsHomeFacts& es) {
    const EsHttpSettings& h = es.http;
    std::string out;
    put_field(out, es.settings_error);
    put_field(out, h.bind_host ? "1" : "0");
    put_field(out, h.bind_host.value_or(""));
    put_field(out, h.bind_host_key);
    put_field(out, h.bind_host_where);
    put_field(out, h.port ? "1" : "0");
    put_field(out, h.port.value_or(""));
    put_field(out, h.port_where);
    put_field(out, h.tls ? "1" : "0");
    put_field(out, h.tls_where);
    put_field(out, es.memory_lock_where);
    put_field(out, es.mlockall_where);
    put_field(out, h.readiness_port ? "1" : "0");
    put_field(out, h.readiness_port.value_or(""));
    put_field(out, h.readiness_port_where);
    put_field(out, h.tls_key);
    return out;
}

bool decode_http_settings(std::string_view in, EsHomeFacts& es) {
    std::string f[16];
    for (std::size_t i = 0; i < 15; ++i) {
        if (!take_field(in, f[i])) return false;
    }
    // The 16th (the TLS key) came later: an answer without it means xpack's.
    if (!in.empty() && !take_field(in, f[15])) return false;
    if (!in.empty()) return false;
    EsHttpSettings h;
    if (f[1] == "1") h.bind_host = f[2];
    h.bind_host_key = f[3];
    h.bind_host_where = f[4];
    if (f[5] == "1") h.port = f[6];
    h.port_where = f[7];
    h.tls = f[8] == "1";
    h.tls_where = f[9];
    if (f[12] == "1") h.readiness_port = f[13];
    h.readiness_port_where = f[14];
    if (!f[15].empty()) h.tls_key = f[15];
    es.settings_error = f[0];
    es.http = std::move(h);
    es.memory_lock_where = f[10];
    es.mlockall_where = f[11];
    return true;
}

Result<LaunchPlan> plan_launch_reading_node_settings(const Spec& spec, HostFacts& host) {
    auto plan = plan_launch(spec, host);
    // The default probe and bootstrap.memory_lock follow elasticsearch.yml:
    // read it as the plan's user, then plan again with what it says (the
    // identity does not depend on it).
    if (!plan || host.es.home.empty()) return plan;
    read_http_settings_as(spec, *plan, host, host.es);
    return plan_launch(spec, host);
}

}  // namespace eslaunch
