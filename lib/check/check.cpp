#include "eslaunch/check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "check_parts.hpp"
#include "text.hpp"

namespace eslaunch {
using nlohmann::json;

// Shared with migrate's renderers (check_parts.hpp).
std::string check_parts::dump(const json& j) {
    // Environment values come from outside and need not be UTF-8.
    return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

json check_parts::notes_json(const std::vector<Note>& notes) {
    json out = json::array();
    for (const auto& n : notes) {
        out.push_back({{"line", n.line == 0 ? json(nullptr) : json(n.line)}, {"message", n.text}});
    }
    return out;
}

std::string check_parts::findings_text(const std::vector<Finding>& findings, int errors, int warnings) {
    std::string out;
    for (const auto& f : findings) {
        out += fmt::format("  {:<8} {}: {}\n", severity_name(f.severity), f.id, f.message);
        if (!f.where.empty()) out += fmt::format("  {:<8} at: {}\n", "", f.where);
        if (!f.fix.empty()) out += fmt::format("  {:<8} fix: {}\n", "", f.fix);
    }
    return out + fmt::format("  {} error{}, {} warning{}\n", errors, errors == 1 ? "" : "s", warnings,
                             warnings == 1 ? "" : "s");
}

json check_parts::findings_json(const std::vector<Finding>& findings) {
    json out = json::array();
    for (const auto& f : findings) {
        out.push_back({{"severity", std::string{severity_name(f.severity)}},
                       {"id", f.id},
                       {"message", f.message},
                       {"fix", f.fix},
                       {"where", f.where.empty() ? json(nullptr) : json(f.where)},
                       {"status", f.status != 0 ? json(f.status) : json(nullptr)}});
    }
    return out;
}

json check_parts::errors_json(const Errors& errors) {
    json list = json::array();
    for (const auto& e : errors) {
        list.push_back({{"file", e.file},
                        {"line", e.line == 0 ? json(nullptr) : json(e.line)},
                        {"message", e.what},
                        {"hint", e.hint},
                        {"status", e.status}});
    }
    return list;
}

namespace {

using check_parts::dump;
using check_parts::errors_json;
using check_parts::findings_json;
using check_parts::findings_text;
using check_parts::notes_json;

std::string change_name(EnvChange::Kind k) {
    switch (k) {
        case EnvChange::Kind::added: return "added";
        case EnvChange::Kind::changed: return "changed";
        case EnvChange::Kind::removed: return "removed";
    }
    return {};
}

std::string note_text(const Note& n) { return n.line > 0 ? fmt::format("line {}: {}", n.line, n.text) : n.text; }

json limits_json(const LaunchPlan& plan) {
    json out = json::object();
    auto number = [](std::uint64_t n) { return n == limit_infinity ? json("infinity") : json(n); };
    for (const auto& l : plan.limits) {
        out[std::string{limit_key(l.resource)}] = {
            {"current", {{"soft", number(l.current.soft)}, {"hard", number(l.current.hard)}}},
            {"planned", {{"soft", number(l.planned.soft)}, {"hard", number(l.planned.hard)}}},
            {"required", l.required}};
        if (!l.why.empty()) out[std::string{limit_key(l.resource)}]["why"] = l.why;
    }
    return out;
}

json heap_json(const LaunchPlan& plan) {
    const HeapPlan& h = plan.heap;
    json out;
    out["size"] = h.bytes ? json(format_jvm_size(*h.bytes)) : json(nullptr);
    out["bytes"] = h.bytes ? json(*h.bytes) : json(nullptr);
    out["via"] = h.via.empty() ? json(nullptr) : json(h.via);
    out["passed"] = h.passed.empty() ? json(nullptr) : json(h.passed);
    out["version"] = h.version ? json(h.version->str()) : json(nullptr);
    // The name of eslaunch 0.1, kept for Elasticsearch.
    if (plan.profile != Profile::opensearch) out["elasticsearch_version"] = out["version"];
    out["version_source"] = h.version_source.empty() ? json(nullptr) : json(h.version_source);
    out["memory_limit"] = h.memory_limit;
    out["memory_limit_source"] = h.memory_limit_source;
    out["overrides"] = h.overrides;
    return out;
}



// Who tells whom that the program is ready.
std::string reporter(const ReadinessPlan& r) {
    if (r.probe.kind == ReadyProbe::Kind::native) return "the program itself (NOTIFY_SOCKET passed through)";
    if (!r.watcher) return "nobody: no probe, and no systemd waiting (NOTIFY_SOCKET unset)";
    return fmt::format("{} -> {}", *r.watcher,
                       r.notify ? "systemd (NOTIFY_SOCKET)" : "a line on stderr (no NOTIFY_SOCKET: not under systemd)");
}

json readiness_json(const ReadinessPlan& r) {
    return {{"probe", r.probe.str()},
            {"source", r.source},
            {"notify", r.notify},
            {"watchdog", r.watchdog},
            {"reported_by", reporter(r)},
            {"watcher", r.watcher ? json(*r.watcher) : json(nullptr)},
            {"watcher_argv", r.watcher_argv}};
}

// Which process is the main one (systemd's MainPID, supervisord's pid):
// bin/elasticsearch execs the JVM, but from 8.3 a small CLI JVM that starts
// the server JVM as its child. "" when not Elasticsearch of a known version.
std::string main_process(const LaunchPlan& plan) {
    if (plan.profile == Profile::opensearch) return "the JVM itself (bin/opensearch execs it), which systemd and supervisord signal";
    if (plan.profile != Profile::elasticsearch || !plan.heap.version) return "";
    if (*plan.heap.version >= EsVersion{8, 3, 0}) {
        return "Elasticsearch's CLI JVM (-Xmx64m), which systemd and supervisord signal; it starts the server JVM "
               "as its child (the heap above; the same user and limits) and stops it on SIGTERM";
    }
    return "the JVM itself, which systemd and supervisord signal";
}

// The rows at the top of check's text: what runs, as whom and where.
std::string program_rows(const Spec& spec, const LaunchPlan& plan, const AsUser& as) {
    std::string out;
    auto row = [&](std::string_view name, std::string_view value) { out += fmt::format("  {:<12} {}\n", name, value); };
    row("program", fmt::format("{} (line {})", spec.program, spec.section_line));
    row("profile", plan.profile == spec.profile
                       ? fmt::format("{} ({})", profile_name(plan.profile), profile_reason(spec))
                       : fmt::format("{} (auto: {} found)", profile_name(plan.profile), plan.heap.version_source));
    row("executable", plan.executable);
    row("argv", join_words(plan.argv));
    if (const std::string main = main_process(plan); !main.empty()) row("main process", main);
    const std::string groups = gid_list(plan.groups);
    row("user", !as.possible          ? fmt::format("{} (not usable on this host: see the errors above)", as.user)
                : plan.change_identity ? fmt::format("{} (uid {}, gid {}, groups {})", plan.user_name, plan.uid, plan.gid, groups)
                               : fmt::format("{} (uid {}: eslaunch's own, unchanged)", plan.user_name, plan.uid));
    row("directory", spec.directory.value_or("not set (stays where eslaunch starts)"));
    row("umask", spec.umask ? format_umask(*spec.umask) : "inherited");
    return out;
}

// The environment row and each change to eslaunch's own environment.
std::string environment_rows(const Spec& spec, const EnvMap& own_env, const EnvMap& env) {
    const auto changes = environment_changes(own_env, env);
    std::string out = fmt::format("  {:<12} {}\n", "environment",
                                  spec.clear_environment ? "cleared (clear_environment=true), then:"
                                  : changes.empty()      ? "eslaunch's own, unchanged"
                                                         : "eslaunch's own, with:");
    for (const auto& c : changes) {
        if (spec.clear_environment && c.kind == EnvChange::Kind::removed) continue;
        switch (c.kind) {
            case EnvChange::Kind::added: out += fmt::format("{:15}+ {}={}\n", "", c.name, c.value); break;
            case EnvChange::Kind::changed:
                out += fmt::format("{:15}~ {}={} (was {})\n", "", c.name, c.value, c.old_value);
                break;
            case EnvChange::Kind::removed: out += fmt::format("{:15}- {}\n", "", c.name); break;
        }
    }
    return out;
}

// The limits, the heap and readiness, as the plan has them.
std::string plan_sections(const LaunchPlan& plan) {
    std::string out;
    if (!plan.limits.empty()) {
        out += "\nlimits (current -> planned):\n";
        for (const auto& l : plan.limits) {
            out += fmt::format("  {:<14} {} -> {} ({})\n", limit_key(l.resource), format_limit(l.resource, l.current),
                               format_limit(l.resource, l.planned),
                               !l.why.empty() ? "required: " + cut(l.why, 200)
                               : l.required   ? std::string{"required"}
                                              : std::string{"best effort"});
        }
    }
    const TmpdirPlan& tmp = plan.tmpdir;
    if (!tmp.source.empty()) {
        out += "\ntmpdir:\n";
        out += fmt::format("  {:<14} {} ({})\n", "path", tmp.path.empty() ? "none" : cut(tmp.path, 200), tmp.source);
        if (!tmp.passed.empty()) {
            out += fmt::format("  {:<14} {}, created by eslaunch as root: owned by {}, mode 0700\n", "passed as",
                               tmp.passed, plan.user_name);
        }
    }
    const HeapPlan& heap = plan.heap;
    out += "\nheap:\n";
    out += fmt::format("  {:<14} {}\n", "size", heap.bytes ? format_jvm_size(*heap.bytes) : "not set by eslaunch");
    if (!heap.passed.empty()) out += fmt::format("  {:<14} {}\n", "passed as", heap.passed);
    out += fmt::format("  {:<14} {}\n", plan.profile == Profile::opensearch ? "opensearch" : "elasticsearch",
                       heap.version ? fmt::format("{} ({})", heap.version->str(), heap.version_source)
                                    : std::string{"not found"});
    if (heap.memory_limit > 0) {
        out += fmt::format("  {:<14} {:.1f} GiB ({})\n", "memory limit",
                           static_cast<double>(heap.memory_limit) / (1 << 30), heap.memory_limit_source);
    }
    for (const auto& o : heap.overrides) out += fmt::format("  {:<14} {}\n", "overrides", o);
    const ReadinessPlan& ready = plan.readiness;
    out += "\nreadiness:\n";
    out += fmt::format("  {:<14} {} ({})\n", "probe", ready.probe.str(), ready.source);
    out += fmt::format("  {:<14} {}\n", "reported by", reporter(ready));
    if (ready.watchdog) out += fmt::format("  {:<14} {}\n", "watchdog", "WATCHDOG=1 while the probe passes");
    return out;
}

// The settings as resolved_settings gives them, but es_path_conf as the
// node reads it when a package's environment file sets ES_PATH_CONF.
std::vector<Setting> settings_of(const Spec& spec, const LaunchPlan& plan) {
    std::vector<Setting> settings = resolved_settings(spec, plan.environment, plan.heap.version);
    const EnvFilePlan& f = plan.env_file;
    if (f.path.empty() || !f.conf_dir_source.starts_with(f.path + ":")) return settings;
    for (Setting& s : settings) {
        if (s.key == "es_path_conf") s = {s.key, f.conf_dir, Setting::Source::derived, "from " + f.conf_dir_source};
    }
    return settings;
}

// The environment file a package's bin/elasticsearch-env sources, what it
// sets and what that changes.
std::string env_file_section(const EnvFilePlan& f) {
    if (f.layout.empty()) return {};
    std::string out = "\nenvironment file:\n";
    auto row = [&](std::string_view name, std::string_view value) { out += fmt::format("  {:<14} {}\n", name, value); };
    row("layout", fmt::format("{} ({})", f.layout, f.layout_source));
    if (!f.path.empty()) row("file", f.path);
    std::vector<std::string> sets;
    for (const auto& a : f.assignments) sets.push_back(fmt::format("{} (line {})", a.name, a.line));
    if (!f.path.empty()) row("sets", sets.empty() ? std::string{"nothing eslaunch can read"} : cut_list(sets));
    row("config dir", f.conf_dir.empty() ? std::string{"none"} : fmt::format("{} ({})", f.conf_dir, f.conf_dir_source));
    const int warnings = static_cast<int>(f.findings.size());
    return out + findings_text(f.findings, 0, warnings);
}

json env_file_json(const EnvFilePlan& f) {
    if (f.layout.empty()) return nullptr;
    json assignments = json::array();
    for (const auto& a : f.assignments) assignments.push_back({{"name", a.name}, {"value", a.value}, {"line", a.line}});
    return {{"layout", f.layout},
            {"layout_source", f.layout_source},
            {"path", f.path.empty() ? json(nullptr) : json(f.path)},
            {"assignments", std::move(assignments)},
            {"config_dir", f.conf_dir.empty() ? json(nullptr) : json(f.conf_dir)},
            {"config_dir_source", f.conf_dir_source.empty() ? json(nullptr) : json(f.conf_dir_source)},
            {"findings", findings_json(f.findings)}};
}

// Every key resolved, the keys left to supervisord, the warnings and where
// supervisord differs.
std::string spec_sections(const Spec& spec, const LaunchPlan& plan) {
    std::string out = "\nsettings:\n";
    for (const auto& s : settings_of(spec, plan)) {
        std::string source{source_name(s.source)};
        if (s.source == Setting::Source::spec) source = fmt::format("spec line {}", spec.line_of(s.key));
        if (!s.detail.empty()) source += ", " + s.detail;
        out += fmt::format("  {:<20} {:<24} {}\n", s.key, s.value.empty() ? "-" : s.value, source);
    }
    if (!spec.supervisord_only.empty()) {
        out += "\nleft to supervisord:\n";
        for (const auto& k : spec.supervisord_only) out += fmt::format("  {}={} (line {})\n", k.key, k.value, k.line);
    }
    if (!plan.warnings.empty()) {
        out += "\nwarnings:\n";
        for (const auto& n : plan.warnings) out += "  " + note_text(n) + "\n";
    }
    if (const auto differences = supervisord_differences(spec); !differences.empty()) {
        out += "\ndifferences from supervisord:\n";
        for (const auto& n : differences) out += "  " + note_text(n) + "\n";
    }
    return out;
}

// The head of the text: valid, or the errors that stop the launch here.
std::string header_text(const Spec& spec, const Errors& plan_errors) {
    if (plan_errors.empty()) return fmt::format("{}: [program:{}] is valid\n\n", spec.file, spec.program);
    std::string out = fmt::format("{}: [program:{}] cannot be launched on this host ({} error{}); the rest of the "
                                  "plan follows:\n",
                                  spec.file, spec.program, plan_errors.size(), plan_errors.size() == 1 ? "" : "s");
    for (const auto& e : plan_errors) out += fmt::format("  error    {} (status {})\n", e.str(), e.status);
    return out + "\n";
}

// directory= and the program, and as whom they were tested.
std::string launch_text(const LaunchPlan& plan, const CheckFindings& found) {
    const int errors = static_cast<int>(std::count_if(found.launch.begin(), found.launch.end(), [](const Finding& f) {
        return f.severity == Finding::Severity::error;
    }));
    const std::string as = found.as_user.possible
                               ? fmt::format("tested as user {} (uid {})", plan.user_name, plan.uid)
                               : std::string{"not tested as the user: only what stat() tells"};
    return fmt::format("\nlaunch (directory= and the program, {}):\n", as) +
           findings_text(found.launch, errors, static_cast<int>(found.launch.size()) - errors);
}

std::string_view java_status_name(JavaFacts::Status s) {
    switch (s) {
        case JavaFacts::Status::ran: return "ran";
        case JavaFacts::Status::not_found: return "not_found";
        case JavaFacts::Status::failed: return "failed";
    }
    return {};
}

// The java the node's launch script runs, why, and what it said it is.
json java_json(const std::optional<JavaFacts>& java) {
    if (!java) return nullptr;
    const JavaFacts& j = *java;
    return {{"path", j.path.empty() ? json(nullptr) : json(j.path)},
            {"source", j.source},
            {"why", j.why},
            {"status", std::string{java_status_name(j.status)}},
            {"version", j.version.empty() ? json(nullptr) : json(j.version)},
            {"major", j.major > 0 ? json(j.major) : json(nullptr)}};
}

json preflight_json(const Preflight& preflight) {
    const bool es = preflight.product == "Elasticsearch";
    json out = {{"product", es ? "elasticsearch" : "opensearch"},
                {"version", preflight.version},
                {"settings_file", preflight.yml.empty() ? json(nullptr) : json(preflight.yml)},
                {"bootstrap_checks_enforced", preflight.bootstrap_enforced},
                {"mode_reason", preflight.mode_reason},
                {"java", java_json(preflight.java)},
                {"keystore", preflight.keystore.empty() ? json(nullptr) : json(preflight.keystore)},
                {"errors", preflight.errors()},
                {"warnings", preflight.warnings()}};
    if (es) {  // the names of eslaunch 0.1, kept for Elasticsearch
        out["elasticsearch_version"] = out["version"];
        out["elasticsearch_yml"] = out["settings_file"];
    }
    return out;
}

std::string preflight_text(const Preflight& preflight) {
    const bool es = preflight.product == "Elasticsearch";
    std::string out = fmt::format("\npreflight ({} {}, {}):\n", preflight.product, preflight.version,
                                  !preflight.yml.empty() ? preflight.yml
                                  : es                   ? std::string{"no elasticsearch.yml"}
                                                         : std::string{"no opensearch.yml"});
    out += fmt::format("  bootstrap checks {}: {}\n", preflight.bootstrap_enforced ? "enforced" : "not enforced",
                       preflight.mode_reason);
    if (const auto& j = preflight.java) {
        out += fmt::format("  JVM: {} ({}: {}){}\n", j->path.empty() ? "none in PATH" : j->path, j->source, j->why,
                           j->version.empty() ? "" : ", " + j->version);
    }
    if (!preflight.keystore.empty()) out += fmt::format("  keystore: {}\n", preflight.keystore);
    return out + findings_text(preflight.findings, preflight.errors(), preflight.warnings());
}

}  // namespace

namespace {

// The plan's part of check's JSON: what runs, as whom, with what.
json plan_json(const Spec& spec, const LaunchPlan& plan, const EnvMap& own_env, const AsUser& as) {
    const EnvMap& env = plan.environment;
    json j;
    j["file"] = spec.file;
    j["program"] = spec.program;
    j["profile"] = std::string{profile_name(plan.profile)};
    j["command"] = spec.command;
    j["executable"] = plan.executable;
    j["argv"] = plan.argv;
    if (const std::string main = main_process(plan); !main.empty()) j["main_process"] = main;
    j["user"] = spec.user ? json(spec.user->text) : json(nullptr);
    j["group"] = spec.group ? json(spec.group->text) : json(nullptr);
    // Ids this host does not have are null (the errors say why).
    auto known = [&](const json& v) { return as.possible ? v : json(nullptr); };
    j["identity"] = {{"change", plan.change_identity},
                     {"user", plan.user_name},
                     {"uid", known(plan.uid)},
                     {"gid", known(plan.gid)},
                     {"groups", known(plan.groups)}};
    j["limits"] = limits_json(plan);
    j["heap"] = heap_json(plan);
    j["tmpdir"] = {{"path", plan.tmpdir.path.empty() ? json(nullptr) : json(plan.tmpdir.path)},
                   {"source", plan.tmpdir.source},
                   {"passed", plan.tmpdir.passed}};
    j["readiness"] = readiness_json(plan.readiness);
    j["environment_file"] = env_file_json(plan.env_file);
    j["no_new_privileges"] = plan.no_new_privileges;
    j["directory"] = spec.directory ? json(*spec.directory) : json(nullptr);
    j["umask"] = spec.umask ? json(format_umask(*spec.umask)) : json(nullptr);
    json environment = json::object();
    for (const auto& [k, v] : env.vars()) environment[k] = v;
    j["environment"] = std::move(environment);
    json changes = json::array();
    for (const auto& c : environment_changes(own_env, env)) {
        json change = {{"name", c.name}, {"change", change_name(c.kind)}};
        if (c.kind != EnvChange::Kind::removed) change["value"] = c.value;
        if (c.kind != EnvChange::Kind::added) change["was"] = c.old_value;
        changes.push_back(std::move(change));
    }
    j["environment_changes"] = std::move(changes);
    return j;
}

}  // namespace

std::string render_check_json(const Spec& spec, const LaunchPlan& plan, const EnvMap& own_env,
                              const CheckFindings& found) {
    json j = plan_json(spec, plan, own_env, found.as_user);
    j["valid"] = found.plan_errors.empty();
    j["errors"] = errors_json(found.plan_errors);
    json settings = json::object();
    for (const auto& s : settings_of(spec, plan)) {
        settings[s.key] = {{"value", s.value.empty() ? json(nullptr) : json(s.value)},
                           {"source", std::string{source_name(s.source)}},
                           {"detail", s.detail}};
    }
    j["settings"] = std::move(settings);
    json left = json::object();
    for (const auto& k : spec.supervisord_only) left[k.key] = {{"value", k.value}, {"line", k.line}};
    j["supervisord_only"] = std::move(left);
    j["warnings"] = notes_json(plan.warnings);
    j["differences"] = notes_json(supervisord_differences(spec));
    const Preflight* preflight = found.preflight;
    std::vector<Finding> findings = found.launch;
    j["preflight"] = preflight != nullptr ? preflight_json(*preflight) : json(nullptr);
    if (preflight != nullptr) findings.insert(findings.end(), preflight->findings.begin(), preflight->findings.end());
    j["findings"] = findings_json(findings);
    return dump(j);
}

std::string render_check_json(const Spec& spec, const LaunchPlan& plan, const EnvMap& own_env,
                              const Preflight* preflight) {
    CheckFindings found;
    found.preflight = preflight;
    return render_check_json(spec, plan, own_env, found);
}

std::string render_errors_json(const Errors& errors) {
    return dump({{"valid", false}, {"errors", errors_json(errors)}});
}

std::string render_check_text(const Spec& spec, const LaunchPlan& plan, const EnvMap& own_env,
                              const CheckFindings& found) {
    std::string out = header_text(spec, found.plan_errors);
    out += program_rows(spec, plan, found.as_user);
    out += environment_rows(spec, own_env, plan.environment);
    out += plan_sections(plan);
    out += env_file_section(plan.env_file);
    out += spec_sections(spec, plan);
    if (found.paths_checked) out += launch_text(plan, found);
    if (found.preflight != nullptr) out += preflight_text(*found.preflight);
    return out;
}

std::string render_check_text(const Spec& spec, const LaunchPlan& plan, const EnvMap& own_env,
                              const Preflight* preflight) {
    CheckFindings found;
    found.preflight = preflight;
    return render_check_text(spec, plan, own_env, found);
}

std::string render_cluster_json(const ClusterReport& report) {
    json nodes = json::array();
    for (const auto& n : report.nodes) {
        nodes.push_back({{"file", n.file},
                         {"name", n.name.empty() ? json(nullptr) : json(n.name)},
                         {"address", n.address.empty() ? json(nullptr) : json(n.address)},
                         {"roles", n.roles},
                         {"master_eligible", n.master_eligible},
                         {"product", n.product},
                         {"version", n.version}});
    }
    json j;
    j["valid"] = true;
    j["cluster_name"] = report.cluster_name;
    j["product"] = report.product;
    j["nodes"] = std::move(nodes);
    j["master_eligible"] = report.master_eligible;
    j["quorum"] = report.quorum;
    j["tolerated_losses"] = report.tolerated;
    j["discovery"] = report.discovery;
    j["errors"] = report.errors();
    j["warnings"] = report.warnings();
    j["findings"] = findings_json(report.findings);
    return dump(j);
}

std::string render_cluster_text(const ClusterReport& report) {
    const int m = report.master_eligible;
    const bool os = report.product == "opensearch";  // OpenSearch's words
    const std::string_view eligible = os ? "cluster-manager-eligible" : "master-eligible";
    std::string out = fmt::format("cluster {}{}: {} node{}, {} {}", cut(report.cluster_name), os ? " (OpenSearch)" : "",
                                  report.nodes.size(), report.nodes.size() == 1 ? "" : "s", m, eligible);
    if (m > 0) {
        out += fmt::format(" (a quorum is {}): it tolerates losing {}", report.quorum, report.tolerated);
    }
    out += "\n";
    if (report.discovery == "zen") {
        out += fmt::format("discovery: zen (up to 6.x): discovery.zen.minimum_master_nodes must be {} on every node\n",
                           report.quorum);
    } else if (report.discovery == "7.x+") {
        out += fmt::format("discovery: 7.x+ ({}the quorum is kept automatically): the seed hosts must reach every {} "
                           "node\n",
                           os ? "OpenSearch, forked from 7.10; " : "", eligible);
    } else if (report.discovery == "mixed") {
        out += "discovery: mixed (zen and 7.x+ settings)\n";
    } else {
        out += "discovery: unknown (no discovery settings)\n";
    }
    // A table with columns as wide as their widest cell; values from the
    // files cut, so that one cannot widen every line.
    std::vector<std::array<std::string, 5>> rows = {{"node", "address", "roles", "version", "file"}};
    for (const auto& n : report.nodes) {
        std::string roles;
        for (const auto& r : n.roles) roles += (roles.empty() ? "" : ",") + r;
        rows.push_back({n.name.empty() ? "-" : cut(n.name), n.address.empty() ? "-" : cut(n.address),
                        roles.empty() ? "coordinating" : cut(roles),
                        n.product == "opensearch" ? "OpenSearch " + n.version : n.version, n.file});
    }
    std::array<std::size_t, 5> width{};
    for (const auto& row : rows) {
        for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    }
    out += "\n";
    for (const auto& row : rows) {
        std::string line = " ";
        for (std::size_t c = 0; c + 1 < row.size(); ++c) line += fmt::format(" {:<{}} ", row[c], width[c]);
        out += line + " " + row.back() + "\n";
    }
    out += '\n';
    out += findings_text(report.findings, report.errors(), report.warnings());
    return out;
}

}  // namespace eslaunch
