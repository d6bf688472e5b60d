// make_private_dir (path_walk.hpp): the node's tmpdir, created by root
// before it drops privileges, without following a link anyone planted.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "path_walk.hpp"

namespace eslaunch {
namespace {

constexpr std::string_view tmpdir_why = "the node's tmpdir must be reached through directories only root can change";

class PrivateDir {
public:
    PrivateDir(uid_t uid, gid_t gid, const std::string& file) : uid_(uid), gid_(gid), file_(file) {}

    std::optional<Error> run(const std::string& path) {
        std::vector<std::string> parts;
        for (std::size_t start = 1; start <= path.size();) {
            const std::size_t end = std::min(path.find('/', start), path.size());
            if (end > start) parts.push_back(path.substr(start, end - start));
            start = end + 1;
        }
        if (parts.empty()) return failed(status::config, path, "is not a directory below /", "fix tmpdir=");
        dir_ = UniqueFd{::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
        if (auto e = judge("/")) return e;
        for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
            if (auto e = enter_parent(parts[i])) return e;
        }
        return make_last(parts.back());
    }

private:
    // One parent: opened, or created root's 0755 first, then judged.
    std::optional<Error> enter_parent(const std::string& name) {
        const std::string here = at_ == "/" ? "/" + name : at_ + "/" + name;
        UniqueFd fd{::openat(dir_.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
        if (fd.get() < 0 && errno == ENOENT) {
            if (::mkdirat(dir_.get(), name.c_str(), 0755) != 0 && errno != EEXIST) return cannot_create(here);
            fd = UniqueFd{::openat(dir_.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
            // A umask may have taken bits the node needs to pass through.
            struct stat st {};
            if (fd.get() >= 0 && ::fstat(fd.get(), &st) == 0 && st.st_uid == 0) ::fchmod(fd.get(), 0755);
        }
        if (fd.get() < 0) return not_directory(here);
        dir_ = std::move(fd);
        at_ = here;
        return judge(here);
    }

    // The directory itself: created for the node, or one of its own fixed.
    std::optional<Error> make_last(const std::string& name) {
        const std::string here = at_ == "/" ? "/" + name : at_ + "/" + name;
        const bool created = ::mkdirat(dir_.get(), name.c_str(), 0700) == 0;
        if (!created && errno != EEXIST) return cannot_create(here);
        const UniqueFd fd{::openat(dir_.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
        if (fd.get() < 0) return not_directory(here);
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return cannot_create(here);
        if (created && ::fchown(fd.get(), uid_, gid_) != 0) return cannot_create(here);
        if (!created && st.st_uid != uid_) {
            return failed(status::config, here,
                          fmt::format("is owned by uid {}, not by the node's user (uid {}): its files are not the "
                                      "node's to trust",
                                      st.st_uid, uid_),
                          fmt::format("remove it (rm -r {}) and let eslaunch create it, or fix tmpdir=", here));
        }
        if ((st.st_mode & 07777) != 0700 && ::fchmod(fd.get(), 0700) != 0) return cannot_create(here);
        return std::nullopt;
    }

    std::optional<Error> judge(const std::string& here) const {
        struct stat st {};
        if (dir_.get() < 0 || ::fstat(dir_.get(), &st) != 0) return cannot_create(here);
        auto problem = untrusted_entry(here, st, tmpdir_why);
        if (!problem) return std::nullopt;
        return Error{status::config, file_, 0, "tmpdir: " + problem->what, problem->hint};
    }

    // openat with O_NOFOLLOW|O_DIRECTORY failed: a link, not a directory, or no access.
    std::optional<Error> not_directory(const std::string& here) const {
        const int err = errno;
        if (err == ELOOP || err == ENOTDIR) {
            return failed(status::config, here, "is a symbolic link or not a directory, and eslaunch follows no link here",
                          "make it a real directory, or point tmpdir= at the link's target");
        }
        return failed(status::cantcreat, here, fmt::format("cannot be opened: {}", std::strerror(err)), "");
    }

    std::optional<Error> cannot_create(const std::string& here) const {
        return failed(status::cantcreat, here, fmt::format("cannot be created: {}", std::strerror(errno)),
                      "check the file system (read-only? full?) and the directories above it");
    }

    std::optional<Error> failed(int status, const std::string& here, std::string what, std::string hint) const {
        return Error{status, file_, 0, fmt::format("tmpdir {} {}", here, what), std::move(hint)};
    }

    uid_t uid_;
    gid_t gid_;
    const std::string& file_;
    UniqueFd dir_;
    std::string at_ = "/";
};

}  // namespace

std::optional<Error> make_private_dir(const std::string& path, uid_t uid, gid_t gid, const std::string& file) {
    return PrivateDir{uid, gid, file}.run(path);
}

}  // namespace eslaunch
