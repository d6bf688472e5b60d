#include "eslaunch/host.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "eslaunch/es_config.hpp"
#include "eslaunch/values.hpp"

namespace eslaunch {
namespace {

namespace fs = std::filesystem;

// Every fd eslaunch opens is O_CLOEXEC, so none can reach the program.
std::string read_small_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return {};
    std::string text;
    char buf[4096];
    while (text.size() <= (1 << 20)) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

// One NSS *_r lookup by name or by id, growing the buffer while it says
// ERANGE; `error` says why when nothing is found.
template <class Entry, class ById, class ByName>
const Entry* nss_lookup(const IdRef& ref, std::string_view kind, std::string_view id_name, Entry& entry,
                        std::vector<char>& buf, ById by_id, ByName by_name, std::string& error) {
    Entry* result = nullptr;
    int rc = 0;
    buf.resize(16384);
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

std::optional<UserEntry> lookup_user(const IdRef& ref, std::string& error) {
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

// Where Elasticsearch's HTTP layer listens: elasticsearch.yml with the -E
// settings of command= over it, as Elasticsearch reads them.
void es_http_settings(const Spec& spec, EsHomeFacts& es) {
    const std::string path = es.conf_dir + "/elasticsearch.yml";
    EsHttpSettings& http = es.http;
    EsSettings settings;
    std::error_code ec;
    if (fs::exists(path, ec)) {
        auto read = read_es_settings(path);
        if (!read) {
            es.settings_error = read.error().front().str();
            return;
        }
        settings = std::move(*read);
    }
    apply_command_line_settings(settings, spec.argv);
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
    EsHomeFacts& es = facts.es;
    es.home = es_home_of(spec);
    if (es.home.empty()) return;
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
    if (!spec.ready) es_http_settings(spec, es);  // the default probe follows elasticsearch.yml
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

}  // namespace

HostFacts gather_host_facts(const Spec& spec, const EnvMap& own_environment, const InstallDirs& dirs) {
    HostFacts facts;
    facts.euid = ::geteuid();
    facts.egid = ::getegid();
    facts.environ = own_environment;
    // Only what this spec needs is read: a launch pays for each lookup.
    if (facts.euid != 0 || !spec.user) {
        std::string ignored;
        facts.current_user = lookup_user(IdRef{std::to_string(facts.euid), facts.euid}, ignored);
    }
    facts.cap_sys_resource = has_cap_sys_resource();

    if (spec.user) {
        facts.user = lookup_user(*spec.user, facts.user_error);
        if (facts.user) {
            int count = 64;
            std::vector<gid_t> groups(static_cast<std::size_t>(count));
            if (::getgrouplist(facts.user->name.c_str(), facts.user->gid, groups.data(), &count) < 0) {
                groups.resize(static_cast<std::size_t>(count));
                ::getgrouplist(facts.user->name.c_str(), facts.user->gid, groups.data(), &count);
            }
            groups.resize(static_cast<std::size_t>(std::max(count, 0)));
            facts.user_groups = std::move(groups);
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

    const EnvMap program_env = program_environment(own_environment, spec.clear_environment, spec.environment_settings());
    es_home_facts(spec, program_env, facts);

    // The spec file and every directory above it, for the ownership rule.
    std::error_code ec;
    fs::path path = fs::weakly_canonical(spec.file, ec);
    if (ec) path = spec.file;
    while (true) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0) facts.spec_paths.push_back({path.string(), st.st_uid, st.st_mode});
        if (path == path.root_path() || path.empty()) break;
        path = path.parent_path();
    }

    if (!spec.argv.empty() && spec.argv.front().find('/') == std::string::npos) {
        facts.program_path = search_path(spec.argv.front(), program_env.get("PATH"));
    }
    if (!dirs.libexecdir.empty()) locate_watcher(dirs, facts);
    return facts;
}

}  // namespace eslaunch
