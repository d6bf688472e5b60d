// Internal to the library (not installed): the program's standard input
// (stdin=), opened as root so that a keystore passphrase file can stay
// root:root 0600. The launch (apply) and check open it the same way.
#pragma once

#include "eslaunch/error.hpp"
#include "eslaunch/plan.hpp"
#include "posix.hpp"

namespace eslaunch {

// stdin=file:PATH walked from / as the spec file is (path_walk's
// Trust::root_only: the file and every directory above it root's and not
// writable by group or others), with no link as its last component; the fd
// is close-on-exec and numbered 3 or more. Without stdin=file:, /dev/null.
// Errors: 78 (or 71 for a failing system), at FILE:LINE of stdin=.
[[nodiscard]] Expected<UniqueFd, Error> open_program_stdin(const LaunchPlan& plan);

}  // namespace eslaunch
