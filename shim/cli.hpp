// What eslaunch and eslaunch-check, the two programs of one command line,
// share: --help and usage texts, each message on stderr, the reading of
// the command line's words, and the load of a spec into its plan.
#pragma once

#include <sys/utsname.h>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "eslaunch/environment.hpp"
#include "eslaunch/error.hpp"
#include "eslaunch/host.hpp"
#include "eslaunch/plan.hpp"
#include "eslaunch/spec.hpp"

extern char** environ;

namespace eslaunch_cli {

inline constexpr std::string_view usage_text =
    "usage: eslaunch [--program NAME] FILE\n"
    "       eslaunch check [--program NAME] [--json] FILE\n"
    "       eslaunch check --cluster [--json] NODE.yml...\n"
    "       eslaunch migrate [--program NAME] [--spec-out PATH] [--section-out PATH] [--json] FILE\n"
    "       eslaunch --help | --version\n";

inline constexpr std::string_view help_text =
    "eslaunch: start Elasticsearch (or any JVM or plain service) correctly under systemd or supervisord.\n"
    "\n"
    "usage: eslaunch [--program NAME] FILE\n"
    "       eslaunch check [--program NAME] [--json] FILE\n"
    "       eslaunch check --cluster [--json] NODE.yml...\n"
    "       eslaunch migrate [--program NAME] [--spec-out PATH] [--section-out PATH] [--json] FILE\n"
    "       eslaunch --help | --version\n"
    "\n"
    "  FILE              raise the limits, drop privileges, set the environment and heap, and exec\n"
    "                    the program of the [program:NAME] section of FILE in the foreground\n"
    "  check FILE        print what eslaunch will do with FILE, test directory= and the program as its\n"
    "                    user and, for Elasticsearch, the preflight findings (bootstrap checks, java,\n"
    "                    paths, probe); every finding in one run, even where this host cannot launch\n"
    "                    it; exit 0 when valid, 78 if the spec is invalid or anything is an error\n"
    "  check --cluster NODE.yml...\n"
    "                    read the elasticsearch.yml of every node of a cluster: nodes, roles, the quorum\n"
    "                    of master-eligible nodes, minimum_master_nodes (up to 6.x), initial_master_nodes\n"
    "                    and seed hosts (7.x+), cluster.name, node.name; exit 78 on an error\n"
    "  migrate FILE      turn the old [program:NAME] section of the supervisord file FILE, read as\n"
    "                    supervisord reads it, into a spec (--spec-out, default /etc/eslaunch/NAME.ini)\n"
    "                    and the section that runs eslaunch on it (--section-out, default stdout);\n"
    "                    never overwrites; then checks the spec and lists what is left to do;\n"
    "                    exit 0 when written, 78 on a bad FILE or an existing output, 73 if it cannot\n"
    "                    create one\n"
    "  --program NAME    the section to use when FILE holds several [program:*] sections\n"
    "  --json            (check, migrate) print one JSON object instead of text\n"
    "  --help            this text\n"
    "  --version         the version\n"
    "\n"
    "Exit statuses (systemd's): 64 bad usage, 78 invalid spec, 71 system error, 73 cannot create,\n"
    "200 directory, 203 exec, 205 limits, 216 group, 217 user, 227 no_new_privileges.\n"
    "Errors name FILE:LINE and the fix. The spec format: eslaunch.ini(5); the rest: eslaunch(1).\n";

// Control characters in echoed input would start a forged journal entry
// (\n<3>...) or rewrite a terminal's line (\r, ESC): they appear as \xNN.
inline std::string printable(std::string_view text, bool keep_newlines = false) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && !(keep_newlines && c == '\n')) || byte == 0x7f) out += fmt::format("\\x{:02x}", byte);
        else out += c;
    }
    return out;
}

// One message on stderr, with sd-daemon's priority prefix when stderr is
// the journal; at most 16 KiB of it (journald splits at 48 KiB), one line
// whatever input it echoes.
inline void log_line(int priority, std::string_view level, std::string_view raw) {
    static const bool journal = eslaunch::stderr_is_journal();
    const std::string text = printable(eslaunch::cut(raw, 16384));
    if (journal) fmt::print(stderr, "<{}>eslaunch: {}: {}\n", priority, level, text);
    else fmt::print(stderr, "eslaunch: {}: {}\n", level, text);
    std::fflush(stderr);
}

inline void log_errors(const eslaunch::Errors& errors) {
    for (const auto& e : errors) log_line(3, "error", e.str());
}

inline int usage_error(std::string_view message) {
    log_line(3, "error", message);
    fmt::print(stderr, "{}", usage_text);
    return eslaunch::status::usage;
}

struct Loaded {
    eslaunch::Spec spec;
    eslaunch::HostFacts host;
    eslaunch::LaunchPlan plan;
};

// The spec FILE ([program:NAME] of it) and the host, as both programs read
// them. eslaunch's own environment goes to the spec's parse, then moves
// into `host.environ`. Fills `loaded` in place; the errors when it fails.
inline std::optional<eslaunch::Errors> load_spec_and_host(const std::string& file,
                                                          const std::optional<std::string>& program, Loaded& loaded) {
    eslaunch::ParseContext context;
    context.environ = eslaunch::EnvMap::from_envp(environ);
    utsname names{};
    if (::uname(&names) == 0) context.host_node_name = names.nodename;
    context.program = program;
    auto spec = eslaunch::load_spec(file, context);
    if (!spec) return std::move(spec.error());
    loaded.spec = std::move(*spec);
    loaded.host = eslaunch::gather_host_facts(loaded.spec, std::move(context.environ),
                                              {ESLAUNCH_BINDIR, ESLAUNCH_LIBEXECDIR});
    return std::nullopt;
}

// load_spec_and_host, then the plan, as the launch makes it (no Loaded to
// move and destroy again); the errors when it fails.
inline std::optional<eslaunch::Errors> load(const std::string& file, const std::optional<std::string>& program,
                                            Loaded& loaded) {
    if (auto errors = load_spec_and_host(file, program, loaded)) return errors;
    auto plan = eslaunch::plan_launch_reading_node_settings(loaded.spec, loaded.host);
    if (!plan) return std::move(plan.error());
    loaded.plan = std::move(*plan);
    return std::nullopt;
}

// The words after the program name (after `check` for eslaunch-check): the
// FILEs, --program NAME, and for check --json and --cluster. nullopt once a
// usage error is printed (exit with status::usage).
struct Words {
    std::optional<std::string> program;
    std::vector<std::string> files;
    bool json = false;
    bool cluster = false;
    std::optional<std::string> spec_out;     // migrate
    std::optional<std::string> section_out;  // migrate
};

// --NAME PATH or --NAME=PATH at words[i] into `to`; false once a usage
// error is printed. Not NAME: `to` untouched, true.
inline bool read_path_option(const std::vector<std::string_view>& words, std::size_t& i, std::string_view name,
                             std::optional<std::string>& to, bool& matched) {
    const std::string_view a = words[i];
    if (a == name) {
        if (i + 1 == words.size() || words[i + 1].empty()) {
            usage_error(fmt::format("{} needs a PATH", name));
            return false;
        }
        to = std::string{words[++i]};
        matched = true;
    } else if (a.starts_with(name) && a.size() > name.size() && a[name.size()] == '=') {
        to = std::string{a.substr(name.size() + 1)};
        matched = true;
        if (to->empty()) {
            usage_error(fmt::format("{} needs a PATH", name));
            return false;
        }
    }
    return true;
}

inline std::optional<Words> read_words(const std::vector<std::string_view>& words, bool check, bool migrate = false) {
    Words w;
    bool files_only = false;
    for (std::size_t i = 0; i < words.size(); ++i) {
        std::string_view a = words[i];
        bool matched = false;
        if (migrate && !files_only) {
            if (!read_path_option(words, i, "--spec-out", w.spec_out, matched) ||
                !read_path_option(words, i, "--section-out", w.section_out, matched)) {
                return std::nullopt;
            }
        }
        if (matched) {
            continue;
        } else if (files_only || !a.starts_with("-") || a == "-") {
            w.files.emplace_back(a);
        } else if (a == "--") {
            files_only = true;
        } else if (check && a == "--json") {
            w.json = true;
        } else if (check && !migrate && a == "--cluster") {
            w.cluster = true;
        } else if (a == "--program") {
            if (i + 1 == words.size()) {
                usage_error("--program needs a NAME");
                return std::nullopt;
            }
            w.program = std::string{words[++i]};
        } else if (a.starts_with("--program=")) {
            w.program = std::string{a.substr(10)};
        } else {
            usage_error(fmt::format("unknown option '{}'", a));
            return std::nullopt;
        }
    }
    if (w.program && w.program->empty()) {
        usage_error("--program needs a NAME");
        return std::nullopt;
    }
    return w;
}

}  // namespace eslaunch_cli
