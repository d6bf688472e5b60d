// What `eslaunch check` prints: the spec as eslaunch will apply it, in text
// for people or as one JSON object (shape documented in README.md), and
// what `check --cluster` reports.
#pragma once

#include <string>

#include "eslaunch/cluster.hpp"
#include "eslaunch/environment.hpp"
#include "eslaunch/error.hpp"
#include "eslaunch/plan.hpp"
#include "eslaunch/preflight.hpp"
#include "eslaunch/spec.hpp"

namespace eslaunch {

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
