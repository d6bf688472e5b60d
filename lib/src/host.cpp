#include "eslaunch/host.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
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
#include <sstream>

#include "eslaunch/es_config.hpp"
#include "eslaunch/nss_files.hpp"
#include "eslaunch/plan.hpp"
#include "eslaunch/preflight.hpp"
#include "eslaunch/values.hpp"
#include "child.hpp"
#include "posix.hpp"

namespace eslaunch {
namespace {

namespace fs = std::filesystem;

// One NSS *_r lookup by name or by id, growing the buffer while it says
// ERANGE; `error` says why when nothing is found.
template <class Entry, class ById, class ByName>
const Entry* nss_lookup(const IdRef& ref, std::string_view kind, std::string_view id_name, Entry& entry,
                        std::vector<char>& buf, ById by_id, ByName by_name, std::string& error) {
    Entry* result = nullptr;
    int rc = 0;
    buf.resize(1024);  // glibc's own starting size (sysconf _SC_GETPW_R_SIZE_MAX); grown on ERANGE
    while (true) {
        rc = ref.id ? by_id(*ref.id, &entry, buf.data(), buf.size(), &result)
                    : by_name(ref.text.c_str(), &entry, buf.data(), buf.size(), &result);
        if (rc != ERANGE || buf.size() > (1 << 22)) break;
        buf.resize(buf.size() * 2);
    }
    if (rc != 0) {
        error = fmt::format("cannot look up {} '{}': {}", kind, ref.text, std::strerror(rc));
    } else if (result == nullptr) {
        error = ref.id ? fmt::format("no {} has {} {}", kind, id_name, *ref.id)
                       : fmt::format("{} '{}' does not exist", kind, ref.text);
    }
    return rc == 0 ? result : nullptr;
}

std::optional<UserEntry> lookup_user(const IdRef& ref, std::string& error, const NssFiles& nss) {
    // /etc/passwd directly where glibc would find the entry there too.
    if (auto e = ref.id ? nss.passwd_by_uid(*ref.id) : nss.passwd_by_name(ref.text)) return e;
    passwd pw{};
    std::vector<char> buf;
    if (nss_lookup(ref, "user", "uid", pw, buf, ::getpwuid_r, ::getpwnam_r, error) == nullptr) return std::nullopt;
    return UserEntry{pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir ? pw.pw_dir : "", pw.pw_shell ? pw.pw_shell : ""};
}

std::optional<GroupEntry> lookup_group(const IdRef& ref, std::string& error) {
    group gr{};
    std::vector<char> buf;
    if (nss_lookup(ref, "group", "gid", gr, buf, ::getgrgid_r, ::getgrnam_r, error) == nullptr) return std::nullopt;
    return GroupEntry{gr.gr_name, gr.gr_gid};
}

std::uint64_t meminfo_total() {
    std::istringstream in(read_small_file("/proc/meminfo"));
    std::string key;
    std::uint64_t kib = 0;
    std::string unit;
    while (in >> key >> kib >> unit) {
        if (key == "MemTotal:") return kib * 1024;
    }
    return 0;
}

// The memory limit of the cgroup eslaunch is in: v2 memory.max, v1
// memory.limit_in_bytes (where "no limit" is a huge number).
void cgroup_memory(HostFacts& facts) {
    std::istringstream in(read_small_file("/proc/self/cgroup"));
    std::string line;
    while (std::getline(in, line)) {
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

// elasticsearch.yml as the node will read it: the file (none: the defaults),
// the -E settings of command= over it, its ${VAR}s from `env`. The launch's
// default probe and check's preflight both read it through here.
struct NodeSettings {
    std::string yml;      // conf_dir/elasticsearch.yml; empty without a conf_dir
    bool missing = false;  // no such file: Elasticsearch's defaults apply
    EsSettings settings;
    Errors errors;  // why the file could not be read
};

NodeSettings read_node_settings(const std::string& conf_dir, const std::vector<std::string>& argv, const EnvMap& env) {
    NodeSettings n;
    if (!conf_dir.empty()) {
        n.yml = conf_dir + "/elasticsearch.yml";
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
    NodeSettings node = read_node_settings(es.conf_dir, argv, program_env);
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
    http.tls = settings.get("xpack.security.http.ssl.enabled") == std::optional<std::string>{"true"};
    http.tls_where = settings.where("xpack.security.http.ssl.enabled");
}

void es_home_facts(const Spec& spec, const EnvMap& program_env, HostFacts& facts) {
    EsHomeFacts& es = facts.es;  // es.home: set by the caller, not empty
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(es.home + "/lib", ec)) {
        const std::string name = entry.path().filename().string();
        if (auto v = es_version_from_jar_name(name)) {
            if (!es.version || *v > *es.version) {
                es.version = v;
                es.version_source = entry.path().string();
            }
        }
    }
    es.conf_dir = es_conf_dir_of(spec, program_env, es.home);
    // elasticsearch.yml, which the default probe follows, is read after the
    // plan, as the plan's user: plan_launch_reading_node_settings.
    auto add_file = [&](const std::string& path) {
        const std::string text = read_small_file(path);
        auto found = jvm_options_heap(text, path, facts.java_major);
        es.jvm_options.insert(es.jvm_options.end(), found.begin(), found.end());
    };
    if (fs::is_regular_file(es.conf_dir + "/jvm.options", ec)) add_file(es.conf_dir + "/jvm.options");
    std::vector<std::string> drop_ins;
    for (const auto& entry : fs::directory_iterator(es.conf_dir + "/jvm.options.d", ec)) {
        if (entry.path().extension() == ".options") drop_ins.push_back(entry.path().string());
    }
    std::sort(drop_ins.begin(), drop_ins.end());
    for (const auto& path : drop_ins) add_file(path);
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

// --- What only `eslaunch check` reads (gather_preflight_facts). ---

bool is_executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

// Where the launch script of each version looks for java.
JavaFacts choose_java(const std::optional<EsVersion>& version, const EnvMap& env, const std::string& home) {
    const int major = version ? version->major : 8;
    const int minor = version ? version->minor : 0;
    auto var = [&](const char* name) {
        const std::string* v = env.get(name);
        return v != nullptr ? *v : std::string{};
    };
    JavaFacts j;
    auto use = [&](const char* source, std::string path) {
        j.source = source;
        j.path = std::move(path);
    };
    if (major <= 6) {
        // 2.x and 5.x take JAVA_HOME only when its java is executable; 6.x whenever it is set.
        const std::string java_home = var("JAVA_HOME");
        if (!java_home.empty() && (major == 6 || is_executable_file(java_home + "/bin/java"))) {
            use("JAVA_HOME", java_home + "/bin/java");
        } else {
            if (!java_home.empty()) j.passed_over = java_home;
            const std::string* path = env.get("PATH");
            use("PATH", search_path("java", path).value_or(""));
        }
    } else if (major == 7 && minor < 12) {
        if (!var("JAVA_HOME").empty()) use("JAVA_HOME", var("JAVA_HOME") + "/bin/java");
        else use("bundled jdk", home + "/jdk/bin/java");
    } else if (!var("ES_JAVA_HOME").empty()) {
        use("ES_JAVA_HOME", var("ES_JAVA_HOME") + "/bin/java");
    } else if (major == 7 && !var("JAVA_HOME").empty()) {  // 7.12 to 7.17: still read, deprecated
        use("JAVA_HOME", var("JAVA_HOME") + "/bin/java");
    } else {
        use("bundled JDK", home + "/jdk/bin/java");  // 8.x ignores JAVA_HOME
    }
    if (j.path.empty() || !is_executable_file(j.path)) j.status = JavaFacts::Status::not_found;
    return j;
}

// `java -version` as the program's user, with its environment, for at most
// timeout_ms: a java the user cannot run (a JAVA_HOME under /root, a
// missing library) stops the node as surely as a missing one.
void run_java_version(JavaFacts& j, const LaunchPlan& plan, int timeout_ms) {
    // Everything the child needs is built before fork: it only calls
    // async-signal-safe functions.
    const std::vector<std::string> env_strings = plan.environment.to_envp_strings();
    std::vector<char*> envp = c_strings(env_strings);
    std::string arg0 = j.path;
    std::string arg1 = "-version";
    char* argv[] = {arg0.data(), arg1.data(), nullptr};
    const std::vector<gid_t> groups = plan.groups.empty() ? std::vector<gid_t>{plan.gid} : plan.groups;

    int out_pipe[2];
    int err_pipe[2];  // the child writes execve's errno here; EOF means exec happened
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
        j.status = JavaFacts::Status::failed;
        j.problem = fmt::format("could not be started: pipe: {}", std::strerror(errno));
        return;
    }
    UniqueFd out_read{out_pipe[0]};
    UniqueFd out_write{out_pipe[1]};
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        j.status = JavaFacts::Status::failed;
        j.problem = fmt::format("could not be started: pipe: {}", std::strerror(errno));
        return;
    }
    UniqueFd err_read{err_pipe[0]};
    UniqueFd err_write{err_pipe[1]};
    UniqueFd null{::open("/dev/null", O_RDONLY | O_CLOEXEC)};

    const pid_t pid = ::fork();
    if (pid < 0) {
        j.status = JavaFacts::Status::failed;
        j.problem = fmt::format("could not be started: fork: {}", std::strerror(errno));
        return;
    }
    if (pid == 0) {
        // Its own process group, so a timeout kills whatever it started too.
        ::setpgid(0, 0);
        // dup2 clears O_CLOEXEC on 0, 1 and 2 only: every other fd closes at exec.
        if (null.get() >= 0) ::dup2(null.get(), 0);
        ::dup2(out_write.get(), 1);
        ::dup2(out_write.get(), 2);
        int err = 0;
        // Groups, then gid, then uid, as apply does: each step needs root.
        if (plan.change_identity &&
            (::setgroups(groups.size(), groups.data()) != 0 || ::setresgid(plan.gid, plan.gid, plan.gid) != 0 ||
             ::setresuid(plan.uid, plan.uid, plan.uid) != 0)) {
            err = errno;
        } else {
            ::execve(argv[0], argv, envp.data());
            err = errno;
        }
        [[maybe_unused]] const ssize_t n = ::write(err_write.get(), &err, sizeof err);
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // also here: whichever runs first, the group exists before a kill
    out_write.reset();
    err_write.reset();

    std::string output;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds{timeout_ms};
    std::string stopped;  // why the wait ended before java did: it is killed
    while (true) {
        const Waited w = wait_fd(out_read.get(), POLLIN, -1, deadline);
        if (w == Waited::timeout) stopped = fmt::format("did not finish within {} s", timeout_ms / 1000.0);
        if (w == Waited::failed) stopped = fmt::format("poll: {}", std::strerror(errno));
        if (!stopped.empty()) break;
        char buf[4096];
        const ssize_t n = ::read(out_read.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (output.size() < 65536) output.append(buf, static_cast<std::size_t>(n));
    }
    if (!stopped.empty()) ::kill(-pid, SIGKILL);
    int wstatus = 0;
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    int exec_errno = 0;
    const bool exec_failed = ::read(err_read.get(), &exec_errno, sizeof exec_errno) == sizeof exec_errno;

    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        // "openjdk version "17.0.15" 2025-04-15", "java version "1.8.0_292"";
        // "Picked up JAVA_TOOL_OPTIONS: ..." may come first.
        const std::size_t at = line.find("version \"");
        if (at == std::string::npos) continue;
        j.version = line;
        std::string_view v = std::string_view{line}.substr(at + 9);
        if (v.starts_with("1.")) v.remove_prefix(2);
        std::size_t digits = 0;
        while (digits < v.size() && v[digits] >= '0' && v[digits] <= '9') ++digits;
        if (auto n = parse_decimal(v.substr(0, digits)); n && *n < 1000) j.major = static_cast<int>(*n);
        break;
    }
    if (!stopped.empty()) {
        j.status = JavaFacts::Status::failed;
        j.problem = std::move(stopped);
    } else if (exec_failed) {
        j.status = JavaFacts::Status::failed;
        j.problem = fmt::format("could not be executed: {}", std::strerror(exec_errno));
    } else if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        std::string first = output.substr(0, output.find('\n'));
        j.status = JavaFacts::Status::failed;
        j.problem = WIFEXITED(wstatus) ? fmt::format("exited with status {}: {}", WEXITSTATUS(wstatus), first)
                                       : fmt::format("was killed by signal {}", WTERMSIG(wstatus));
    }
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

void locate_watcher(const InstallDirs& dirs, HostFacts& facts) {
    facts.watcher_expected = (fs::path{dirs.libexecdir} / "eslaunch-watch").string();
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        const fs::path dir = fs::path{std::string{self, static_cast<std::size_t>(n)}}.parent_path();
        std::error_code ec;
        if (!fs::equivalent(dir, dirs.bindir, ec)) {  // a build tree: both programs in shim/
            const fs::path beside = dir / "eslaunch-watch";
            if (::access(beside.c_str(), X_OK) == 0) {
                facts.watcher = beside.string();
                return;
            }
        }
    }
    if (::access(facts.watcher_expected.c_str(), X_OK) == 0) facts.watcher = facts.watcher_expected;
}

// The spec file and each directory above it up to /, as the fallback in
// gather_host_facts finds them (weakly_canonical, then stat of each
// parent), with one lstat() per component where that is sure to give the
// same: an absolute path without '.', '..', empty components or a
// trailing '/', none of whose components is a symbolic link (lstat and
// stat then agree, and the path is its own canonical form). False, with
// `chain` untouched, for anything else: the caller takes the long way.
bool spec_path_chain(const std::string& file, std::vector<PathOwner>& chain) {
    if (file.size() < 2 || file.front() != '/' || file.back() == '/' || file.size() >= PATH_MAX) return false;
    struct Found {
        std::size_t end;  // the prefix file[0, end)
        uid_t uid;
        mode_t mode;
    };
    Found found[64];
    std::size_t n = 0;
    char prefix[PATH_MAX];
    std::memcpy(prefix, file.data(), file.size());
    std::size_t start = 1;
    while (start <= file.size()) {
        std::size_t end = file.find('/', start);
        if (end == std::string::npos) end = file.size();
        const std::string_view part = std::string_view{file}.substr(start, end - start);
        if (part.empty() || part == "." || part == ".." || n == std::size(found)) return false;
        prefix[end] = '\0';
        struct stat st {};
        if (::lstat(prefix, &st) != 0 || S_ISLNK(st.st_mode)) return false;
        if (end < file.size() && !S_ISDIR(st.st_mode)) return false;
        prefix[end] = '/';
        found[n++] = {end, st.st_uid, st.st_mode};
        start = end + 1;
    }
    struct stat root {};
    if (::stat("/", &root) != 0) return false;
    chain.reserve(n + 1);
    for (std::size_t i = n; i-- > 0;) chain.push_back({file.substr(0, found[i].end), found[i].uid, found[i].mode});
    chain.push_back({"/", root.st_uid, root.st_mode});
    return true;
}

}  // namespace

HostFacts gather_host_facts(const Spec& spec, EnvMap own_environment_in, const InstallDirs& dirs) {
    HostFacts facts;
    const NssFiles nss = NssFiles::read();
    facts.euid = ::geteuid();
    facts.egid = ::getegid();
    facts.environ = std::move(own_environment_in);
    const EnvMap& own_environment = facts.environ;
    // Only what this spec needs is read: a launch pays for each lookup.
    if (facts.euid != 0 || !spec.user) {
        std::string ignored;
        facts.current_user = lookup_user(IdRef{std::to_string(facts.euid), facts.euid}, ignored, nss);
    }
    facts.cap_sys_resource = has_cap_sys_resource();

    if (spec.user) {
        facts.user = lookup_user(*spec.user, facts.user_error, nss);
        // The group database only for supplementary_groups=auto: `none` and
        // a list never look at it (plan_identity).
        if (facts.user && spec.supplementary_groups.mode == SupplementaryGroups::Mode::automatic) {
            facts.user_groups = nss.groups(facts.user->name, facts.user->gid).groups;
        }
    }
    if (spec.group) facts.group = lookup_group(*spec.group, facts.group_error);
    for (const auto& ref : spec.supplementary_groups.groups) {
        std::string error;
        if (auto g = lookup_group(ref, error)) facts.supplementary[ref.text] = *g;
        else facts.supplementary_error = error;
    }

    for (LimitResource r : all_limit_resources) {
        rlimit lim{};
        if (::getrlimit(static_cast<__rlimit_resource>(limit_rlimit_number(r)), &lim) != 0) continue;
        auto to_u64 = [](rlim_t v) { return v == RLIM_INFINITY ? limit_infinity : static_cast<std::uint64_t>(v); };
        facts.current_limits[r] = {to_u64(lim.rlim_cur), to_u64(lim.rlim_max)};
    }
    std::string nr_open = read_small_file("/proc/sys/fs/nr_open");
    while (!nr_open.empty() && std::isspace(static_cast<unsigned char>(nr_open.back()))) nr_open.pop_back();
    if (auto n = parse_decimal(nr_open)) facts.nr_open = *n;

    if (spec.heap_size) {  // the memory limit matters only for a heap eslaunch sets
        facts.mem_total = meminfo_total();
        cgroup_memory(facts);
    }

    // The program's environment only where something here reads it: an
    // Elasticsearch home (its conf dir, elasticsearch.yml) or a command
    // looked up in PATH.
    std::optional<EnvMap> program_env_storage;
    auto program_env = [&]() -> const EnvMap& {
        if (!program_env_storage) {
            program_env_storage = program_environment(own_environment, spec.clear_environment, spec.environment_settings());
        }
        return *program_env_storage;
    };
    facts.es.home = es_home_of(spec);
    if (!facts.es.home.empty()) es_home_facts(spec, program_env(), facts);

    // The spec file and every directory above it, for the ownership rule.
    if (!spec_path_chain(spec.file, facts.spec_paths)) {
        std::error_code ec;
        fs::path path = fs::weakly_canonical(spec.file, ec);
        if (ec) path = spec.file;
        while (true) {
            struct stat st {};
            if (::stat(path.c_str(), &st) == 0) facts.spec_paths.push_back({path.string(), st.st_uid, st.st_mode});
            if (path == path.root_path() || path.empty()) break;
            path = path.parent_path();
        }
    }

    if (!spec.argv.empty() && spec.argv.front().find('/') == std::string::npos) {
        facts.program_path = search_path(spec.argv.front(), program_env().get("PATH"));
    }
    // eslaunch-watch is looked for only where plan_readiness may start it:
    // a probe (ready= other than none, or the elasticsearch profile's
    // default) or systemd waiting (NOTIFY_SOCKET).
    const bool may_be_elasticsearch =
        spec.profile == Profile::elasticsearch ||
        (spec.profile_setting == Profile::automatic && spec.profile == Profile::plain && facts.es.version);
    const bool may_probe = spec.ready ? spec.ready->kind != ReadyProbe::Kind::none : may_be_elasticsearch;
    if (!dirs.libexecdir.empty() && (may_probe || own_environment.get("NOTIFY_SOCKET") != nullptr)) {
        locate_watcher(dirs, facts);
    }
    return facts;
}

}  // namespace eslaunch

namespace eslaunch {
namespace {

// What the child of read_http_settings_as sends back: each field as its
// length, ':', and its bytes (a YAML value may hold any byte, NUL too).
void put_field(std::string& out, std::string_view field) {
    out += std::to_string(field.size());
    out += ':';
    out += field;
}

bool take_field(std::string_view& in, std::string& field) {
    const std::size_t colon = in.find(':');
    if (colon == std::string_view::npos) return false;
    auto n = parse_decimal(in.substr(0, colon));
    if (!n || *n > in.size() - colon - 1) return false;
    field.assign(in.substr(colon + 1, *n));
    in.remove_prefix(colon + 1 + *n);
    return true;
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
    return out;
}

bool decode_http_settings(std::string_view in, EsHomeFacts& es) {
    std::string f[10];
    for (auto& field : f) {
        if (!take_field(in, field)) return false;
    }
    if (!in.empty()) return false;
    EsHttpSettings h;
    if (f[1] == "1") h.bind_host = f[2];
    h.bind_host_key = f[3];
    h.bind_host_where = f[4];
    if (f[5] == "1") h.port = f[6];
    h.port_where = f[7];
    h.tls = f[8] == "1";
    h.tls_where = f[9];
    es.settings_error = f[0];
    es.http = std::move(h);
    return true;
}

// elasticsearch.yml with command='s -E settings and the ${VAR}s of the
// program's environment, read in a child process that first becomes the
// planned user (groups, gid, uid) with no_new_privs. Elastic's packages make
// the file root:elasticsearch 0660: the service's group can write it, and
// the YAML parser is no code to run as root on it. What the child cannot
// read, the node could not read either: settings_error says so.
void read_http_settings_as(const Spec& spec, const LaunchPlan& plan, EsHomeFacts& es) {
    const auto work = [&]() -> std::string {
        EsHomeFacts read;
        read.conf_dir = es.conf_dir;
        if (plan.change_identity) {
            const char* step = nullptr;
            if (::setgroups(plan.groups.size(), plan.groups.data()) != 0) step = "setgroups";
            else if (::setresgid(plan.gid, plan.gid, plan.gid) != 0) step = "setresgid";
            else if (::setresuid(plan.uid, plan.uid, plan.uid) != 0) step = "setresuid";
            if (step != nullptr) {
                read.settings_error = fmt::format("cannot read {}/elasticsearch.yml as user {}: {}: {}", es.conf_dir,
                                                  plan.user_name, step, std::strerror(errno));
                return encode_http_settings(read);
            }
        }
        ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        es_http_settings(spec.argv, plan.environment, read);
        return encode_http_settings(read);
    };
    const ChildResult r = run_in_child(work, std::chrono::steady_clock::now() + std::chrono::seconds{10}, -1);
    if (r.status == ChildResult::Status::done && decode_http_settings(r.output, es)) return;
    es.http = {};
    es.settings_error = fmt::format(
        "{}/elasticsearch.yml: reading it as user {} {}", es.conf_dir, plan.user_name,
        r.status == ChildResult::Status::timeout ? std::string{"took more than 10 s"}
        : r.status == ChildResult::Status::done  ? std::string{"gave an answer eslaunch cannot read"}
                                                 : fmt::format("failed: {}", r.output));
}

}  // namespace

Result<LaunchPlan> plan_launch_reading_node_settings(const Spec& spec, HostFacts& host) {
    auto plan = plan_launch(spec, host);
    // The default probe follows elasticsearch.yml: read it as the plan's
    // user, then plan again with what it says (the identity, limits and
    // environment do not depend on it).
    if (!plan || host.es.home.empty() || spec.ready) return plan;
    read_http_settings_as(spec, *plan, host.es);
    return plan_launch(spec, host);
}

PreflightFacts gather_preflight_facts(const Spec& spec, const LaunchPlan& plan, const HostFacts& host,
                                      int java_timeout_ms) {
    PreflightFacts f;
    std::string count = read_small_file("/proc/sys/vm/max_map_count");
    while (!count.empty() && std::isspace(static_cast<unsigned char>(count.back()))) count.pop_back();
    f.max_map_count = parse_decimal(count);

    NodeSettings node = read_node_settings(host.es.conf_dir, spec.argv, plan.environment);
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
        JavaFacts java = choose_java(host.es.version, plan.environment, host.es.home);
        if (java.status == JavaFacts::Status::ran) run_java_version(java, plan, java_timeout_ms);
        f.java = std::move(java);
    }
    f.settings = std::move(settings);
    return f;
}

}  // namespace eslaunch
