// getpwnam_r(), getpwuid_r(), getgrnam_r(), getgrgid_r() and getgrouplist()
// without NSS when /etc/passwd and /etc/group alone answer.
//
// getpwnam_r/getpwuid_r (glibc 2.36, nss/getXXbyYY_r.c): nscd first when
// its socket answers; else the services of the `passwd:` line in order,
// where a success ends the walk unless an action item says otherwise. So
// when the line starts with `files` and has no action item, an entry found
// in /etc/passwd is the answer, whatever follows; files_passwd_by_name()
// and files_passwd_by_uid() repeat nss_files' reading
// (nss/nss_files/files-XXX.c, files-pwd.c, pwd/fgetpwent_r.c): blank and
// `#` lines skipped, the first match wins, `+`/`-` entries never match.
// Not found there: glibc is asked (other services may know the user).
// getgrnam_r/getgrgid_r go the same way through the `group:` line
// (files-grp.c: the first line of that name or gid, `+`/`-` entries never),
// each line through grp/fgetgrent_r.c's LINE_PARSER.
//
// getgrouplist (grp/initgroups.c internal_getgrouplist): nscd first when
// its socket answers; else the services of the `initgroups:` line of
// nsswitch.conf, or of the `group:` line when there is none, or a built-in
// default when neither is there. The list starts with
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
#include "eslaunch/nss_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "nss_glibc.hpp"
#include "posix.hpp"

namespace eslaunch {
namespace {

// isspace() in the "C" locale, which glibc's parsers see in eslaunch (it
// never calls setlocale).
bool c_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// A numeric field (uid, gid) as glibc reads it, where that is certain:
// decimal digits up to 2^32-1 followed by ':' or the end. `parsed` false:
// strtoul would read no number here (glibc skips the line, or uses 0 for
// a +/- NIS entry). nullopt: any other spelling (blanks, a sign, more than
// 32 bits): glibc 2.36 on Debian 12 skips "-2" and "4294967296" although
// its source (files-parse.c strtou32) reads them as 4294967295, so such a
// file goes to glibc itself.
struct IdField {
    bool parsed = false;
    std::uint32_t id = 0;
    char* end = nullptr;  // just after the number
};
std::optional<IdField> id_field(char* at) {
    IdField f;
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
    f.id = static_cast<std::uint32_t>(value);
    f.end = p;
    return f;
}

// STRING_FIELD of files-parse.c: up to the next ':' (which becomes the
// field's end) or the end of the line.
char* string_field(char*& line) {
    char* start = line;
    while (*line != '\0' && *line != ':') ++line;
    if (*line != '\0') *line++ = '\0';
    return start;
}

// INT_FIELD: 1 with the id, 0 where glibc's parser gives up on the line,
// -1 when unsure.
int int_field(char*& line, std::uint32_t& id) {
    auto field = id_field(line);
    if (!field) return -1;
    if (!field->parsed) return 0;
    char* end = field->end;
    if (*end == ':') ++end;
    else if (*end != '\0') return 0;
    id = field->id;
    line = end;
    return 1;
}

// One line of /etc/group as _nss_files_parse_grent reads it (the LINE_PARSER
// of grp/fgetgrent_r.c over nss/nss_files/files-parse.c's STRING_FIELD,
// INT_FIELD, INT_FIELD_MAYBE_NULL and parse_list): `line` is NUL-terminated
// and written to. Returns 1 with gid and members, 0 for a line glibc skips,
// -1 when unsure.
int parse_group_line(char* line, gid_t& gid, std::vector<const char*>& members, const char** name_out = nullptr) {
    members.clear();
    const char* name = string_field(line);
    if (name_out != nullptr) *name_out = name;
    const bool nis = name[0] == '+' || name[0] == '-';  // parsed, and not special to initgroups
    if (line[0] == '\0' && nis) {
        gid = 0;
    } else {
        string_field(line);  // the password
        if (nis) {
            // INT_FIELD_MAYBE_NULL: no number means 0.
            if (*line == '\0') return 0;
            auto field = id_field(line);
            if (!field) return -1;
            char* end = field->end;
            if (*end == ':') ++end;
            else if (*end != '\0') return 0;
            gid = field->parsed ? field->id : 0;
            line = end;
        } else {
            std::uint32_t id = 0;
            const int got = int_field(line, id);
            if (got <= 0) return got;
            gid = id;
        }
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

// A DB_LOOKUP of nss_files (files-XXX.c) over the text of its file: each
// line as __nss_readline gives it (leading blanks dropped, empty and `#`
// lines skipped), NUL-terminated and writable; `+`/`-` entries never match
// (files-pwd.c, files-grp.c), so they are skipped too. `parse` reads one
// line into `entry`: 1, 0 where glibc's parser skips the line, -1 when
// unsure; it gives the line's name and id (nullopt when unsure). The first
// line that parses and `matches` wins; a line that might match, read as
// glibc reads it, makes the answer unsure.
template <class Lookup, class Parse, class Matches>
Lookup files_lookup(std::string_view file, Parse parse, Matches matches) {
    std::string text{file};
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (end < text.size()) text[end] = '\0';  // (at the end, std::string's own terminator)
        char* line = text.data() + start;
        start = end + 1;
        while (c_space(*line)) ++line;
        if (*line == '\0' || *line == '#' || *line == '+' || *line == '-') continue;
        decltype(Lookup::entry) entry{std::in_place};
        std::string_view name;
        std::optional<std::uint32_t> id;
        const int got = parse(line, *entry, name, id);
        const std::optional<bool> match = matches(name, got < 0 ? std::nullopt : id);
        if (!match) return {false, std::nullopt};
        if (got == 0 || !*match) continue;
        if (got < 0) return {false, std::nullopt};
        return {true, std::move(entry)};
    }
    return {true, std::nullopt};
}

// /etc/passwd as nss_files' getpwnam_r and getpwuid_r read it, each line
// through pwd/fgetpwent_r.c's LINE_PARSER.
template <class Matches>
PasswdFileLookup files_passwd(std::string_view passwd_file, Matches matches) {
    auto parse = [](char* line, UserEntry& e, std::string_view& name, std::optional<std::uint32_t>& id) {
        name = string_field(line);
        string_field(line);  // the password
        std::uint32_t uid = 0;
        std::uint32_t gid = 0;
        int got = int_field(line, uid);
        id = uid;
        if (got > 0) got = int_field(line, gid);
        if (got <= 0) return got;
        e.name = name;
        e.uid = uid;
        e.gid = gid;
        string_field(line);  // the gecos
        e.home = string_field(line);
        e.shell = line;  // the rest of the line, colons and all
        return got;
    };
    return files_lookup<PasswdFileLookup>(passwd_file, parse, matches);
}

// /etc/group as nss_files' getgrnam_r and getgrgid_r read it, each line
// through parse_group_line.
template <class Matches>
GroupFileLookup files_group(std::string_view group_file, Matches matches) {
    std::vector<const char*> members;
    auto parse = [&](char* line, GroupEntry& e, std::string_view& name, std::optional<std::uint32_t>& id) {
        const char* name_field = nullptr;
        const int got = parse_group_line(line, e.gid, members, &name_field);
        name = name_field;
        e.name = name;
        id = e.gid;
        return got;
    };
    return files_lookup<GroupFileLookup>(group_file, parse, matches);
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
    // Most of these directories do not exist: a stat() says so in about
    // half the time of the open() opendir would try (no file to allocate
    // and free). Any other answer goes on to opendir, which decides.
    struct stat st {};
    if (::stat(path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) return std::nullopt;
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

// nss_action_parse.c's reading of one line's services from `i` on: false
// where glibc gives up (an unknown status or action, a missing '=').
bool action_list_parses(std::string_view line, std::size_t i) {
    auto skip_blanks = [&] {
        while (i < line.size() && c_space(line[i])) ++i;
    };
    auto word = [&] {
        const std::size_t start = i;
        while (i < line.size() && !c_space(line[i]) && line[i] != '=' && line[i] != ']') ++i;
        return line.substr(start, i - start);
    };
    auto is = [](std::string_view w, std::string_view upper) {
        return w.size() == upper.size() && std::equal(w.begin(), w.end(), upper.begin(), [](char a, char b) {
                   return (a >= 'a' && a <= 'z' ? static_cast<char>(a - 'a' + 'A') : a) == b;
               });
    };
    while (true) {
        skip_blanks();
        if (i == line.size()) return true;
        const std::size_t name = i;
        while (i < line.size() && !c_space(line[i]) && line[i] != '[') ++i;
        if (i == name) return true;  // a '[' where a service name should be: glibc stops there
        skip_blanks();
        if (i == line.size() || line[i] != '[') continue;
        ++i;
        skip_blanks();
        do {
            if (i < line.size() && line[i] == '!') ++i;
            const std::string_view status = word();
            if (!is(status, "SUCCESS") && !is(status, "UNAVAIL") && !is(status, "NOTFOUND") && !is(status, "TRYAGAIN")) {
                return false;
            }
            skip_blanks();
            if (i == line.size() || line[i] != '=') return false;
            ++i;
            skip_blanks();
            const std::string_view action = word();
            if (!is(action, "RETURN") && !is(action, "CONTINUE") && !is(action, "MERGE")) return false;
            skip_blanks();
        } while (i < line.size() && line[i] != ']');
        if (i == line.size()) return false;  // no closing bracket: glibc gives up too
        ++i;
    }
}

// Calls f(name, line, i) for each line of nsswitch.conf that names a
// database (as nss_database.c's process_line reads it), `i` where its
// services start.
template <class F>
void nss_lines(std::string_view text, F f) {
    while (!text.empty()) {
        // A line as getline() gives it, its '\n' included; C functions stop at a NUL.
        std::size_t end = text.find('\n');
        end = end == std::string_view::npos ? text.size() : end + 1;
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end);
        line = line.substr(0, line.find('\0'));
        // Blanks, the database name (up to a blank or ':'), then blanks and
        // colons; a line that ends right after the name is skipped. No
        // comment syntax: "#group: x" names no database, and "# x" after
        // the services is read as two more service names (which refuses
        // the fast paths).
        std::size_t i = 0;
        while (i < line.size() && c_space(line[i])) ++i;
        const std::size_t name_start = i;
        while (i < line.size() && !c_space(line[i]) && line[i] != ':') ++i;
        if (i == line.size() || i == name_start) continue;
        const std::string_view name = line.substr(name_start, i - name_start);
        while (i < line.size() && (c_space(line[i]) || line[i] == ':')) ++i;
        f(name, line, i);
    }
}

// nss_action_parse.c: service names end at a blank or '['; what follows a
// '[' is an action list, reported as one "[" word.
std::vector<std::string> line_services(std::string_view line, std::size_t i) {
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
    return services;
}

bool could_be_database(std::string_view name) {
    return std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

}  // namespace

bool nss_conf_parses(std::string_view nsswitch_conf) {
    bool ok = true;
    nss_lines(nsswitch_conf, [&](std::string_view name, std::string_view line, std::size_t i) {
        // glibc parses the services of the databases it knows (nss/databases.def:
        // names of lower-case letters and '_'); this checks every line whose
        // name could be one, e.g. "sudoers:" too, but not "#hosts:".
        ok = ok && (!could_be_database(name) || action_list_parses(line, i));
    });
    return ok;
}

std::optional<std::vector<std::string>> nss_services(std::string_view text, std::string_view database) {
    std::optional<std::vector<std::string>> found;
    nss_lines(text, [&](std::string_view name, std::string_view line, std::size_t i) {
        if (name == database) found = line_services(line, i);  // the last line wins
    });
    return found;
}

NssConfFacts nss_conf_facts(std::string_view nsswitch_conf) {
    // nss_conf_parses, nss_services(passwd), nss_services(group) and
    // nss_initgroups_services in one pass over the file.
    NssConfFacts f;
    std::optional<std::vector<std::string>> initgroups;
    std::optional<std::vector<std::string>> group;
    nss_lines(nsswitch_conf, [&](std::string_view name, std::string_view line, std::size_t i) {
        f.parses = f.parses && (!could_be_database(name) || action_list_parses(line, i));
        if (name == "passwd") f.passwd = line_services(line, i);
        else if (name == "initgroups") initgroups = line_services(line, i);
        else if (name == "group") group = line_services(line, i);
    });
    f.group = group;
    f.initgroups = initgroups ? std::move(initgroups) : std::move(group);
    return f;
}

std::optional<std::vector<std::string>> nss_initgroups_services(std::string_view nsswitch_conf) {
    auto initgroups = nss_services(nsswitch_conf, "initgroups");
    return initgroups ? initgroups : nss_services(nsswitch_conf, "group");
}

namespace {

// The matchers of files_passwd and files_group: by name, a line's id
// decides nothing (whether it parses decides whether the line counts, which
// int_field's -1 covers); by id, a line whose id glibc may read otherwise
// might match.
auto name_is(std::string_view name) {
    return [name](std::string_view n, std::optional<std::uint32_t>) -> std::optional<bool> { return n == name; };
}
auto id_is(std::uint32_t id) {
    return [id](std::string_view, std::optional<std::uint32_t> i) -> std::optional<bool> {
        if (!i) return std::nullopt;
        return *i == id;
    };
}

}  // namespace

PasswdFileLookup files_passwd_by_name(std::string_view passwd_file, std::string_view name) {
    return files_passwd(passwd_file, name_is(name));
}

PasswdFileLookup files_passwd_by_uid(std::string_view passwd_file, uid_t uid) {
    return files_passwd(passwd_file, id_is(uid));
}

GroupFileLookup files_group_by_name(std::string_view group_file, std::string_view name) {
    return files_group(group_file, name_is(name));
}

GroupFileLookup files_group_by_gid(std::string_view group_file, gid_t gid) {
    return files_group(group_file, id_is(gid));
}

std::optional<std::vector<gid_t>> files_initgroups(std::string_view group_file, std::string_view user,
                                                   gid_t base_gid) {
    // files-initgroups.c: every line through the parser; a line that parses,
    // has another gid than the base and names the user among its members
    // adds its gid. No comment syntax here: "#x:x:5:user" adds 5.
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

NssFiles NssFiles::read() {
    NssFiles nss;
    nss.conf_ = read_whole_file("/etc/nsswitch.conf");
    // nscd answers before any service when its socket is there.
    struct stat st {};
    nss.nscd_ = ::lstat("/var/run/nscd/socket", &st) == 0 || (errno != ENOENT && errno != ENOTDIR);
    return nss;
}

const NssConfFacts& NssFiles::conf_facts() const {
    if (!conf_facts_) conf_facts_ = nss_conf_facts(*conf_);
    return *conf_facts_;
}

std::string NssFiles::files_first_refusal(std::optional<std::vector<std::string>> NssConfFacts::*line,
                                          std::string_view database) const {
    if (!conf_) return "/etc/nsswitch.conf cannot be read (glibc's default services apply)";
    // glibc drops the whole file over one action list it cannot read, and
    // then finds no entry at all.
    if (!conf_facts().parses) return "/etc/nsswitch.conf has an action list glibc may reject";
    const auto& services = conf_facts().*line;
    if (!services) return "/etc/nsswitch.conf has no " + std::string{database} + ": line (glibc's default services apply)";
    if (services->empty() || services->front() != "files" ||
        std::find(services->begin(), services->end(), "[") != services->end()) {
        return "the " + std::string{database} +
               " services in /etc/nsswitch.conf do not start with files, or have action items";
    }
    if (nscd_) return "nscd's socket /var/run/nscd/socket is there";
    return {};
}

std::string NssFiles::passwd_refusal() const {
    return files_first_refusal(&NssConfFacts::passwd, "passwd");
}

std::string NssFiles::group_refusal() const {
    return files_first_refusal(&NssConfFacts::group, "group");
}

namespace {

// The entry `lookup` finds in the file at `path`, when nothing was refused
// and the file answers for certain.
template <class Lookup>
auto from_file(const std::string& refusal, const char* path, Lookup lookup)
    -> decltype(lookup(std::string_view{}).entry) {
    if (!refusal.empty()) return std::nullopt;
    const auto text = read_whole_file(path);
    if (!text) return std::nullopt;
    auto found = lookup(*text);
    return found.sure ? std::move(found.entry) : std::nullopt;
}

}  // namespace

std::optional<GroupEntry> NssFiles::group_by_name(std::string_view name) const {
    return from_file(group_refusal(), "/etc/group", [&](std::string_view t) { return files_group_by_name(t, name); });
}

std::optional<GroupEntry> NssFiles::group_by_gid(gid_t gid) const {
    return from_file(group_refusal(), "/etc/group", [&](std::string_view t) { return files_group_by_gid(t, gid); });
}

std::optional<UserEntry> NssFiles::passwd_by_name(std::string_view name) const {
    return from_file(passwd_refusal(), "/etc/passwd", [&](std::string_view t) { return files_passwd_by_name(t, name); });
}

std::optional<UserEntry> NssFiles::passwd_by_uid(uid_t uid) const {
    return from_file(passwd_refusal(), "/etc/passwd", [&](std::string_view t) { return files_passwd_by_uid(t, uid); });
}

std::string NssFiles::groups_refusal() const {
    if (!conf_) return "/etc/nsswitch.conf cannot be read (glibc's default services apply)";
    const auto& services = conf_facts().initgroups;
    if (!services) return "/etc/nsswitch.conf has no initgroups: or group: line (glibc's default services apply)";
    const bool files = *services == std::vector<std::string>{"files"};
    const bool files_systemd = *services == std::vector<std::string>{"files", "systemd"};
    if (!files && !files_systemd) return "the initgroups services in /etc/nsswitch.conf are not files [systemd]";
    if (nscd_) return "nscd's socket /var/run/nscd/socket is there";
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

GroupList NssFiles::groups(const std::string& user, gid_t base_gid) const {
    GroupList list;
    list.fallback = groups_refusal();
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
    list.groups = glibc_getgrouplist(user, base_gid);
    return list;
}

GroupList database_groups(const std::string& user, gid_t base_gid) { return NssFiles::read().groups(user, base_gid); }

}  // namespace eslaunch
