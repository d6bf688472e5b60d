// eslaunch: reads a program spec, plans the launch and execs the program in
// the foreground (`eslaunch FILE`), or shows the plan (`eslaunch check FILE`).
// Parses arguments, calls the library, prints errors once, returns the status.
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

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

extern char** environ;

namespace {

constexpr std::string_view usage_text =
    "usage: eslaunch [--program NAME] FILE\n"
    "       eslaunch check [--program NAME] [--json] FILE\n"
    "       eslaunch check --cluster [--json] NODE.yml...\n"
    "       eslaunch --help | --version\n";

constexpr std::string_view help_text =
    "eslaunch: start Elasticsearch (or any JVM or plain service) correctly under systemd or supervisord.\n"
    "\n"
    "usage: eslaunch [--program NAME] FILE\n"
    "       eslaunch check [--program NAME] [--json] FILE\n"
    "       eslaunch check --cluster [--json] NODE.yml...\n"
    "       eslaunch --help | --version\n"
    "\n"
    "  FILE              raise the limits, drop privileges, set the environment and heap, and exec\n"
    "                    the program of the [program:NAME] section of FILE in the foreground\n"
    "  check FILE        print what eslaunch will do with FILE and, for Elasticsearch, the preflight\n"
    "                    findings (bootstrap checks, java, paths, probe); exit 0 when valid, 78 if\n"
    "                    the spec is invalid or a finding is an error\n"
    "  check --cluster NODE.yml...\n"
    "                    read the elasticsearch.yml of every node of a cluster: nodes, roles, the quorum\n"
    "                    of master-eligible nodes, minimum_master_nodes (up to 6.x), initial_master_nodes\n"
    "                    and seed hosts (7.x+), cluster.name, node.name; exit 78 on an error\n"
    "  --program NAME    the section to use when FILE holds several [program:*] sections\n"
    "  --json            (check) print one JSON object instead of text\n"
    "  --help            this text\n"
    "  --version         the version\n"
    "\n"
    "Exit statuses (systemd's): 64 bad usage, 78 invalid spec, 71 system error, 200 directory,\n"
    "203 exec, 205 limits, 216 group, 217 user, 227 no_new_privileges.\n"
    "Errors name FILE:LINE and the fix. The spec format: README.md and eslaunch.ini(5).\n";

void log_line(int priority, std::string_view level, std::string_view text) {
    static const bool journal = eslaunch::stderr_is_journal();
    if (journal) fmt::print(stderr, "<{}>eslaunch: {}: {}\n", priority, level, text);
    else fmt::print(stderr, "eslaunch: {}: {}\n", level, text);
    std::fflush(stderr);
}

void log_errors(const eslaunch::Errors& errors) {
    for (const auto& e : errors) log_line(3, "error", e.str());
}

// Each finding that is an error, once more on stderr, as every error is.
void log_error_findings(const std::vector<eslaunch::Finding>& findings) {
    for (const auto& f : findings) {
        if (f.severity != eslaunch::Finding::Severity::error) continue;
        log_line(3, "error", eslaunch::Error{eslaunch::status::config, f.where, 0, f.message, f.fix}.str());
    }
}

int usage_error(std::string_view message) {
    log_line(3, "error", message);
    fmt::print(stderr, "{}", usage_text);
    return eslaunch::status::usage;
}

struct Args {
    bool check = false;
    bool cluster = false;
    std::optional<std::string> program;
    bool json = false;
    std::string file;
    std::vector<std::string> files;  // --cluster
};

struct Loaded {
    eslaunch::Spec spec;
    eslaunch::HostFacts host;
    eslaunch::LaunchPlan plan;
};

// eslaunch's own environment goes to the spec's parse, then moves into
// `host.environ`. Fills `loaded` in place (no Loaded to move and destroy
// again); the errors when it fails.
std::optional<eslaunch::Errors> load(const Args& args, Loaded& loaded) {
    eslaunch::ParseContext context;
    context.environ = eslaunch::EnvMap::from_envp(environ);
    utsname names{};
    if (::uname(&names) == 0) context.host_node_name = names.nodename;
    context.program = args.program;
    auto spec = eslaunch::load_spec(args.file, context);
    if (!spec) return std::move(spec.error());
    loaded.spec = std::move(*spec);
    loaded.host = eslaunch::gather_host_facts(loaded.spec, std::move(context.environ),
                                              {ESLAUNCH_BINDIR, ESLAUNCH_LIBEXECDIR});
    auto plan = eslaunch::plan_launch_reading_node_settings(loaded.spec, loaded.host);
    if (!plan) return std::move(plan.error());
    loaded.plan = std::move(*plan);
    return std::nullopt;
}

int run_check(const Args& args) {
    Loaded loaded_value;
    Loaded* const loaded = &loaded_value;
    if (auto errors = load(args, loaded_value)) {
        const eslaunch::Errors& failed = *errors;
        log_errors(failed);
        if (args.json) fmt::print("{}", eslaunch::render_errors_json(failed));
        // check reports every problem as a configuration error (SPEC.md).
        return eslaunch::status::config;
    }
    const eslaunch::EnvMap& own = loaded->host.environ;
    // Only check reads elasticsearch.yml and runs java: a launch never does.
    std::optional<eslaunch::Preflight> preflight;
    if (loaded->plan.profile == eslaunch::Profile::elasticsearch) {
        const auto facts = eslaunch::gather_preflight_facts(loaded->spec, loaded->plan, loaded->host);
        preflight = eslaunch::evaluate_preflight(loaded->spec, loaded->plan, loaded->host, facts);
    }
    const eslaunch::Preflight* pre = preflight ? &*preflight : nullptr;
    const std::string out = args.json ? eslaunch::render_check_json(loaded->spec, loaded->plan, own, pre)
                                      : eslaunch::render_check_text(loaded->spec, loaded->plan, own, pre);
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (std::fflush(stdout) != 0) return eslaunch::status::oserr;
    if (pre != nullptr && pre->errors() > 0) {
        log_error_findings(pre->findings);
        return eslaunch::status::config;
    }
    return eslaunch::status::ok;
}

int run_cluster(const Args& args) {
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
    const std::string out = args.json ? eslaunch::render_cluster_json(report) : eslaunch::render_cluster_text(report);
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (std::fflush(stdout) != 0) return eslaunch::status::oserr;
    log_error_findings(report.findings);
    return report.errors() > 0 ? eslaunch::status::config : eslaunch::status::ok;
}

int run_launch(const Args& args) {
    Loaded loaded_value;
    Loaded* const loaded = &loaded_value;
    if (auto errors = load(args, loaded_value)) {
        log_errors(*errors);
        return eslaunch::exit_status(*errors);
    }
    for (const auto& w : loaded->plan.warnings) {
        log_line(4, "warning", w.line > 0 ? fmt::format("{}:{}: {}", loaded->spec.file, w.line, w.text)
                                          : fmt::format("{}: {}", loaded->spec.file, w.text));
    }
    eslaunch::RealSyscalls sys;
    const eslaunch::Error error =
        eslaunch::apply_plan(loaded->plan, sys, eslaunch::listen_fds(loaded->plan.environment, ::getpid()));
    log_line(3, "error", error.str());
    return error.status;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> words(argv + 1, argv + argc);
    if (words.empty()) return usage_error("no FILE given");
    if (words[0] == "--help" || words[0] == "-h") {
        fmt::print("{}", help_text);
        return eslaunch::status::ok;
    }
    if (words[0] == "--version") {
        fmt::print("eslaunch {}\n", ESLAUNCH_VERSION);
        return eslaunch::status::ok;
    }

    Args args;
    std::size_t i = 0;
    if (words[0] == "check") {
        args.check = true;
        i = 1;
    }
    bool files_only = false;
    std::vector<std::string> files;
    for (; i < words.size(); ++i) {
        std::string_view a = words[i];
        if (files_only || !a.starts_with("-") || a == "-") {
            files.emplace_back(a);
        } else if (a == "--") {
            files_only = true;
        } else if (a == "--json" && args.check) {
            args.json = true;
        } else if (a == "--cluster" && args.check) {
            args.cluster = true;
        } else if (a == "--program") {
            if (i + 1 == words.size()) return usage_error("--program needs a NAME");
            args.program = std::string{words[++i]};
        } else if (a.starts_with("--program=")) {
            args.program = std::string{a.substr(10)};
        } else {
            return usage_error(fmt::format("unknown option '{}'", a));
        }
    }
    if (args.program && args.program->empty()) return usage_error("--program needs a NAME");
    if (args.cluster) {
        if (args.program) return usage_error("--cluster reads elasticsearch.yml files: --program has no meaning there");
        if (files.empty()) return usage_error("check --cluster needs the elasticsearch.yml of each node");
        args.files = std::move(files);
        return run_cluster(args);
    }
    if (files.empty()) return usage_error(args.check ? "check needs a FILE" : "no FILE given");
    if (files.size() > 1) return usage_error(fmt::format("one FILE, not {}", files.size()));
    args.file = files.front();
    return args.check ? run_check(args) : run_launch(args);
}
