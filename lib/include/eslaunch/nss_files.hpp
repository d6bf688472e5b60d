// The user's passwd entry, a group's entry and the user's groups as glibc's
// NSS gives them (getpwnam_r/getpwuid_r, getgrnam_r/getgrgid_r,
// getgrouplist), read from /etc/passwd and /etc/group directly where that
// provably gives the same answer: glibc then asks no nscd, reads
// nsswitch.conf no second time, and loads no NSS module (libnss_systemd.so.2
// and what it links cost initgroups about 0.6 ms a launch). Everything else
// asks glibc (nss_glibc.hpp), which the statically linked launcher does in
// its dynamically linked twin, eslaunch-nss.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eslaunch {

// The services of `database` in the text of /etc/nsswitch.conf (its last
// line), as glibc's nss_database.c reads them; an action list such as
// `[NOTFOUND=return]` comes back as one "[" word. nullopt: no such line, so
// glibc's built-in default applies.
[[nodiscard]] std::optional<std::vector<std::string>> nss_services(std::string_view nsswitch_conf,
                                                                   std::string_view database);

// Whether glibc reads every line of this nsswitch.conf: an action list it
// cannot parse (nss_action_parse.c) makes it drop the whole file, and then
// getpwnam_r finds no user at all. (Strict: the lines of databases glibc
// does not know count too, where the name could be one.)
[[nodiscard]] bool nss_conf_parses(std::string_view nsswitch_conf);

// The services glibc's initgroups goes through: the `initgroups:` line,
// else the `group:` line.
[[nodiscard]] std::optional<std::vector<std::string>> nss_initgroups_services(std::string_view nsswitch_conf);

// What NssFiles reads in nsswitch.conf, in one pass: nss_conf_parses(),
// nss_services(conf, "passwd"), nss_services(conf, "group") and
// nss_initgroups_services().
struct NssConfFacts {
    bool parses = true;
    std::optional<std::vector<std::string>> passwd;
    std::optional<std::vector<std::string>> group;
    std::optional<std::vector<std::string>> initgroups;
};
[[nodiscard]] NssConfFacts nss_conf_facts(std::string_view nsswitch_conf);

// A passwd entry: what eslaunch takes from it, whoever answered.
struct UserEntry {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::string shell;
    friend bool operator==(const UserEntry&, const UserEntry&) = default;
};

// A group entry: its name and gid, whoever answered.
struct GroupEntry {
    std::string name;
    gid_t gid = 0;
    friend bool operator==(const GroupEntry&, const GroupEntry&) = default;
};

// What glibc's nss_files getpwnam_r / getpwuid_r find in the text of
// /etc/passwd: the first entry of that name (uid), `+`/`-` entries never.
// `sure` false where a line that could match writes an id in a way this
// does not reproduce exactly (a sign, more than 32 bits): ask glibc then.
struct PasswdFileLookup {
    bool sure = true;
    std::optional<UserEntry> entry;
};
[[nodiscard]] PasswdFileLookup files_passwd_by_name(std::string_view passwd_file, std::string_view name);
[[nodiscard]] PasswdFileLookup files_passwd_by_uid(std::string_view passwd_file, uid_t uid);

// What glibc's nss_files getgrnam_r / getgrgid_r find in the text of
// /etc/group, as files_passwd_by_name/_by_uid do for /etc/passwd.
struct GroupFileLookup {
    bool sure = true;
    std::optional<GroupEntry> entry;
};
[[nodiscard]] GroupFileLookup files_group_by_name(std::string_view group_file, std::string_view name);
[[nodiscard]] GroupFileLookup files_group_by_gid(std::string_view group_file, gid_t gid);

// The gids that glibc's nss_files initgroups adds for `user` (whose primary
// gid is `base_gid`) from the text of /etc/group: each line that lists the
// user as a member, in file order, duplicates kept, the base gid left out.
// nullopt where a line's gid is written in a way this does not reproduce
// exactly (a sign, leading blanks, more than 32 bits): ask glibc then.
[[nodiscard]] std::optional<std::vector<gid_t>> files_initgroups(std::string_view group_file, std::string_view user,
                                                                 gid_t base_gid);

// Whether nss-systemd's initgroups could add a group, given the entries of
// /run/systemd/userdb/ (`userdb_services`, nullopt when the directory is
// absent) and the names in the membership drop-in directories. Returns why
// it could ("" when it cannot).
[[nodiscard]] std::string systemd_membership_source(const std::optional<std::vector<std::string>>& userdb_services,
                                                    const std::vector<std::string>& dropin_names);

struct GroupList {
    std::vector<gid_t> groups;  // base gid first, as getgrouplist() returns them
    std::string fallback;       // why getgrouplist() was asked; "" when /etc/group was read directly
};

// This machine's NSS set-up, read once (nsswitch.conf, nscd's socket), and
// the lookups that follow it.
class NssFiles {
public:
    [[nodiscard]] static NssFiles read();

    // getpwnam_r(name) / getpwuid_r(uid) as glibc would answer, when
    // /etc/passwd alone answers (the passwd services start with files,
    // without action items, no nscd, and the entry is there); nullopt: ask
    // glibc.
    [[nodiscard]] std::optional<UserEntry> passwd_by_name(std::string_view name) const;
    [[nodiscard]] std::optional<UserEntry> passwd_by_uid(uid_t uid) const;

    // getgrnam_r(name) / getgrgid_r(gid) likewise, from /etc/group when the
    // group services start with files (no action items, no nscd) and the
    // entry is there; nullopt: ask glibc.
    [[nodiscard]] std::optional<GroupEntry> group_by_name(std::string_view name) const;
    [[nodiscard]] std::optional<GroupEntry> group_by_gid(gid_t gid) const;

    // getgrouplist(user, base_gid), from /etc/group alone when
    // nsswitch.conf, nscd and systemd's userdb show nothing else could
    // answer; from getgrouplist() otherwise.
    [[nodiscard]] GroupList groups(const std::string& user, gid_t base_gid) const;

private:
    [[nodiscard]] std::string passwd_refusal() const;
    [[nodiscard]] std::string group_refusal() const;
    // Why the services of `database` (its `line` of the conf facts) may
    // not stop at files ("" when files answers first and an entry found
    // there is the answer).
    [[nodiscard]] std::string files_first_refusal(std::optional<std::vector<std::string>> NssConfFacts::*line,
                                                  std::string_view database) const;
    [[nodiscard]] std::string groups_refusal() const;
    [[nodiscard]] const NssConfFacts& conf_facts() const;  // of conf_, read once when first asked

    std::optional<std::string> conf_;  // /etc/nsswitch.conf; nullopt: unreadable
    mutable std::optional<NssConfFacts> conf_facts_;
    bool nscd_ = false;                // nscd's socket is there: it answers first
};

// NssFiles::read().groups(user, base_gid).
[[nodiscard]] GroupList database_groups(const std::string& user, gid_t base_gid);

}  // namespace eslaunch
