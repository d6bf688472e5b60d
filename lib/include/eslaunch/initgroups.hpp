// The user's groups in the group database, as getgrouplist(3) (initgroups)
// gives them, read from /etc/group directly when that provably gives the
// same list: glibc then loads no NSS module (libnss_systemd.so.2 and what it
// links cost about 0.6 ms a launch). Everything else asks getgrouplist().
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eslaunch {

// The services glibc's initgroups goes through, from the text of
// /etc/nsswitch.conf: the last `initgroups:` line, else the last `group:`
// line, as glibc's nss_database.c reads them (action items such as
// `[NOTFOUND=return]` come back as a "[" word). nullopt: neither line, so
// glibc's built-in default applies.
[[nodiscard]] std::optional<std::vector<std::string>> nss_initgroups_services(std::string_view nsswitch_conf);

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

// getgrouplist(user, base_gid) for this machine, from /etc/group alone when
// nsswitch.conf, nscd and systemd's userdb show nothing else could answer.
[[nodiscard]] GroupList database_groups(const std::string& user, gid_t base_gid);

}  // namespace eslaunch
