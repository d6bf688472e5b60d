// What migrate prints, and check of a section whose command= runs eslaunch
// (the wrapper migrate writes, units/supervisor/elasticsearch.conf.in).
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "check_parts.hpp"
#include "eslaunch/migrate.hpp"
#include "eslaunch/values.hpp"

namespace eslaunch {
namespace {

using nlohmann::json;

const SupervisordKey* supervisord_key(const Spec& s, std::string_view key) {
    for (const auto& k : s.supervisord_only) {
        if (k.key == key) return &k;
    }
    return nullptr;
}

std::string where(const Spec& s, int line) { return fmt::format("{}:{}", s.file, line > 0 ? line : s.section_line); }

// command=eslaunch [--program NAME] FILE: the spec and its section.
void read_wrapper_argv(const Spec& section, WrapperCheck& w) {
    const auto& argv = section.argv;
    std::vector<std::string> files;
    bool bad = false;
    for (std::size_t i = 1; i < argv.size(); ++i) {
        if (argv[i] == "--program" && i + 1 < argv.size()) w.program = argv[++i];
        else if (argv[i].starts_with("--program=")) w.program = argv[i].substr(10);
        else if (argv[i].starts_with("-")) bad = true;
        else files.push_back(argv[i]);
    }
    const std::string at = where(section, section.line_of("command"));
    if (bad || files.size() > 1) {
        w.findings.push_back({Finding::Severity::error, "wrapper-command",
                              fmt::format("command= runs eslaunch with '{}'", cut(join_words(argv))),
                              "command=eslaunch [--program NAME] /etc/eslaunch/NAME.ini", at, status::usage});
    } else if (files.empty()) {
        w.findings.push_back({Finding::Severity::error, "wrapper-command", "command= runs eslaunch without a spec",
                              "command=eslaunch /etc/eslaunch/NAME.ini", at, status::usage});
    } else if (files.front().front() != '/') {
        w.findings.push_back({Finding::Severity::error, "wrapper-command",
                              fmt::format("the spec '{}' is a relative path: supervisord runs eslaunch in its own "
                                          "working directory",
                                          cut(files.front())),
                              "write the spec's absolute path", at, 0});
    } else {
        w.spec = files.front();
    }
}

// user= (wrong here), environment=, and how supervisord stops the node.
void check_wrapper_keys(const Spec& section, WrapperCheck& w) {
    if (section.user) {
        w.findings.push_back({Finding::Severity::error, "wrapper-user",
                              fmt::format("user={} in the section that runs eslaunch: supervisord drops to that user "
                                          "before eslaunch starts, so eslaunch cannot raise the hard limits (only "
                                          "root can)",
                                          cut(section.user->text)),
                              "remove user= here: the spec's user= names the node's user, and eslaunch drops to it "
                              "after the limits",
                              where(section, section.line_of("user")), 0});
    }
    if (!section.environment.empty()) {
        w.findings.push_back({Finding::Severity::warning, "wrapper-environment",
                              "environment= here reaches the node through eslaunch, but check of the spec does not "
                              "see it",
                              "move it into the spec's environment=", where(section, section.line_of("environment")), 0});
    }
    const SupervisordKey* signal = supervisord_key(section, "stopsignal");
    if (signal != nullptr && signal->value != "TERM" && signal->value != "SIGTERM") {
        w.findings.push_back({Finding::Severity::warning, "wrapper-stopsignal",
                              fmt::format("stopsignal={}: Elastic's own unit stops the node with SIGTERM and counts "
                                          "exit 143 as clean (the JVM exits 130 on SIGINT)",
                                          cut(signal->value)),
                              "stopsignal=TERM", where(section, signal->line), 0});
    }
    const SupervisordKey* wait = supervisord_key(section, "stopwaitsecs");
    const auto secs = wait != nullptr ? parse_decimal(wait->value) : std::nullopt;
    if (wait == nullptr || (secs && *secs < 120)) {
        w.findings.push_back({Finding::Severity::warning, "wrapper-stopwaitsecs",
                              fmt::format("stopwaitsecs={}: supervisord SIGKILLs the node that long after the stop "
                                          "signal, which can cut its flush short",
                                          wait == nullptr ? std::string{"10 (supervisord's default)"} : wait->value),
                              "stopwaitsecs=300 (Elastic's unit waits without limit: TimeoutStopSec=0)",
                              where(section, wait == nullptr ? 0 : wait->line), 0});
    }
    const SupervisordKey* start = supervisord_key(section, "startsecs");
    w.notes.push_back({start == nullptr ? section.section_line : start->line,
                       fmt::format("startsecs={}: {}", start == nullptr ? "1 (supervisord's default)" : start->value,
                                   startsecs_advice)});
}

int count_errors(const std::vector<Finding>& findings) {
    return static_cast<int>(std::count_if(findings.begin(), findings.end(),
                                          [](const Finding& f) { return f.severity == Finding::Severity::error; }));
}

json changes_json(const std::vector<MigrateChange>& changes) {
    json out = json::array();
    for (const auto& c : changes) {
        out.push_back({{"line", c.line == 0 ? json(nullptr) : json(c.line)},
                       {"key", c.key},
                       {"from", c.from.empty() ? json(nullptr) : json(c.from)},
                       {"to", c.to.empty() ? json(nullptr) : json(c.to)},
                       {"in", c.target},
                       {"why", c.why}});
    }
    return out;
}

json losses_json(const std::vector<MigrateLoss>& losses) {
    json out = json::array();
    for (const auto& l : losses) {
        out.push_back({{"line", l.line}, {"kept_line", l.kept_line}, {"key", l.key}, {"value", l.value},
                       {"message", l.what}});
    }
    return out;
}

std::size_t left_count(const MigrateLeft& left) { return left.errors.size() + left.findings.size() + left.warnings.size(); }

}  // namespace

std::optional<WrapperCheck> check_wrapper_section(const Spec& section) {
    if (section.argv.empty()) return std::nullopt;
    const std::string& program = section.argv.front();
    if (program != "eslaunch" && !program.ends_with("/eslaunch")) return std::nullopt;
    WrapperCheck w;
    read_wrapper_argv(section, w);
    check_wrapper_keys(section, w);
    return w;
}

std::string render_wrapper_text(const Spec& section, const WrapperCheck& w) {
    std::string out = fmt::format("{}: [program:{}] runs eslaunch: checked as the section that starts it, then the "
                                  "spec it names\n",
                                  section.file, section.program);
    out += fmt::format("  {:<12} {}\n", "command", join_words(section.argv));
    out += fmt::format("  {:<12} {}\n", "spec", w.spec.empty() ? std::string{"none (see the error)"} : w.spec);
    for (const auto& n : w.notes) out += fmt::format("  {:<8} line {}: {}\n", "note", n.line, n.text);
    const int errors = count_errors(w.findings);
    out += check_parts::findings_text(w.findings, errors, static_cast<int>(w.findings.size()) - errors);
    return out + "\n";
}

std::string render_wrapper_json(const Spec& section, const WrapperCheck& w, const std::string& spec_json) {
    json wrapper = {{"file", section.file},
                    {"program", section.program},
                    {"line", section.section_line},
                    {"command", section.argv},
                    {"spec", w.spec.empty() ? json(nullptr) : json(w.spec)},
                    {"spec_program", w.program ? json(*w.program) : json(nullptr)},
                    {"errors", count_errors(w.findings)},
                    {"findings", check_parts::findings_json(w.findings)},
                    {"notes", check_parts::notes_json(w.notes)}};
    json spec = spec_json.empty() ? json(nullptr) : json::parse(spec_json, nullptr, false);
    return check_parts::dump({{"wrapper", std::move(wrapper)}, {"spec", std::move(spec)}});
}

std::string render_migrate_text(const Migration& m, const std::string& section_path, const MigrateLeft& left) {
    std::string out = fmt::format("eslaunch migrate: [program:{}] of {} (line {})\n", m.program, m.file, m.section_line);
    out += fmt::format("  {:<10} {}\n", "spec", m.spec_path);
    out += fmt::format("  {:<10} {}\n", "section", section_path.empty() ? std::string{"above"} : section_path);
    out += "\nlost when supervisord reads the old section (now kept or said):\n";
    for (const auto& l : m.losses) out += "  " + l.what + "\n";
    if (m.losses.empty()) out += "  nothing\n";
    out += "\nchanged (each with its reason in a comment above the line):\n";
    for (const auto& c : m.changes) {
        if (c.from == c.to && !c.from.empty()) continue;  // explained only (startsecs)
        const std::string what = c.to.empty() ? (c.from.empty() ? c.key + ": see the comment" : "removed")
                                              : c.to;
        out += fmt::format("  {:<8} {}{}\n", c.target, what,
                           c.from.empty() ? std::string{} : fmt::format(" (was {}, line {})", cut(c.from), c.line));
    }
    out += fmt::format("\nleft to do (eslaunch check {}):\n", m.spec_path);
    for (const auto& e : left.errors) out += fmt::format("  {:<8} {} (status {})\n", "error", e.str(), e.status);
    for (const auto& f : left.findings) {
        out += fmt::format("  {:<8} {}: {}{}\n", severity_name(f.severity), f.id, f.message,
                           f.fix.empty() ? std::string{} : "; fix: " + f.fix);
    }
    for (const auto& n : left.warnings) out += fmt::format("  {:<8} {}\n", "warning", n.text);
    if (left_count(left) == 0) out += "  nothing: check finds no error or warning\n";
    return out;
}

std::string render_migrate_json(const Migration& m, const std::string& section_path, const MigrateLeft& left) {
    json j;
    j["file"] = m.file;
    j["program"] = m.program;
    j["line"] = m.section_line;
    j["spec"] = {{"path", m.spec_path}, {"text", m.spec_text}};
    j["section"] = {{"path", section_path.empty() ? json(nullptr) : json(section_path)}, {"text", m.section_text}};
    j["changes"] = changes_json(m.changes);
    j["losses"] = losses_json(m.losses);
    j["check"] = {{"errors", check_parts::errors_json(left.errors)},
                  {"findings", check_parts::findings_json(left.findings)},
                  {"warnings", check_parts::notes_json(left.warnings)}};
    j["left"] = left_count(left);
    return check_parts::dump(j);
}

}  // namespace eslaunch
