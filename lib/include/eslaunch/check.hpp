// What `eslaunch check` prints: the spec as eslaunch will apply it, in text
// for people or as one JSON object (shape documented in eslaunch(1), JSON OUTPUT), and
// what `check --cluster` reports. What it derives from a Spec for that is
// here too, not in spec.hpp: the launch never computes it.
#pragma once

#include <string>

#include "eslaunch/cluster.hpp"
#include "eslaunch/environment.hpp"
#include "eslaunch/error.hpp"
#include "eslaunch/plan.hpp"
#include "eslaunch/preflight.hpp"
#include "eslaunch/spec.hpp"

namespace eslaunch {

// Why the spec's profile is what it is: "set in the spec", "auto: ...".
[[nodiscard]] std::string profile_reason(const Spec& spec);

// Where supervisord would run the program otherwise than eslaunch does.
[[nodiscard]] std::vector<Note> supervisord_differences(const Spec& spec);

// One eslaunch key with its default resolved, for `check`.
struct Setting {
    enum class Source { spec, defaulted, profile, derived };
    std::string key;
    std::string value;  // canonical text; empty: unset
    Source source = Source::defaulted;
    std::string detail;  // e.g. "best effort", "from command"
};
[[nodiscard]] std::string_view source_name(Setting::Source s);

// Every eslaunch key (profile, limits, heap, ready..., es_home), resolved
// against the profile, the program's environment and the Elasticsearch
// version found (the profile's nofile depends on it).
[[nodiscard]] std::vector<Setting> resolved_settings(const Spec& spec, const EnvMap& program_env,
                                                     const std::optional<EsVersion>& es_version = std::nullopt);

// What check found besides the plan: the plan's errors where this host
// cannot launch the spec (the rest is shown all the same), whether it could
// act as the node's user, the findings about the paths the launch needs
// (check_launch_paths), and the preflight (null: none).
struct CheckFindings {
    Errors plan_errors;
    AsUser as_user;
    std::vector<Finding> launch;
    bool paths_checked = false;  // check_launch_paths ran: the text shows its block
    const Preflight* preflight = nullptr;
};
[[nodiscard]] std::string render_check_text(const Spec& spec, const LaunchPlan& plan, const EnvMap& own_env,
                                            const CheckFindings& found);
[[nodiscard]] std::string render_check_json(const Spec& spec, const LaunchPlan& plan, const EnvMap& own_env,
                                            const CheckFindings& found);

// `own_env` is eslaunch's own environment: the environment changes are
// shown against it. `preflight` is null when there is none (a profile other
// than elasticsearch).
[[nodiscard]] std::string render_check_text(const Spec& spec, const LaunchPlan& plan, const EnvMap& own_env,
                                            const Preflight* preflight = nullptr);
[[nodiscard]] std::string render_check_json(const Spec& spec, const LaunchPlan& plan, const EnvMap& own_env,
                                            const Preflight* preflight = nullptr);
[[nodiscard]] std::string render_errors_json(const Errors& errors);

// `check --cluster`: the table of nodes, the quorum and the findings.
[[nodiscard]] std::string render_cluster_text(const ClusterReport& report);
[[nodiscard]] std::string render_cluster_json(const ClusterReport& report);

}  // namespace eslaunch
