// A finding of `eslaunch check`: something about the host or the settings
// that stops Elasticsearch (an error) or that it only logs or tolerates (a
// warning), with the fix. Shared by the preflight and the cluster check.
#pragma once

#include <string>
#include <string_view>

namespace eslaunch {

struct Finding {
    enum class Severity { error, warning };
    Severity severity = Severity::warning;
    std::string id;       // stable, e.g. "max-map-count"
    std::string message;  // Elasticsearch's own wording where it has one
    std::string fix;      // the spec line, the sysctl, the unit line, the setting
    std::string where;    // the setting it is about: "FILE:LINE", or a file, or empty
    int status = 0;       // an error the launch itself stops at: its exit status (203...); 0: none
};

[[nodiscard]] inline std::string_view severity_name(Finding::Severity s) {
    return s == Finding::Severity::error ? "error" : "warning";
}

}  // namespace eslaunch
