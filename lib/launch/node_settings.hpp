// Internal to the library (not installed): what host.cpp, which the root-run
// launcher links, and es_node.cpp, which only eslaunch-check links (it
// reads elasticsearch.yml with yaml-cpp), share.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eslaunch/environment.hpp"
#include "eslaunch/host.hpp"
#include "eslaunch/plan.hpp"
#include "child.hpp"

namespace eslaunch {

// The first executable `name` in the directories of PATH (`path`: its
// value, or null when unset).
[[nodiscard]] std::optional<std::string> search_path(const std::string& name, const std::string* path);

// The planned user's groups, gid and uid (when the plan changes identity),
// then no_new_privs. "" or why it failed.
[[nodiscard]] std::string become_planned_user(const LaunchPlan& plan);

// A reader of the node's files (its group may write them), first thing:
// become_planned_user, die with `parent` (pid taken before fork), take limits
// of its own (CPU time; address space, but not under ASan). "" or why not.
[[nodiscard]] std::string become_node_reader(const LaunchPlan& plan, pid_t parent);

// How long the parent waits for such a reader, and why one gave no answer
// (not for `done`), for a message.
inline constexpr std::chrono::seconds reader_timeout{10};
[[nodiscard]] std::string reader_failure(const ChildResult& r);

// node_http_settings' answer as eslaunch-check writes it to the launch
// (each field its length, ':', its bytes: a YAML value may hold any byte),
// and back. decode gives false for anything else.
[[nodiscard]] std::string encode_http_settings(const EsHomeFacts& es);
[[nodiscard]] bool decode_http_settings(std::string_view in, EsHomeFacts& es);

}  // namespace eslaunch
