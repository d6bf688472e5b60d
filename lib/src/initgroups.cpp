// getgrouplist() without the NSS modules when /etc/group alone answers.
//
// What glibc 2.36 does (grp/initgroups.c internal_getgrouplist): ask nscd
// first when its socket answers; else go through the services of the
// `initgroups:` line of nsswitch.conf, or of the `group:` line when there is
// none, or a built-in default when neither is there. The list starts with
// the base gid; each service appends, and what a later service adds that an
// earlier one had is dropped. With `group:` (no `initgroups:` line) every
// service is asked even after a success; with `initgroups:` a success ends
// the walk. Either way, when the services are `files` or `files systemd`
// and systemd adds nothing, the answer is the base gid then what nss_files
// adds (nss/nss_files/files-initgroups.c), which files_initgroups() repeats.
//
// When nss-systemd adds nothing (systemd 252; src/nss-systemd/nss-systemd.c
// _nss_systemd_initgroups_dyn): it adds the groups membershipdb_by_user()
// (src/shared/userdb.c) lists, with the flags nss_glue_userdb_flags() gives
// (USERDB_EXCLUDE_NSS, so never the NSS group database again). Those come
// from two places only:
//   - varlink services, one socket each in /run/systemd/userdb/
//     (userdb_start_query). PID 1's io.systemd.DynamicUser answers
//     GetMemberships with NoRecordFound always ("We don't support auxiliary
//     groups with dynamic users", src/core/core-varlink.c
//     vl_method_get_memberships); any other service (systemd-userdbd's
//     io.systemd.Multiplexer and io.systemd.DropIn, systemd-homed,
//     systemd-machined, ...) might add groups.
//   - `*.membership` drop-ins (discover_membership_dropins) in the
//     directories of USERDB_DROPIN_DIR_NULSTR("userdb")
//     (src/shared/userdb-dropin.h): /etc/userdb, /run/userdb,
//     /run/host/userdb, /usr/local/lib/userdb, /usr/lib/userdb, and /lib/userdb
//     on split-/usr builds.
// The environment only takes sources away (SYSTEMD_BYPASS_USERDB,
// SYSTEMD_ONLY_USERDB, SYSTEMD_NSS_DYNAMIC_BYPASS), never adds one. So
// systemd adds nothing when /run/systemd/userdb/ is absent or holds only
// io.systemd.DynamicUser, and no drop-in directory holds a .membership name.
// Anything else, or anything unreadable: getgrouplist().
#include "eslaunch/initgroups.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "posix.hpp"

namespace eslaunch {
namespace {

// isspace() in the "C" locale, which glibc's parsers see in eslaunch (it
// never calls setlocale).
bool c_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// The gid field of a group line, as glibc reads it, where that is certain:
// decimal digits up to 2^32-1 followed by ':' or the end. `parsed` false:
// strtoul would read no number here (glibc skips the line, or uses 0 for
// a +/- NIS entry). nullopt: any other spelling (blanks, a sign, more than
// 32 bits): glibc 2.36 on Debian 12 skips "-2" and "4294967296" although
// its source (files-parse.c strtou32) reads them as 4294967295, so such a
// file goes to glibc itself.
struct GidField {
    bool parsed = false;
    std::uint32_t gid = 0;
    char* end = nullptr;  // just after the number
};
std::optional<GidField> gid_field(char* at) {
    GidField f;
    f.end = at;
    if (*at == '\0' || *at == ':') return f;  // no number, for certain
    if (c_space(*at) || *at == '+' || *at == '-') return std::nullopt;
    if (*at < '0' || *at > '9') return f;  // strtoul reads nothing
    std::uint64_t value = 0;
    char* p = at;
    while (*p >= '0' && *p <= '9') {
        value = value * 10 + static_cast<std::uint64_t>(*p - '0');
        if (value > UINT32_MAX) return std::nullopt;
        ++p;
    }
    f.parsed = true;
    f.gid = static_cast<std::uint32_t>(value);
    f.end = p;
    return f;
}

// One line of /etc/group as _nss_files_parse_grent reads it (the LINE_PARSER
// of grp/fgetgrent_r.c over nss/nss_files/files-parse.c's STRING_FIELD,
// INT_FIELD, INT_FIELD_MAYBE_NULL and parse_list): `line` is NUL-terminated
// and written to. Returns 1 with gid and members, 0 for a line glibc skips,
// -1 when unsure.
int parse_group_line(char* line, gid_t& gid, std::vector<const char*>& members) {
    members.clear();
    const char* name = line;
    while (*line != '\0' && *line != ':') ++line;
    if (*line != '\0') *line++ = '\0';
    const bool nis = name[0] == '+' || name[0] == '-';  // parsed, and not special to initgroups
    if (line[0] == '\0' && nis) {
        gid = 0;
    } else {
        while (*line != '\0' && *line != ':') ++line;  // the password
        if (*line != '\0') *line++ = '\0';
        if (nis && *line == '\0') return 0;
        auto field = gid_field(line);
        if (!field) return -1;
        if (!field->parsed && !nis) return 0;
        gid = field->parsed ? field->gid : 0;
        char* end = field->end;
        if (*end == ':') ++end;
        else if (*end != '\0') return 0;
        line = end;
    }
    // The member list: ',' between names; blanks before a name are
    // skipped, blanks after it are part of it; empty names are dropped.
    while (*line != '\0') {
        while (c_space(*line)) ++line;
        const char* member = line;
        while (*line != '\0' && *line != ',') ++line;
        if (line > member) members.push_back(member);
        if (*line != '\0') *line++ = '\0';
    }
    return 1;
}

// A file's whole text; nullopt when it cannot be read (or is over 16 MiB).
std::optional<std::string> read_whole_file(const char* path) {
    UniqueFd fd{::open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)};
    if (fd.get() < 0) return std::nullopt;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20)) return std::nullopt;
    // One byte more than its size: a short read is the end of the file (of
    // a regular file), so one read() usually does it; filling the buffer
    // means it grew while being read.
    std::string text(static_cast<std::size_t>(st.st_size) + 1, '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::nullopt;
        got += static_cast<std::size_t>(n);
        if (n == 0 || got < text.size()) break;
    }
    if (got == text.size()) return std::nullopt;
    text.resize(got);
    return text;
}

// The names in a directory; nullopt when it does not exist, "?" alone when
// it cannot be read.
std::optional<std::vector<std::string>> directory_names(const char* path) {
    DIR* dir = ::opendir(path);
    if (dir == nullptr) {
        if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
        return std::vector<std::string>{"?"};
    }
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0) names.emplace_back(entry->d_name);
        errno = 0;
    }
    if (errno != 0) names = {"?"};
    ::closedir(dir);
    return names;
}

std::vector<gid_t> call_getgrouplist(const std::string& user, gid_t base_gid) {
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (::getgrouplist(user.c_str(), base_gid, groups.data(), &count) < 0) {
        groups.resize(static_cast<std::size_t>(count));
        ::getgrouplist(user.c_str(), base_gid, groups.data(), &count);
    }
    groups.resize(static_cast<std::size_t>(std::max(count, 0)));
    return groups;
}

// Why /etc/group alone might not be getgrouplist()'s answer here; "" when it is.
std::string fast_path_refusal() {
    const auto conf = read_whole_file("/etc/nsswitch.conf");
    if (!conf) return "/etc/nsswitch.conf cannot be read (glibc's default services apply)";
    const auto services = nss_initgroups_services(*conf);
    if (!services) return "/etc/nsswitch.conf has no initgroups: or group: line (glibc's default services apply)";
    const bool files = *services == std::vector<std::string>{"files"};
    const bool files_systemd = *services == std::vector<std::string>{"files", "systemd"};
    if (!files && !files_systemd) return "the initgroups services in /etc/nsswitch.conf are not files [systemd]";
    // nscd answers before any service when its socket is there.
    struct stat st {};
    if (::lstat("/var/run/nscd/socket", &st) == 0 || (errno != ENOENT && errno != ENOTDIR)) {
        return "nscd's socket /var/run/nscd/socket is there";
    }
    if (files_systemd) {
        std::vector<std::string> dropins;
        for (const char* dir : {"/etc/userdb", "/run/userdb", "/run/host/userdb", "/usr/local/lib/userdb",
                                "/usr/lib/userdb", "/lib/userdb"}) {
            if (auto names = directory_names(dir)) dropins.insert(dropins.end(), names->begin(), names->end());
        }
        std::string why = systemd_membership_source(directory_names("/run/systemd/userdb"), dropins);
        if (!why.empty()) return why;
    }
    return {};
}

}  // namespace

std::optional<std::vector<std::string>> nss_initgroups_services(std::string_view text) {
    std::optional<std::vector<std::string>> initgroups;
    std::optional<std::vector<std::string>> group;
    while (!text.empty()) {
        // A line as getline() gives it, its '\n' included; C functions stop at a NUL.
        std::size_t end = text.find('\n');
        end = end == std::string_view::npos ? text.size() : end + 1;
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end);
        line = line.substr(0, line.find('\0'));
        // nss_database.c process_line: blanks, the database name (up to a
        // blank or ':'), then blanks and colons; a line that ends right
        // after the name is skipped. No comment syntax: "#group: x" names
        // no database, and "# x" after the services is read as two more
        // service names (which refuses the fast path).
        std::size_t i = 0;
        while (i < line.size() && c_space(line[i])) ++i;
        const std::size_t name_start = i;
        while (i < line.size() && !c_space(line[i]) && line[i] != ':') ++i;
        if (i == line.size() || i == name_start) continue;
        const std::string_view name = line.substr(name_start, i - name_start);
        if (name != "initgroups" && name != "group") continue;
        while (i < line.size() && (c_space(line[i]) || line[i] == ':')) ++i;
        // nss_action_parse.c: service names end at a blank or '['; what
        // follows a '[' is an action list, reported as one "[" word.
        std::vector<std::string> services;
        while (i < line.size()) {
            if (c_space(line[i])) {
                ++i;
                continue;
            }
            if (line[i] == '[') {
                services.emplace_back("[");
                break;
            }
            const std::size_t start = i;
            while (i < line.size() && !c_space(line[i]) && line[i] != '[') ++i;
            services.emplace_back(line.substr(start, i - start));
        }
        if (name == "initgroups") initgroups = std::move(services);
        else if (name == "group") group = std::move(services);
    }
    return initgroups ? initgroups : group;
}

std::optional<std::vector<gid_t>> files_initgroups(std::string_view group_file, std::string_view user,
                                                   gid_t base_gid) {
    // files-initgroups.c: every line through the parser; a line that parses,
    // has another gid than the base and names the user among its members
    // adds its gid. No comment syntax either: "#x:x:5:user" adds 5.
    std::string text{group_file};
    std::vector<gid_t> groups;
    std::vector<const char*> members;
    const std::string name{user};
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (end < text.size()) text[end] = '\0';  // (at the end, std::string's own terminator)
        gid_t gid = 0;
        const int parsed = parse_group_line(text.data() + start, gid, members);
        if (parsed < 0) return std::nullopt;
        if (parsed > 0 && gid != base_gid) {
            for (const char* m : members) {
                if (name == m) {
                    groups.push_back(gid);
                    break;
                }
            }
        }
        start = end + 1;
    }
    return groups;
}

std::string systemd_membership_source(const std::optional<std::vector<std::string>>& userdb_services,
                                      const std::vector<std::string>& dropin_names) {
    if (userdb_services) {
        for (const auto& service : *userdb_services) {
            if (service == "?") return "/run/systemd/userdb cannot be read";
            if (service != "io.systemd.DynamicUser") {
                return "/run/systemd/userdb/" + service + " may list group memberships";
            }
        }
    }
    for (const auto& name : dropin_names) {
        if (name == "?") return "a userdb drop-in directory cannot be read";
        if (name.ends_with(".membership")) return "the userdb drop-in " + name + " may add a group";
    }
    return {};
}

GroupList database_groups(const std::string& user, gid_t base_gid) {
    GroupList list;
    list.fallback = fast_path_refusal();
    if (list.fallback.empty()) {
        if (auto text = read_whole_file("/etc/group")) {
            if (auto added = files_initgroups(*text, user, base_gid)) {
                list.groups.reserve(added->size() + 1);
                list.groups.push_back(base_gid);
                list.groups.insert(list.groups.end(), added->begin(), added->end());
                return list;
            }
            list.fallback = "/etc/group writes a gid in a way glibc may read differently";
        } else {
            list.fallback = "/etc/group cannot be read";
        }
    }
    list.groups = call_getgrouplist(user, base_gid);
    return list;
}

}  // namespace eslaunch
