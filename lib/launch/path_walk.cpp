#include "path_walk.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>

namespace eslaunch {
namespace {

constexpr int max_links = 40;  // the kernel's own (MAXSYMLINKS)

std::string mode_text(mode_t m) { return fmt::format("{:04o}", static_cast<unsigned>(m & 07777)); }

std::string joined(const std::string& dir, std::string_view name) {
    return dir == "/" ? fmt::format("/{}", name) : fmt::format("{}/{}", dir, name);
}

std::string parent_of(const std::string& dir) {
    const std::size_t slash = dir.rfind('/');
    return slash == 0 || slash == std::string::npos ? std::string{"/"} : dir.substr(0, slash);
}

// The components of `path` in front of `parts`, without empty ones and ".".
void push_front_parts(std::string_view path, std::deque<std::string>& parts) {
    std::deque<std::string> found;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string_view part = path.substr(start, end - start);
        if (!part.empty() && part != ".") found.emplace_back(part);
        start = end + 1;
    }
    parts.insert(parts.begin(), found.begin(), found.end());
}

// One walk: the directory reached so far (its fd and the path it was
// reached by, for messages) and what is left of the path.
class Walk {
public:
    Walk(Trust trust, const std::string& file, const WalkText& text, bool final_link)
        : trust_(trust), file_(file), text_(text), final_link_(final_link) {}

    Expected<OpenedFile, Error> run(const std::string& path) {
        if (path.empty() || path.front() != '/') return Unexpected{failed(status::config, "not an absolute path", "")};
        if (path.size() >= PATH_MAX) return Unexpected{failed_call(ENAMETOOLONG, path)};
        push_front_parts(path, parts_);
        if (auto e = enter("/", ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC))) return Unexpected{std::move(*e)};
        while (!parts_.empty()) {
            std::string name = std::move(parts_.front());
            parts_.pop_front();
            const std::string here = name == ".." ? parent_of(at_) : joined(at_, name);
            if (name == "..") {
                if (auto e = enter(here, ::openat(dir_.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC))) {
                    return Unexpected{std::move(*e)};
                }
                continue;
            }
            if (parts_.empty()) {  // the file itself: opened to be read, unless it is a link
                UniqueFd fd{::openat(dir_.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
                if (fd.get() >= 0) return finish(std::move(fd), here);
                if (errno != ELOOP) return Unexpected{failed_call(errno, here)};
                if (!final_link_) {
                    return Unexpected{failed(status::config, fmt::format("{} is a symbolic link", here),
                                             "name the file itself, not a link to it")};
                }
            }
            if (auto e = step(name, here)) return Unexpected{std::move(*e)};
        }
        return Unexpected{failed(status::config, "not a regular file", std::string{text_.not_regular_hint})};
    }

private:
    // `name` in the current directory: a directory to enter or a link to follow.
    std::optional<Error> step(const std::string& name, const std::string& here) {
        UniqueFd fd{::openat(dir_.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC)};
        struct stat st {};
        if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) return failed_call(errno, here);
        if (auto e = judge(here, st)) return e;
        if (S_ISDIR(st.st_mode)) {
            dir_ = std::move(fd);
            at_ = here;
            return std::nullopt;
        }
        if (!S_ISLNK(st.st_mode)) return failed_call(ENOTDIR, here);
        if (++links_ > max_links) return failed_call(ELOOP, here);
        // The target of the very link judged above (its O_PATH fd), not of
        // whatever has that name by now.
        char target[PATH_MAX];
        const ssize_t n = ::readlinkat(fd.get(), "", target, sizeof target);
        if (n < 0) return failed_call(errno, here);
        if (n == 0 || static_cast<std::size_t>(n) == sizeof target) return failed_call(n == 0 ? ENOENT : ENAMETOOLONG, here);
        const std::string_view link{target, static_cast<std::size_t>(n)};
        push_front_parts(link, parts_);
        if (link.front() == '/') return enter("/", ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        return std::nullopt;
    }

    // Makes `fd` (just opened, or -1 with errno) the current directory.
    std::optional<Error> enter(const std::string& path, int fd) {
        UniqueFd owned{fd};
        struct stat st {};
        if (fd < 0 || ::fstat(fd, &st) != 0) return failed_call(errno, path);
        if (auto e = judge(path, st)) return e;
        dir_ = std::move(owned);
        at_ = path;
        return std::nullopt;
    }

    Expected<OpenedFile, Error> finish(UniqueFd fd, const std::string& here) {
        OpenedFile opened;
        if (::fstat(fd.get(), &opened.st) != 0) return Unexpected{failed_call(errno, here)};
        if (!S_ISREG(opened.st.st_mode)) {
            return Unexpected{failed(status::config, "not a regular file", std::string{text_.not_regular_hint})};
        }
        if (auto e = judge(here, opened.st)) return Unexpected{std::move(*e)};
        opened.fd = std::move(fd);
        return opened;
    }

    std::optional<Error> judge(const std::string& path, const struct stat& st) const {
        if (trust_ != Trust::root_only) return std::nullopt;
        auto problem = untrusted_entry(path, st, text_.why);
        if (!problem) return std::nullopt;
        return Error{status::config, file_, 0, std::move(problem->what), std::move(problem->hint)};
    }

    Error failed(int status, std::string what, std::string hint) const {
        return Error{status, file_, 0, std::move(what), std::move(hint)};
    }

    // A call on `path` that failed with `err`: what the path is (78), or a
    // failure of the system (71), which no fix of the path would help.
    Error failed_call(int err, const std::string& path) const {
        const bool path_problem = err == ENOENT || err == ENOTDIR || err == EACCES || err == ELOOP ||
                                  err == ENAMETOOLONG || err == ENXIO || err == ENODEV || err == EPERM;
        std::string what = path == file_ ? fmt::format("cannot open: {}", std::strerror(err))
                                         : fmt::format("cannot open: {} ({})", std::strerror(err), path);
        std::string hint;
        if (err == ENOENT) hint = text_.missing_hint;
        else if (path_problem) hint = "check the permissions of the file and of the directories above it";
        else if (err == EMFILE || err == ENFILE) hint = "raise the open-file limit where eslaunch starts (ulimit -n)";
        return failed(path_problem ? status::config : status::oserr, std::move(what), std::move(hint));
    }

    Trust trust_;
    const std::string& file_;
    const WalkText& text_;
    bool final_link_ = true;
    std::deque<std::string> parts_;
    UniqueFd dir_;
    std::string at_;
    int links_ = 0;
};

}  // namespace

std::optional<Problem> untrusted_entry(const std::string& path, const struct stat& st, std::string_view why) {
    const bool link = S_ISLNK(st.st_mode);
    const std::string mode = mode_text(st.st_mode);
    if (st.st_uid != 0) {
        return Problem{link ? fmt::format("{} is a symbolic link owned by uid {}, not root: {}", path, st.st_uid, why)
                            : fmt::format("{} is owned by uid {}, not root (mode {}): {}", path, st.st_uid, mode, why),
                       fmt::format("chown {}root {}", link ? "-h " : "", path)};
    }
    const bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0;
    if (!link && !sticky_dir && (st.st_mode & 022) != 0) {
        return Problem{fmt::format("{} is writable by {} (mode {}): {}", path,
                                   (st.st_mode & 002) != 0 ? "everyone" : "its group", mode, why),
                       fmt::format("chmod go-w {}", path)};
    }
    return std::nullopt;
}

Expected<OpenedFile, Error> open_walking(const std::string& path, Trust trust, const std::string& file,
                                         const WalkText& text, bool final_link) {
    return Walk{trust, file, text, final_link}.run(path);
}

Expected<std::string, Error> read_walking(const std::string& path, Trust trust, std::size_t max_bytes,
                                          const std::string& file, const WalkText& text) {
    auto opened = open_walking(path, trust, file, text);
    if (!opened) return Unexpected{std::move(opened.error())};
    auto too_big = [&](std::uint64_t size) {
        return Unexpected{Error{status::config, file, 0,
                                fmt::format("file is {} bytes, over the limit of {} ({} MiB)", size, max_bytes,
                                            max_bytes >> 20),
                                "check that this is the file you meant"}};
    };
    if (static_cast<std::uint64_t>(opened->st.st_size) > max_bytes) return too_big(opened->st.st_size);
    // fstat's size and a byte more at first: a short read of a regular file
    // is its end, so one read() usually does it.
    std::string text_read;
    std::size_t want = static_cast<std::size_t>(opened->st.st_size) + 1;
    while (text_read.size() <= max_bytes) {
        const std::size_t at = text_read.size();
        text_read.resize(at + want);
        const ssize_t n = ::read(opened->fd.get(), text_read.data() + at, want);
        const int err = errno;
        text_read.resize(at + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
        if (n < 0 && err == EINTR) continue;
        if (n < 0) return Unexpected{Error{status::oserr, file, 0, fmt::format("cannot read: {}", std::strerror(err)), ""}};
        if (static_cast<std::size_t>(n) < want) break;
        want = 65536;
    }
    if (text_read.size() > max_bytes) return too_big(text_read.size());
    return text_read;
}

}  // namespace eslaunch
