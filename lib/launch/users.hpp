// Users and groups as glibc's NSS answers them: the files, systemd's
// userdb, LDAP, sssd, nscd, whatever nsswitch.conf names.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "eslaunch/host.hpp"
#include "eslaunch/values.hpp"

namespace eslaunch {

// getpwuid_r / getpwnam_r (by id when `ref` is numeric); nullopt with
// `error` saying why ("user 'x' does not exist", "no user has uid 5", or
// the lookup's error).
[[nodiscard]] std::optional<UserEntry> lookup_user(const IdRef& ref, std::string& error);
// getgrgid_r / getgrnam_r likewise.
[[nodiscard]] std::optional<GroupEntry> lookup_group(const IdRef& ref, std::string& error);
// The user's groups as initgroups() sets them: getgrouplist(user,
// base_gid), the base gid first.
[[nodiscard]] std::vector<gid_t> user_groups(const std::string& user, gid_t base_gid);

}  // namespace eslaunch
