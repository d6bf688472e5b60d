// Internal to lib/check: the pieces of check's output that migrate's and
// the wrapper section's renderers print the same way.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eslaunch/error.hpp"
#include "eslaunch/finding.hpp"
#include "eslaunch/spec.hpp"

namespace eslaunch::check_parts {

[[nodiscard]] std::string dump(const nlohmann::json& j);
[[nodiscard]] nlohmann::json notes_json(const std::vector<Note>& notes);
// Each finding (severity, id, message, at, fix), then "N errors, M warnings".
[[nodiscard]] std::string findings_text(const std::vector<Finding>& findings, int errors, int warnings);
[[nodiscard]] nlohmann::json findings_json(const std::vector<Finding>& findings);
[[nodiscard]] nlohmann::json errors_json(const Errors& errors);

}  // namespace eslaunch::check_parts
