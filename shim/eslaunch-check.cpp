// eslaunch-check: `eslaunch check ...`, which eslaunch executes from
// libexecdir with the arguments after `check`. It shows the plan of a spec,
// with the preflight of an Elasticsearch node, or reads the elasticsearch.yml
// of a cluster's nodes. And, as the node's user, for a launch:
// `--node-http-settings CONF_DIR -- ARGV...` writes where the node's HTTP
// layer listens (host.cpp, plan_launch_reading_node_settings). It links
// what the root-run launcher leaves out: yaml-cpp, nlohmann-json, the
// preflight and the renderers.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "eslaunch/apply.hpp"
#include "eslaunch/check.hpp"
#include "eslaunch/cluster.hpp"
#include "eslaunch/error.hpp"
#include "eslaunch/es_config.hpp"
#include "eslaunch/host.hpp"
#include "eslaunch/plan.hpp"
#include "eslaunch/preflight.hpp"
#include "eslaunch/spec.hpp"
#include "eslaunch/values.hpp"
#include "cli.hpp"

extern char** environ;

namespace {

using eslaunch_cli::Loaded;
using eslaunch_cli::log_errors;
using eslaunch_cli::log_line;
using eslaunch_cli::usage_error;

// Each finding that is an error, once more on stderr, as every error is.
void log_error_findings(const std::vector<eslaunch::Finding>& findings) {
    for (const auto& f : findings) {
        if (f.severity != eslaunch::Finding::Severity::error) continue;
        log_line(3, "error", eslaunch::Error{eslaunch::status::config, f.where, 0, f.message, f.fix}.str());
    }
}

bool has_error(const std::vector<eslaunch::Finding>& findings) {
    return std::any_of(findings.begin(), findings.end(),
                       [](const eslaunch::Finding& f) { return f.severity == eslaunch::Finding::Severity::error; });
}

// Everything check finds past the spec's parse, in one run: the plan's
// errors (a user only the production host has), the paths the launch needs
// as the node's user, the preflight. Each error also goes to stderr, once.
int report_plan(const Loaded& loaded, eslaunch::CheckFindings& found, const eslaunch_cli::Words& args) {
    const eslaunch::LaunchPlan& plan = loaded.plan;
    found.as_user = eslaunch::as_user_here(loaded.spec, plan, found.plan_errors);
    found.launch = eslaunch::check_launch_paths(loaded.spec, plan, found.as_user);
    found.paths_checked = true;
    // Only check runs the preflight (elasticsearch.yml, java -version, the
    // paths): a launch never does.
    std::optional<eslaunch::Preflight> preflight;
    if (plan.profile == eslaunch::Profile::elasticsearch) {
        const auto facts = eslaunch::gather_preflight_facts(loaded.spec, plan, loaded.host, 5000, found.as_user);
        preflight = eslaunch::evaluate_preflight(loaded.spec, plan, loaded.host, facts);
        found.preflight = &*preflight;
    }
    const std::string out = args.json ? eslaunch::render_check_json(loaded.spec, plan, loaded.host.environ, found)
                                      : eslaunch_cli::printable(eslaunch::render_check_text(
                                                    loaded.spec, plan, loaded.host.environ, found),
                                                true);
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (std::fflush(stdout) != 0) return eslaunch::status::oserr;
    // After the plan, as preflight errors: the output stays whole.
    int status = found.plan_errors.empty() ? eslaunch::status::ok : eslaunch::status::config;
    for (const auto* findings : {&found.launch, preflight ? &preflight->findings : nullptr}) {
        if (findings == nullptr || !has_error(*findings)) continue;
        log_error_findings(*findings);
        status = eslaunch::status::config;
    }
    // As the user only: a stand-in's answer would be about someone else.
    if (auto problem = found.as_user.possible ? eslaunch::watcher_problem(plan) : std::nullopt) {
        log_errors({*problem});
        status = eslaunch::status::config;
    }
    return status;
}

int run_check(const std::string& file, const eslaunch_cli::Words& args) {
    Loaded loaded;
    if (auto errors = eslaunch_cli::load_spec_and_host(file, args.program, loaded)) {
        const eslaunch::Errors& failed = *errors;
        log_errors(failed);
        if (args.json) fmt::print("{}", eslaunch::render_errors_json(failed));
        // check reports every problem as a configuration error (eslaunch(1)).
        return eslaunch::status::config;
    }
    // A plan this host cannot make is shown as far as it goes, with its errors.
    eslaunch::PlanAttempt attempt = eslaunch::plan_for_check(loaded.spec, loaded.host);
    loaded.plan = std::move(attempt.plan);
    log_errors(attempt.errors);
    eslaunch::CheckFindings found;
    found.plan_errors = std::move(attempt.errors);
    return report_plan(loaded, found, args);
}

int run_cluster(const eslaunch_cli::Words& args) {
    std::vector<eslaunch::EsSettings> nodes;
    eslaunch::Errors errors;
    for (const auto& file : args.files) {
        auto read = eslaunch::read_es_settings(file);
        if (read) nodes.push_back(std::move(*read));
        else errors.insert(errors.end(), read.error().begin(), read.error().end());
    }
    if (!errors.empty()) {
        log_errors(errors);
        if (args.json) fmt::print("{}", eslaunch::render_errors_json(errors));
        return eslaunch::status::config;
    }
    const eslaunch::ClusterReport report = eslaunch::check_cluster(nodes);
    const std::string out = args.json ? eslaunch::render_cluster_json(report)
                                      : eslaunch_cli::printable(eslaunch::render_cluster_text(report), true);
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (std::fflush(stdout) != 0) return eslaunch::status::oserr;
    log_error_findings(report.findings);
    return report.errors() > 0 ? eslaunch::status::config : eslaunch::status::ok;
}

// `--node-http-settings CONF_DIR -- ARGV...`: the answer on stdout, in the
// node's environment (ours), as whatever user eslaunch made us.
int node_http_settings_main(const std::vector<std::string_view>& words) {
    if (words.size() < 3 || words[2] != "--") return usage_error("--node-http-settings CONF_DIR -- ARGV...");
    const std::vector<std::string> argv(words.begin() + 3, words.end());
    const std::string out =
        eslaunch::node_http_settings_answer(std::string{words[1]}, argv, eslaunch::EnvMap::from_envp(environ));
    std::fwrite(out.data(), 1, out.size(), stdout);
    return std::fflush(stdout) == 0 ? eslaunch::status::ok : eslaunch::status::oserr;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> words(argv + 1, argv + argc);
    if (!words.empty() && words[0] == "--node-http-settings") return node_http_settings_main(words);

    const auto read = eslaunch_cli::read_words(words, true);
    if (!read) return eslaunch::status::usage;
    const std::vector<std::string>& files = read->files;
    if (read->cluster) {
        if (read->program) return usage_error("--cluster reads elasticsearch.yml files: --program has no meaning there");
        if (files.empty()) return usage_error("check --cluster needs the elasticsearch.yml of each node");
        return run_cluster(*read);
    }
    if (files.empty()) return usage_error("check needs a FILE");
    if (files.size() > 1) return usage_error(fmt::format("one FILE, not {}", files.size()));
    return run_check(files.front(), *read);
}
