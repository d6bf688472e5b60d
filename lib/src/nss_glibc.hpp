// What only glibc's NSS can answer: a user, a group or a user's groups that
// NssFiles (nss_files.hpp) cannot prove /etc/passwd and /etc/group give
// alone (another service, nscd, an action item, an entry not in the files).
//
// Two definitions, chosen at link time. lib/src/nss_glibc.cpp asks glibc
// (getpwnam_r, getgrnam_r, getgrouplist and their by-id forms): every
// dynamically linked program links it (the library, eslaunch-nss,
// eslaunch-check, eslaunch-watch, the tests). The root-run launcher is linked
// statically (bench/RESULTS.md, "Sixth look"), and glibc's NSS cannot load
// its modules (libnss_systemd.so.2, sssd's, ...) into a static program: it
// links shim/nss_twin.cpp instead, whose definitions execute eslaunch-nss,
// the same launcher linked dynamically, with the same arguments. A lookup
// happens while the host facts are gathered, before anything is applied,
// so the twin starts from where the launcher started.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "eslaunch/nss_files.hpp"
#include "eslaunch/values.hpp"

namespace eslaunch {

// getpwuid_r / getpwnam_r (by id when `ref` is numeric); nullopt with
// `error` saying why ("user 'x' does not exist", "no user has uid 5", or
// the lookup's error).
[[nodiscard]] std::optional<UserEntry> glibc_lookup_user(const IdRef& ref, std::string& error);
// getgrgid_r / getgrnam_r likewise.
[[nodiscard]] std::optional<GroupEntry> glibc_lookup_group(const IdRef& ref, std::string& error);
// getgrouplist(user, base_gid): base gid first.
[[nodiscard]] std::vector<gid_t> glibc_getgrouplist(const std::string& user, gid_t base_gid);

}  // namespace eslaunch
