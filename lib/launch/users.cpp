#include "users.hpp"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

namespace eslaunch {
namespace {

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

}  // namespace

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

std::vector<gid_t> user_groups(const std::string& user, gid_t base_gid) {
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (::getgrouplist(user.c_str(), base_gid, groups.data(), &count) < 0) {
        groups.resize(static_cast<std::size_t>(count));
        ::getgrouplist(user.c_str(), base_gid, groups.data(), &count);
    }
    groups.resize(static_cast<std::size_t>(std::max(count, 0)));
    return groups;
}

}  // namespace eslaunch
