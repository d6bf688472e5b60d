// eslaunch-check: `eslaunch check ...`, which eslaunch executes from
// libexecdir with the arguments after `check`. It shows the plan of a spec,
// with the preflight of an Elasticsearch or OpenSearch node, or reads the elasticsearch.yml
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
#include <filesystem>
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
#include "eslaunch/migrate.hpp"
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

// What check finds past the spec's parse: whether it can act as the node's
// user, the paths the launch needs as that user, and (only check runs it:
// elasticsearch.yml, java -version, the paths) the preflight.
std::optional<eslaunch::Preflight> gather_findings(const Loaded& loaded, eslaunch::CheckFindings& found) {
    const eslaunch::LaunchPlan& plan = loaded.plan;
    found.as_user = eslaunch::as_user_here(loaded.spec, plan, found.plan_errors);
    found.launch = eslaunch::check_launch_paths(loaded.spec, plan, found.as_user);
    found.paths_checked = true;
    std::optional<eslaunch::Preflight> preflight;
    if (plan.profile == eslaunch::Profile::elasticsearch || plan.profile == eslaunch::Profile::opensearch) {
        const auto facts = eslaunch::gather_preflight_facts(loaded.spec, plan, loaded.host, 5000, found.as_user);
        preflight = eslaunch::evaluate_preflight(loaded.spec, plan, loaded.host, facts);
    }
    return preflight;
}

// Everything check finds past the spec's parse, in one run: the plan's
// errors (a user only the production host has), the paths the launch needs
// as the node's user, the preflight; the report goes to `out`. Each error
// also goes to stderr, once.
int report_plan(const Loaded& loaded, eslaunch::CheckFindings& found, const eslaunch_cli::Words& args,
                std::string& out) {
    const eslaunch::LaunchPlan& plan = loaded.plan;
    std::optional<eslaunch::Preflight> preflight = gather_findings(loaded, found);
    if (preflight) found.preflight = &*preflight;
    out += args.json ? eslaunch::render_check_json(loaded.spec, plan, loaded.host.environ, found)
                     : eslaunch_cli::printable(
                           eslaunch::render_check_text(loaded.spec, plan, loaded.host.environ, found), true);
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

// The spec loaded: its plan as far as this host allows, then the report.
int check_loaded(Loaded& loaded, const eslaunch_cli::Words& args, std::string& out) {
    // A plan this host cannot make is shown as far as it goes, with its errors.
    eslaunch::PlanAttempt attempt = eslaunch::plan_for_check(loaded.spec, loaded.host);
    loaded.plan = std::move(attempt.plan);
    log_errors(attempt.errors);
    eslaunch::CheckFindings found;
    found.plan_errors = std::move(attempt.errors);
    return report_plan(loaded, found, args, out);
}

int check_spec(const std::string& file, const std::optional<std::string>& program, const eslaunch_cli::Words& args,
               std::string& out) {
    Loaded loaded;
    if (auto errors = eslaunch_cli::load_spec_and_host(file, program, loaded)) {
        log_errors(*errors);
        if (args.json) out += eslaunch::render_errors_json(*errors);
        // check reports every problem as a configuration error (eslaunch(1)).
        return eslaunch::status::config;
    }
    return check_loaded(loaded, args, out);
}

int print(const std::string& out, int status) {
    std::fwrite(out.data(), 1, out.size(), stdout);
    return std::fflush(stdout) != 0 ? eslaunch::status::oserr : status;
}

// A section that runs eslaunch: the section as such, then the spec it names.
int check_wrapper(const eslaunch::Spec& section, const eslaunch::WrapperCheck& w, const eslaunch_cli::Words& args) {
    log_error_findings(w.findings);
    int status = has_error(w.findings) ? eslaunch::status::config : eslaunch::status::ok;
    std::string out = args.json ? std::string{} : eslaunch_cli::printable(eslaunch::render_wrapper_text(section, w), true);
    std::string spec_out;
    if (!w.spec.empty() && check_spec(w.spec, w.program, args, spec_out) != eslaunch::status::ok) {
        status = eslaunch::status::config;
    }
    out += args.json ? eslaunch::render_wrapper_json(section, w, spec_out) : spec_out;
    return print(out, status);
}

int run_check(const std::string& file, const eslaunch_cli::Words& args) {
    Loaded loaded;
    std::string out;
    if (auto errors = eslaunch_cli::load_spec_and_host(file, args.program, loaded)) {
        log_errors(*errors);
        if (args.json) out += eslaunch::render_errors_json(*errors);
        print(out, 0);
        return eslaunch::status::config;  // every problem is a configuration error (eslaunch(1))
    }
    if (auto wrapper = eslaunch::check_wrapper_section(loaded.spec)) return check_wrapper(loaded.spec, *wrapper, args);
    const int status = check_loaded(loaded, args, out);
    return print(out, status);
}

// The eslaunch the new section runs: bindir's when this is the installed
// eslaunch-check, else the one beside it (a build tree).
std::string eslaunch_program() {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    const std::filesystem::path beside = self.parent_path() / "eslaunch";
    if (!ec && self.parent_path() != ESLAUNCH_LIBEXECDIR && ::access(beside.c_str(), X_OK) == 0) return beside.string();
    return std::string{ESLAUNCH_BINDIR} + "/eslaunch";
}

// Both files, or neither: the section's path is refused before the spec is written.
std::optional<eslaunch::Error> write_outputs(const eslaunch::Migration& m, const std::string& section_path,
                                             bool default_spec) {
    struct stat st {};
    if (!section_path.empty() && ::lstat(section_path.c_str(), &st) == 0) {
        return eslaunch::write_new_file(section_path, m.section_text);  // refuses: it exists
    }
    if (default_spec) ::mkdir("/etc/eslaunch", 0755);  // the default's directory, if missing
    if (auto error = eslaunch::write_new_file(m.spec_path, m.spec_text)) return error;
    if (section_path.empty()) return std::nullopt;
    auto error = eslaunch::write_new_file(section_path, m.section_text);
    if (error) ::unlink(m.spec_path.c_str());
    return error;
}

// What check finds on the new spec: what is left to the operator.
eslaunch::MigrateLeft check_new_spec(const std::string& spec_path) {
    eslaunch::MigrateLeft left;
    Loaded loaded;
    if (auto errors = eslaunch_cli::load_spec_and_host(spec_path, std::nullopt, loaded)) {
        left.errors = std::move(*errors);
        return left;
    }
    eslaunch::PlanAttempt attempt = eslaunch::plan_for_check(loaded.spec, loaded.host);
    loaded.plan = std::move(attempt.plan);
    eslaunch::CheckFindings found;
    found.plan_errors = std::move(attempt.errors);
    const std::optional<eslaunch::Preflight> preflight = gather_findings(loaded, found);
    left.errors = std::move(found.plan_errors);
    if (auto problem = found.as_user.possible ? eslaunch::watcher_problem(loaded.plan) : std::nullopt) {
        left.errors.push_back(*problem);
    }
    left.findings = std::move(found.launch);
    if (preflight) left.findings.insert(left.findings.end(), preflight->findings.begin(), preflight->findings.end());
    left.warnings = loaded.plan.warnings;
    return left;
}

std::string absolute(const std::string& path) {
    std::error_code ec;
    const std::string out = std::filesystem::absolute(path, ec).lexically_normal().string();
    return ec ? path : out;
}

// `eslaunch migrate`: read, write both files, check the spec, report.
int run_migrate(const eslaunch_cli::Words& args) {
    auto refuse = [&](const eslaunch::Errors& errors) {
        log_errors(errors);
        if (args.json) print(eslaunch::render_errors_json(errors), 0);
        return eslaunch::exit_status(errors);
    };
    const std::string file = absolute(args.files.front());
    auto text = eslaunch::read_old_file(file);
    if (!text) return refuse(text.error());
    eslaunch::MigrateOptions options;
    options.program = args.program;
    options.spec_path = args.spec_out ? absolute(*args.spec_out) : std::string{};
    options.eslaunch = eslaunch_program();
    auto m = eslaunch::migrate_section(*text, file, options);
    if (!m) return refuse(m.error());
    const std::string section_path = args.section_out ? absolute(*args.section_out) : std::string{};
    if (auto error = write_outputs(*m, section_path, !args.spec_out)) return refuse({*error});
    const eslaunch::MigrateLeft left = check_new_spec(m->spec_path);
    if (args.json) return print(eslaunch::render_migrate_json(*m, section_path, left), eslaunch::status::ok);
    // On stdout the section comes first and the report as comments: the
    // output stays a file supervisord reads.
    std::string report = eslaunch::render_migrate_text(*m, section_path, left);
    std::string out = section_path.empty() ? m->section_text + "\n" : std::string{};
    for (std::size_t at = 0, end; at < report.size(); at = end + 1) {
        end = std::min(report.find('\n', at), report.size());
        const std::string line = report.substr(at, end - at);
        out += (section_path.empty() ? (line.empty() ? ";" : "; " + line) : line) + "\n";
    }
    return print(eslaunch_cli::printable(out, true), eslaunch::status::ok);
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
// `--node-http-settings-opensearch` reads opensearch.yml instead.
int node_http_settings_main(const std::vector<std::string_view>& words) {
    if (words.size() < 3 || words[2] != "--") return usage_error(fmt::format("{} CONF_DIR -- ARGV...", words[0]));
    const std::vector<std::string> argv(words.begin() + 3, words.end());
    const bool opensearch = words[0] == "--node-http-settings-opensearch";
    const std::string out = eslaunch::node_http_settings_answer(std::string{words[1]}, argv,
                                                                eslaunch::EnvMap::from_envp(environ), opensearch);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return std::fflush(stdout) == 0 ? eslaunch::status::ok : eslaunch::status::oserr;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> words(argv + 1, argv + argc);
    if (!words.empty() && (words[0] == "--node-http-settings" || words[0] == "--node-http-settings-opensearch")) {
        return node_http_settings_main(words);
    }

    if (!words.empty() && words[0] == "--migrate") {  // `eslaunch migrate ...`
        const auto read = eslaunch_cli::read_words({words.begin() + 1, words.end()}, true, true);
        if (!read) return eslaunch::status::usage;
        if (read->files.size() != 1) return usage_error("migrate needs one FILE, the old supervisord file");
        return run_migrate(*read);
    }
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
