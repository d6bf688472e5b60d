// Internal to the library (not installed): opening a file that root reads
// because of the spec, one path component at a time from /, so that what is
// judged is what is read. The spec file is opened this way, with the rule
// that whoever can change any entry on its path cannot choose user= and
// command= (eslaunch.ini(5), FILE OWNERSHIP); jvm.options without the rule.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <optional>
#include <string>

#include "eslaunch/error.hpp"
#include "posix.hpp"

namespace eslaunch {

enum class Trust {
    any,        // follow the path as the kernel would, judging nothing
    root_only,  // every entry passed must be root's and not writable by others
};

struct OpenedFile {
    UniqueFd fd;   // O_RDONLY, close-on-exec, of a regular file
    struct stat st {};  // fstat() of that very fd
};

// Why one entry on the path fails Trust::root_only, or nullopt: it must be
// owned by root, and a directory or file must not be writable by group or
// others unless it is a sticky directory (whose root-owned entries no one
// else may rename or remove). `st` is from fstat() of the fd that was used.
[[nodiscard]] std::optional<Problem> untrusted_entry(const std::string& path, const struct stat& st,
                                                     std::string_view why);

// What the messages of a walk say about its file.
struct WalkText {
    std::string_view why;               // why Trust::root_only holds, e.g. "whoever can edit the spec ..."
    std::string_view missing_hint;      // the fix when the file does not exist
    std::string_view not_regular_hint;  // the fix when it is not a regular file
};

// Opens `path` (absolute) for reading: every component with openat() and
// O_NOFOLLOW from the fd of the directory before it, a symbolic link read
// with readlinkat() on the fd of the link itself and followed by hand (at
// most 40, as the kernel), `..` as the kernel resolves it. Each directory,
// link and the file itself is judged by `trust` as it is passed, and the
// file's fstat() is of the fd returned: nothing can be swapped in between.
// Errors: 78 for what the path or a file on it is (missing, untrusted, not
// a regular file), 71 for a system call that failed for another reason
// (EMFILE: too many open files), each about `file` (the name messages use).
// With `final_link` false, a symbolic link as the last component is refused
// (78, "is a symbolic link") rather than followed.
[[nodiscard]] Expected<OpenedFile, Error> open_walking(const std::string& path, Trust trust, const std::string& file,
                                                       const WalkText& text, bool final_link = true);

// open_walking(), then the file's text: up to `max_bytes`, more is an error.
[[nodiscard]] Expected<std::string, Error> read_walking(const std::string& path, Trust trust, std::size_t max_bytes,
                                                        const std::string& file, const WalkText& text);

// Makes `path` (absolute, without "." or "..") a directory of the node's
// own (tmpdir=): each parent opened with O_NOFOLLOW from the one before it,
// created root's 0755 when missing, and judged as Trust::root_only (no link
// is followed, not even root's); the last one created mode 0700 and given to
// uid:gid, or, when it is there, taken only as a directory of uid's, its
// mode set to 0700 through the fd. Errors name `file`: 78 for what is at the
// path, 73 for what cannot be created there.
[[nodiscard]] std::optional<Error> make_private_dir(const std::string& path, uid_t uid, gid_t gid,
                                                    const std::string& file);

}  // namespace eslaunch
