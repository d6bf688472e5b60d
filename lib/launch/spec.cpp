#include "eslaunch/spec.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <set>

#include "eslaunch/ini.hpp"
#include "path_walk.hpp"

namespace eslaunch {
namespace {

const std::vector<std::string_view> k_applied = {"command", "directory", "umask", "user", "environment"};

const std::vector<std::string_view> k_eslaunch = {
    "profile",        "group",         "supplementary_groups", "clear_environment", "limit_nofile",
    "limit_nproc",    "limit_memlock", "limit_as",             "limit_fsize",       "limit_core",
    "heap_size",      "heap_via",      "ready",                "ready_expect",      "ready_timeout",
    "ready_interval", "ready_ca",      "ready_insecure",       "ready_user",        "ready_password_file",
    "watchdog",       "no_new_privileges", "allow_root",       "es_home",           "es_path_conf"};

const std::vector<std::string_view> k_supervisord_only = {
    "autostart",               "autorestart",           "startsecs",
    "startretries",            "exitcodes",             "stopsignal",
    "stopwaitsecs",            "stopasgroup",           "killasgroup",
    "priority",                "numprocs",              "numprocs_start",
    "process_name",            "redirect_stderr",       "stdout_logfile",
    "stdout_logfile_maxbytes", "stdout_logfile_backups", "stdout_capture_maxbytes",
    "stdout_events_enabled",   "stdout_syslog",         "stderr_logfile",
    "stderr_logfile_maxbytes", "stderr_logfile_backups", "stderr_capture_maxbytes",
    "stderr_events_enabled",   "stderr_syslog",         "serverurl"};

// An absolute path that std::filesystem's lexically_normal() leaves as it
// is: one leading '/', no empty, '.' or '..' component, no trailing '/'
// (or "/" itself). For those the spec's path needs no std::filesystem.
bool plain_absolute(std::string_view p) {
    if (p.empty() || p.front() != '/') return false;
    if (p.size() == 1) return true;
    if (p.back() == '/') return false;
    std::size_t start = 1;
    while (start <= p.size()) {
        std::size_t end = p.find('/', start);
        if (end == std::string_view::npos) end = p.size();
        const std::string_view part = p.substr(start, end - start);
        if (part.empty() || part == "." || part == "..") return false;
        start = end + 1;
    }
    return true;
}

bool contains(const std::vector<std::string_view>& keys, std::string_view key) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Optimal string alignment distance: typos, missing letters, swapped pairs.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

std::string unknown_key_hint(std::string_view key) {
    const std::string low = ascii_lower(key);
    if (low != key) {
        for (const auto* keys : {&k_applied, &k_eslaunch, &k_supervisord_only}) {
            if (contains(*keys, low)) return fmt::format("keys are lower-case: write '{}'", cut(low));
        }
    }
    if (key == "minfds") return "minfds belongs in [supervisord]; for this program write limit_nofile=N";
    if (key == "minprocs") return "minprocs belongs in [supervisord]; for this program write limit_nproc=N";
    std::string_view best;
    std::size_t best_distance = 3;
    for (const auto* keys : {&k_applied, &k_eslaunch, &k_supervisord_only}) {
        for (std::string_view candidate : *keys) {
            // The distance is at least the difference in length: skip the
            // quadratic work for keys that cannot come close (a 1 MB key).
            const std::size_t gap = low.size() > candidate.size() ? low.size() - candidate.size()
                                                                  : candidate.size() - low.size();
            if (gap >= best_distance) continue;
            const std::size_t dist = edit_distance(low, candidate);
            if (dist < best_distance) {
                best_distance = dist;
                best = candidate;
            }
        }
    }
    if (!best.empty()) return fmt::format("did you mean '{}'?", best);
    if (is_env_name(key) && std::none_of(key.begin(), key.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
        return fmt::format("an environment variable goes into environment=, e.g. environment={}=\"...\"", key);
    }
    return "supervisord would ignore it silently; see eslaunch.ini(5) for the keys";
}

std::string join_lines(const std::vector<int>& lines) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) out += i + 1 == lines.size() ? " and " : ", ";
        out += std::to_string(lines[i]);
    }
    return out;
}

// Whether a quote is open at `end` of the raw value: POSIX rules (backslash
// escapes) for command=, plain quotes for the rest.
bool quote_open_at(std::string_view s, std::size_t end, bool backslash_escapes) {
    char q = 0;
    for (std::size_t i = 0; i < end && i < s.size(); ++i) {
        const char c = s[i];
        if (q == '\'') {
            if (c == '\'') q = 0;
        } else if (backslash_escapes && c == '\\') {
            ++i;
        } else if (q == '"') {
            if (c == '"') q = 0;
        } else if (c == '"' || c == '\'') {
            q = c;
        }
    }
    return q != 0;
}

// %(NAME)s expansion, as Python's `%` operator with a mapping does it for
// supervisord, keeping each output byte's line.
// What %(NAME)s may name: `names` first (here, host_node_name,
// program_name, and ENV_X for the variables [supervisord] environment= and
// the program's environment= set), then ENV_X for eslaunch's own
// environment, looked up there only when a value names one (copying every
// variable into `names` cost a launch more than all the rest of the parse).
struct Expansions {
    std::map<std::string, std::string, std::less<>> names;
    const EnvMap* environ = nullptr;

    [[nodiscard]] const std::string* find(std::string_view name) const {
        if (auto it = names.find(name); it != names.end()) return &it->second;
        if (environ != nullptr && name.starts_with("ENV_")) return environ->get(name.substr(4));
        return nullptr;
    }
};

// supervisord never reads eslaunch's own keys, so there a '%' that starts
// neither %(NAME)s nor %% is kept as it is (heap_size=50%).
Result<IniValue> expand(const IniValue& in, const Expansions& expansions, const std::string& path,
                        std::string_view key, bool literal_lone_percent) {
    IniValue out;
    const std::string& s = in.text;
    auto error = [&](std::size_t at, std::string what, std::string hint) {
        return failure(Error{status::config, path, in.line_at(at), fmt::format("{}: {}", key, what), std::move(hint)});
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.text.push_back(s[i]);
            out.line_of.push_back(in.line_at(i));
            continue;
        }
        if (i + 1 < s.size() && s[i + 1] == '%') {
            if (std::string_view{s}.substr(i + 2).starts_with("(here)s")) {
                // supervisord pastes the directory over %(here)s as text before it
                // expands % in files it includes (and in one with [include]).
                return error(i, "'%%(here)s' becomes '%' and the directory in supervisord, which then fails",
                             "write the text out another way; supervisord replaces %(here)s before it reads %%");
            }
            out.text.push_back('%');
            out.line_of.push_back(in.line_at(i));
            ++i;
            continue;
        }
        if (i + 1 >= s.size() || s[i + 1] != '(') {
            if (literal_lone_percent) {
                out.text.push_back('%');
                out.line_of.push_back(in.line_at(i));
                continue;
            }
            const std::string seen = i + 1 < s.size() ? fmt::format("'%{}'", s[i + 1]) : std::string{"'%' at the end"};
            return error(i, fmt::format("lone '%' ({})", seen),
                         "supervisord reads % as the start of %(NAME)s and fails; write %% for a literal %");
        }
        const std::size_t close = s.find(')', i + 2);
        if (close == std::string::npos) {
            return error(i, fmt::format("'{}' has no closing ')s'", cut(s.substr(i, 20))), "write %(NAME)s");
        }
        const std::string name = s.substr(i + 2, close - i - 2);
        if (close + 1 >= s.size() || s[close + 1] != 's') {
            return error(i, fmt::format("'%({})' is not followed by 's'", name),
                         fmt::format("write %({})s; other conversions are not supported", name));
        }
        const std::string* found = expansions.find(name);
        if (found == nullptr) {
            if (name == "process_num" || name == "numprocs" || name == "group_name") {
                return error(i, fmt::format("%({})s is supervisord's and eslaunch starts one process", name),
                             "write the value out");
            }
            if (name.starts_with("ENV_")) {
                return error(i, fmt::format("%({})s: {} is not set in eslaunch's environment", name, name.substr(4)),
                             "set it where eslaunch starts (Environment= in the unit, or supervisord's environment), "
                             "or write the value out");
            }
            std::string known = "%(ENV_NAME)s";
            for (const auto& [n, v] : expansions.names) {
                if (!n.starts_with("ENV_")) known += fmt::format(", %({})s", n);
            }
            return error(i, fmt::format("unknown expansion %({})s", name),
                         fmt::format("what can be expanded here: {} and %%", known));
        }
        if (name == "here" && found->find('%') != std::string::npos) {
            return error(i, fmt::format("%(here)s is '{}', which holds '%'", cut(*found)),
                         "supervisord pastes the directory in as text and then fails on its '%'; move the spec to a "
                         "directory without '%' in its path");
        }
        out.text += *found;
        out.line_of.insert(out.line_of.end(), found->size(), in.line_at(i));
        i = close + 1;
    }
    return out;
}

std::string_view basename_of(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}


class SectionParser {
public:
    SectionParser(const IniFile& file, const IniSection& section, const ParseContext& context, Spec& spec)
        : file_(file), section_(section), context_(context), spec_(spec) {}

    Errors run();

private:
    void error(int line, std::string what, std::string hint) {
        errors_.push_back(Error{status::config, file_.path, line, std::move(what), std::move(hint)});
    }
    void value_error(const IniEntry& e, const Problem& p) {
        error(e.line, fmt::format("{}: {}", e.key, p.what), p.hint);
    }
    bool check_cuts(const IniEntry& e);
    std::optional<std::string> expanded(const IniEntry& e, const Expansions& expansions);
    void parse_key(const IniEntry& e, const std::string& v);
    void read_supervisord_environment(const Expansions& expansions);
    void resolve_profile();
    void add_warnings();

    const IniFile& file_;
    const IniSection& section_;
    const ParseContext& context_;
    Spec& spec_;
    Errors errors_;
};

bool SectionParser::check_cuts(const IniEntry& e) {
    for (const auto& cut : e.value.cuts) {
        if (quote_open_at(e.value.text, cut.offset, e.key == "command")) {
            error(cut.line,
                  fmt::format("{}: '{}' after whitespace inside quotes starts a comment, so supervisord cuts the value "
                              "there",
                              e.key, cut.marker),
                  fmt::format("remove the whitespace before '{}': supervisord has no way to quote it", cut.marker));
            return false;
        }
    }
    return true;
}

std::optional<std::string> SectionParser::expanded(const IniEntry& e, const Expansions& expansions) {
    auto out = expand(e.value, expansions, file_.path, e.key, contains(k_eslaunch, e.key));
    if (!out) {
        errors_.insert(errors_.end(), out.error().begin(), out.error().end());
        return std::nullopt;
    }
    return std::move(out->text);
}

void SectionParser::parse_key(const IniEntry& e, const std::string& v) {
    const std::string& k = e.key;
    if (v.empty()) {
        error(e.line, fmt::format("{} is empty", k), "give it a value or remove the line");
        return;
    }
    auto take = [&](auto parsed, auto&& assign) {
        if (parsed) assign(std::move(*parsed));
        else value_error(e, parsed.error());
    };
    auto path_value = [&](std::optional<std::string>& target) {
        if (v.front() != '/') {
            error(e.line, fmt::format("{}: '{}' is not an absolute path", k, cut(v)),
                  "write a path that starts with / (%(here)s is the spec file's directory)");
            return;
        }
        target = v;
    };
    auto bool_value = [&](bool& target) { take(parse_bool(v), [&](bool b) { target = b; }); };

    if (k == "command") {
        spec_.command = v;
        take(split_command(v), [&](std::vector<std::string> argv) { spec_.argv = std::move(argv); });
    } else if (k == "directory") {
        path_value(spec_.directory);
    } else if (k == "umask") {
        take(parse_umask(v), [&](mode_t m) { spec_.umask = m; });
    } else if (k == "user") {
        take(parse_id_ref(v, IdKind::user), [&](IdRef r) { spec_.user = std::move(r); });
    } else if (k == "group") {
        take(parse_id_ref(v, IdKind::group), [&](IdRef r) { spec_.group = std::move(r); });
    } else if (k == "supplementary_groups") {
        if (v == "auto") {
            spec_.supplementary_groups = {};
        } else if (v == "none") {
            spec_.supplementary_groups = {SupplementaryGroups::Mode::none, {}};
        } else {
            SupplementaryGroups groups{SupplementaryGroups::Mode::list, {}};
            std::size_t start = 0;
            while (true) {
                const std::size_t comma = v.find(',', start);
                auto ref = parse_id_ref(v.substr(start, comma == std::string::npos ? comma : comma - start),
                                        IdKind::group);
                if (!ref) {
                    value_error(e, {ref.error().what, "write auto, none, or group names or gids separated by commas"});
                    return;
                }
                groups.groups.push_back(std::move(*ref));
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
            spec_.supplementary_groups = std::move(groups);
        }
    } else if (k == "clear_environment") {
        bool_value(spec_.clear_environment);
    } else if (k == "profile") {
        if (v == "auto") spec_.profile_setting = Profile::automatic;
        else if (v == "elasticsearch") spec_.profile_setting = Profile::elasticsearch;
        else if (v == "jvm") spec_.profile_setting = Profile::jvm;
        else if (v == "plain") spec_.profile_setting = Profile::plain;
        else error(e.line, fmt::format("profile: '{}' is not a profile", cut(v)), "write auto, elasticsearch, jvm or plain");
    } else if (auto limit = limit_from_key(k)) {
        take(parse_limit(*limit, v), [&](LimitValue lv) { spec_.limits[*limit] = lv; });
    } else if (k == "heap_size") {
        take(parse_heap_size(v), [&](HeapSize h) { spec_.heap_size = h; });
    } else if (k == "heap_via") {
        take(parse_heap_via(v), [&](HeapVia h) { spec_.heap_via = std::move(h); });
    } else if (k == "ready") {
        take(parse_ready(v), [&](ReadyProbe p) { spec_.ready = std::move(p); });
    } else if (k == "ready_expect") {
        take(parse_status_list(v), [&](std::vector<StatusRange> r) { spec_.ready_expect = std::move(r); });
    } else if (k == "ready_timeout") {
        take(parse_duration(v, true), [&](Duration d) { spec_.ready_timeout = d; });
    } else if (k == "ready_interval") {
        take(parse_duration(v, false), [&](Duration d) { spec_.ready_interval = d; });
    } else if (k == "ready_ca") {
        path_value(spec_.ready_ca);
    } else if (k == "ready_insecure") {
        bool_value(spec_.ready_insecure);
    } else if (k == "ready_user") {
        if (v.find_first_of(":\n") != std::string::npos) {
            error(e.line, fmt::format("ready_user: '{}' holds ':' or a line break", cut(v)),
                  "HTTP basic auth user names cannot hold them");
        } else {
            spec_.ready_user = v;
        }
    } else if (k == "ready_password_file") {
        path_value(spec_.ready_password_file);
    } else if (k == "watchdog") {
        bool_value(spec_.watchdog);
    } else if (k == "no_new_privileges") {
        bool_value(spec_.no_new_privileges);
    } else if (k == "allow_root") {
        bool_value(spec_.allow_root);
    } else if (k == "es_home") {
        path_value(spec_.es_home);
    } else if (k == "es_path_conf") {
        path_value(spec_.es_path_conf);
    }
}

// [supervisord] environment= reaches every program, and its variables are
// ENV_ names in the program sections. supervisord expands it twice: when
// reading the key (%(here)s and its own environment only), then once more
// with %(host_node_name)s too.
void SectionParser::read_supervisord_environment(const Expansions& expansions) {
    std::vector<const IniEntry*> entries;
    for (const auto& s : file_.sections) {
        if (s.name != "supervisord") continue;
        for (const auto& e : s.entries) {
            if (e.key == "environment") entries.push_back(&e);
        }
    }
    if (entries.empty()) return;
    if (entries.size() > 1) {
        error(entries[1]->line,
              fmt::format("[supervisord] environment is set twice (lines {} and {}); supervisord keeps only the last",
                          entries[0]->line, entries[1]->line),
              "keep one environment= line in [supervisord]");
        return;
    }
    const IniEntry& e = *entries.front();
    if (!check_cuts(e)) return;
    Expansions first = expansions;  // reading the key knows no host_node_name yet
    first.names.erase("host_node_name");
    auto once = expand(e.value, first, file_.path, "[supervisord] environment", false);
    auto twice = once ? expand(*once, expansions, file_.path, "[supervisord] environment", false)
                      : failure(std::move(once.error()));
    auto vars = twice ? parse_environment(*twice, file_.path) : failure(std::move(twice.error()));
    if (!vars) {
        errors_.insert(errors_.end(), vars.error().begin(), vars.error().end());
        return;
    }
    spec_.supervisord_environment = std::move(*vars);
}

void SectionParser::resolve_profile() {
    if (spec_.profile_setting != Profile::automatic) {
        spec_.profile = spec_.profile_setting;
        return;
    }
    const std::string_view name = spec_.argv.empty() ? std::string_view{} : basename_of(spec_.argv.front());
    const bool es = name == "elasticsearch" || name == "systemd-entrypoint";
    spec_.profile = es ? Profile::elasticsearch : Profile::plain;
}

// Printed at every launch (the plan carries them) and by check.
void SectionParser::add_warnings() {
    auto note = [](std::vector<Note>& to, int line, std::string text) { to.push_back({line, std::move(text)}); };
    const bool is_es = spec_.profile == Profile::elasticsearch;

    static const std::map<std::string_view, std::string_view> unread_vars = {
        {"MAX_OPEN_FILES", "limit_nofile="},
        {"MAX_LOCKED_MEMORY", "limit_memlock="},
        {"MAX_MAP_COUNT", "the sysctl vm.max_map_count (e.g. a file in /etc/sysctl.d)"},
    };
    for (const auto& var : spec_.environment) {
        if (auto it = unread_vars.find(var.name); it != unread_vars.end()) {
            note(spec_.warnings, var.line,
                 fmt::format("{} is read only by the init scripts of Elasticsearch packages, not by bin/elasticsearch or "
                             "eslaunch; use {} instead",
                             var.name, it->second));
        }
    }

    if (is_es) {
        int stopwait_line = spec_.line_of("stopwaitsecs");
        if (stopwait_line > 0) {
            for (const auto& key : spec_.supervisord_only) {
                if (key.key != "stopwaitsecs") continue;
                auto secs = parse_decimal(key.value);
                if (secs && *secs < 120) {
                    note(spec_.warnings, key.line,
                         fmt::format("stopwaitsecs={}: supervisord SIGKILLs a node still flushing after {} s; use 120 "
                                     "or more",
                                     key.value, *secs));
                }
            }
        } else if (!spec_.supervisord_only.empty()) {
            note(spec_.warnings, spec_.section_line,
                 "no stopwaitsecs: supervisord SIGKILLs a node still flushing after its default of 10 s; set "
                 "stopwaitsecs=120 or more");
        }
        // A node takes tens of seconds to serve, so a startsecs longer than
        // a crash at start needs (supervisord's default is 1) reads as a wait
        // for readiness, which it is not.
        for (const auto& key : spec_.supervisord_only) {
            if (key.key != "startsecs") continue;
            auto secs = parse_decimal(key.value);
            if (secs && *secs > 10) {
                note(spec_.warnings, key.line,
                     fmt::format("startsecs={}: supervisord calls the program RUNNING after {} s alive, whether or not "
                                 "Elasticsearch serves yet; it is no readiness check: wait for "
                                 "http://HOST:PORT/_cluster/health (or ready= under systemd) instead",
                                 key.value, *secs));
            }
        }
    }
}

Errors SectionParser::run() {
    spec_.section_line = section_.line;

    // Duplicates first: supervisord keeps the last line silently.
    std::map<std::string, std::vector<const IniEntry*>> by_key;
    std::vector<std::string> order;
    for (const auto& e : section_.entries) {
        auto& list = by_key[e.key];
        if (list.empty()) order.push_back(e.key);
        list.push_back(&e);
    }
    for (const auto& key : order) {
        const auto& list = by_key[key];
        if (list.size() < 2) continue;
        std::vector<int> lines;
        for (const auto* e : list) lines.push_back(e->line);
        std::string hint;
        if (key == "environment") {
            std::string merged;
            for (const auto* e : list) {
                std::string_view raw = e->value.text;
                while (!raw.empty() && (raw.back() == ',' || raw.back() == ' ')) raw.remove_suffix(1);
                if (raw.empty()) continue;
                if (!merged.empty()) merged += ',';
                merged += raw;
            }
            hint = fmt::format("merge them into one line: environment={}", merged);
        } else {
            hint = "keep one of them";
        }
        error(list[1]->line,
              fmt::format("'{}' is set {}, on lines {}; supervisord keeps only line {} and drops the others "
                          "silently",
                          key, list.size() == 2 ? std::string{"twice"} : fmt::format("{} times", list.size()), join_lines(lines),
                          lines.back()),
              hint);
    }

    // Classify every key; remember the ones eslaunch reads.
    std::vector<const IniEntry*> read;
    const IniEntry* environment_entry = nullptr;
    for (const auto& key : order) {
        const IniEntry& e = *by_key[key].front();
        spec_.key_lines[key] = e.line;
        if (contains(k_supervisord_only, key)) {
            spec_.supervisord_only.push_back({key, e.value.text, e.line});
        } else if (contains(k_applied, key) || contains(k_eslaunch, key)) {
            if (by_key[key].size() == 1 && check_cuts(e)) {
                if (key == "environment") environment_entry = &e;
                else read.push_back(&e);
            }
        } else {
            error(e.line,
                  fmt::format("unknown key '{}'", cut(key)),
                  unknown_key_hint(key));
        }
    }

    // %(ENV_X)s is eslaunch's own environment; in the keys supervisord reads
    // after environment= (command, directory) and in eslaunch's own keys it
    // sees the program's environment= values too, as supervisord does.
    Expansions base;
    base.environ = &context_.environ;
    if (plain_absolute(file_.path) && file_.path.size() > 1) {
        const std::size_t slash = file_.path.rfind('/');  // what parent_path() gives for these
        base.names["here"] = slash == 0 ? std::string{"/"} : file_.path.substr(0, slash);
    } else {
        base.names["here"] = std::filesystem::path(file_.path).parent_path().string();
    }
    base.names["host_node_name"] = context_.host_node_name;
    read_supervisord_environment(base);
    for (const auto& var : spec_.supervisord_environment) base.names["ENV_" + var.name] = var.value;
    base.names["program_name"] = spec_.program;

    if (environment_entry != nullptr) {
        auto exp = expand(environment_entry->value, base, file_.path, "environment", false);
        auto vars = exp ? parse_environment(*exp, file_.path) : failure(std::move(exp.error()));
        if (vars) spec_.environment = std::move(*vars);
        else errors_.insert(errors_.end(), vars.error().begin(), vars.error().end());
    }
    Expansions with_program_env = base;
    for (const auto& var : spec_.environment) with_program_env.names["ENV_" + var.name] = var.value;

    for (const IniEntry* e : read) {
        const bool own_env_only = e->key == "user" || e->key == "umask";
        if (auto v = expanded(*e, own_env_only ? base : with_program_env)) parse_key(*e, *v);
    }

    if (by_key.count("command") == 0) {
        error(section_.line, fmt::format("[program:{}] has no command=", spec_.program),
              "add command=/path/to/program ARGS");
    } else if (errors_.empty() && (spec_.argv.empty() || spec_.argv.front().empty())) {
        error(spec_.line_of("command"), fmt::format("command: '{}' names no program", cut(spec_.command)),
              "write command=/path/to/program ARGS");
    }
    if (!errors_.empty()) return std::move(errors_);

    resolve_profile();
    if (spec_.profile == Profile::elasticsearch) {
        if (auto flag = find_daemonize_flag(spec_.argv)) {
            error(spec_.line_of("command"),
                  fmt::format("command: '{}' daemonizes Elasticsearch, so it leaves the foreground", cut(*flag)),
                  "remove it: systemd and supervisord supervise the program itself, in the foreground");
        }
    }
    spec_.has_include = std::any_of(file_.sections.begin(), file_.sections.end(),
                                    [](const IniSection& s) { return s.name == "include"; });
    add_warnings();
    return std::move(errors_);
}

// NAME of a [program:NAME] section, stripped as supervisord strips it.
std::string section_program_name(const IniSection& s) {
    const std::string name = s.name.substr(8);
    const auto first = name.find_first_not_of(" \t");
    if (first == std::string::npos) return {};
    return name.substr(first, name.find_last_not_of(" \t") - first + 1);
}

// `[program:NAME]` as supervisord reads it: exactly that prefix, the name
// stripped. Near misses supervisord would skip silently are refused.
Result<std::vector<const IniSection*>> program_sections(const IniFile& file) {
    Errors errors;
    std::vector<const IniSection*> programs;
    std::map<std::string, int> seen;
    for (const auto& s : file.sections) {
        if (!s.name.starts_with("program:")) {
            std::string squeezed;
            for (char c : ascii_lower(s.name)) {
                if (c != ' ' && c != '\t') squeezed += c;
            }
            if (squeezed.starts_with("program:")) {
                errors.push_back({status::config, file.path, s.line,
                                  fmt::format("section [{}] is not [program:NAME]; supervisord would skip it silently",
                                              s.name),
                                  "write [program:NAME] in lower case without spaces"});
            }
            continue;
        }
        const std::string name = section_program_name(s);
        if (name.empty()) {
            errors.push_back({status::config, file.path, s.line, "section [program:] has no name",
                              "write [program:NAME]"});
            continue;
        }
        if (auto bad = name.find_first_of(" :/[]"); bad != std::string::npos) {
            errors.push_back({status::config, file.path, s.line,
                              fmt::format("program name '{}' holds '{}'", cut(name), name[bad]),
                              "supervisord refuses ' ', ':' and '/' in names; use letters, digits, '-' and '_'"});
            continue;
        }
        if (auto it = seen.find(name); it != seen.end()) {
            errors.push_back({status::config, file.path, s.line,
                              fmt::format("[program:{}] appears twice (lines {} and {})", name, it->second, s.line),
                              "supervisord merges them silently; keep one section"});
            continue;
        }
        seen.emplace(name, s.line);
        programs.push_back(&s);
    }
    if (!errors.empty()) return failure(std::move(errors));
    return programs;
}

}  // namespace

// Elasticsearch's CLI takes -d/--daemonize, also clustered (-dp FILE). The
// letters after one that takes an argument are that argument.
std::optional<std::string> find_daemonize_flag(const std::vector<std::string>& argv) {
    for (std::size_t i = 1; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a == "--") break;
        if (a == "--daemonize" || a.starts_with("--daemonize=")) return a;
        if (a.size() < 2 || a[0] != '-' || a[1] == '-') continue;
        for (std::size_t k = 1; k < a.size(); ++k) {
            if (a[k] == 'd') return a;
            if (std::strchr("pED", a[k]) != nullptr) break;  // the rest is its argument
            if (!std::isalpha(static_cast<unsigned char>(a[k]))) break;
        }
    }
    return std::nullopt;
}

std::string_view profile_name(Profile p) {
    switch (p) {
        case Profile::automatic: return "auto";
        case Profile::elasticsearch: return "elasticsearch";
        case Profile::jvm: return "jvm";
        case Profile::plain: return "plain";
    }
    return {};
}

std::string SupplementaryGroups::str() const {
    switch (mode) {
        case Mode::automatic: return "auto";
        case Mode::none: return "none";
        case Mode::list: break;
    }
    std::string out;
    for (const auto& g : groups) out += (out.empty() ? "" : ",") + g.text;
    return out;
}

int Spec::line_of(std::string_view key) const {
    auto it = key_lines.find(std::string{key});
    return it == key_lines.end() ? 0 : it->second;
}

const std::vector<std::string_view>& applied_keys() { return k_applied; }
const std::vector<std::string_view>& eslaunch_keys() { return k_eslaunch; }
const std::vector<std::string_view>& supervisord_only_keys() { return k_supervisord_only; }

Result<Spec> parse_spec(std::string_view text, const std::string& path, const ParseContext& context) {
    auto ini = parse_ini(text, path);
    if (!ini) return failure(std::move(ini.error()));
    auto programs = program_sections(*ini);
    if (!programs) return failure(std::move(programs.error()));

    std::string names;
    for (const auto* s : *programs) names += (names.empty() ? "" : ", ") + section_program_name(*s);
    const IniSection* chosen = nullptr;
    if (context.program) {
        for (const auto* s : *programs) {
            if (section_program_name(*s) == *context.program) chosen = s;
        }
        if (chosen == nullptr) {
            return failure(Error{status::config, path, 0, fmt::format("no [program:{}] section", *context.program),
                                 programs->empty() ? std::string{"the file has no [program:NAME] section"}
                                                   : fmt::format("the file has: {}", names)});
        }
    } else if (programs->empty()) {
        return failure(Error{status::config, path, 0, "no [program:NAME] section",
                             "eslaunch reads only [program:NAME] sections; add one with command="});
    } else if (programs->size() > 1) {
        return failure(Error{status::config, path, 0,
                             fmt::format("{} [program:NAME] sections ({})", programs->size(), names),
                             "choose one with --program NAME"});
    } else {
        chosen = programs->front();
    }

    Spec spec;
    spec.file = path;
    spec.program = section_program_name(*chosen);
    SectionParser parser{*ini, *chosen, context, spec};
    if (Errors errors = parser.run(); !errors.empty()) return failure(std::move(errors));
    return spec;
}

Result<Spec> load_spec(const std::string& path, const ParseContext& context) {
    // std::filesystem::absolute(path).lexically_normal() for messages and
    // %(here)s, without std::filesystem (and its allocations) where the
    // result is plain; the walk takes the path as given, `..` as the kernel
    // resolves it.
    std::string absolute;
    std::string walked = path;
    if (plain_absolute(path)) {
        absolute = path;
    } else if (!path.empty() && path.front() != '/') {
        char cwd[PATH_MAX];
        if (::getcwd(cwd, sizeof cwd) != nullptr) {
            const std::string_view dir{cwd};
            walked = dir == "/" ? std::string{dir} + path : std::string{dir} + "/" + path;
            if (plain_absolute(dir) && plain_absolute(walked)) absolute = walked;
        }
    }
    if (absolute.empty()) {
        std::error_code ec;
        absolute = std::filesystem::absolute(path, ec).lexically_normal().string();
        if (ec || absolute.empty()) absolute = path;
    }
    // As root, whoever could change the file or any entry on the way to it
    // would choose user= and command=: the walk refuses such a path before
    // a byte is read (path_walk.hpp).
    static constexpr WalkText text{"whoever can edit the spec chooses user= and command=",
                                   "check the path given to eslaunch", "give eslaunch the path of the spec file"};
    auto read = read_walking(walked, ::geteuid() == 0 ? Trust::root_only : Trust::any, max_spec_bytes, absolute, text);
    if (!read) return failure(std::move(read.error()));
    return parse_spec(*read, absolute, context);
}

std::uint64_t es_min_open_files(const std::optional<EsVersion>& version) {
    return version && version->major < 7 ? 65536 : 65535;
}

std::map<LimitResource, LimitValue> profile_limits(Profile p, const std::optional<EsVersion>& es_version) {
    if (p != Profile::elasticsearch) return {};
    const std::uint64_t files = es_min_open_files(es_version);
    return {{LimitResource::nofile, {files, files}},
            {LimitResource::nproc, {4096, 4096}},
            {LimitResource::as, {limit_infinity, limit_infinity}},
            {LimitResource::fsize, {limit_infinity, limit_infinity}}};
}

std::string es_home_of(const Spec& spec) {
    if (spec.es_home) return *spec.es_home;
    if (spec.argv.empty() || spec.profile_setting == Profile::plain || spec.profile_setting == Profile::jvm) return {};
    const std::filesystem::path cmd{spec.argv.front()};
    if (!cmd.is_absolute() || cmd.parent_path().filename() != "bin") return {};
    std::string home = cmd.parent_path().parent_path().string();
    // /bin/x, /usr/bin/x, /usr/local/bin/x: the system's own bin directories
    // are never an Elasticsearch home, and listing their lib/ costs a launch.
    if (home == "/" || home == "/usr" || home == "/usr/local") return {};
    return home;
}

std::string es_conf_dir_of(const Spec& spec, const EnvMap& program_env, const std::string& home) {
    if (spec.es_path_conf) return *spec.es_path_conf;
    if (const std::string* conf = program_env.get("ES_PATH_CONF"); conf != nullptr && !conf->empty()) return *conf;
    return home.empty() ? std::string{} : home + "/config";
}

std::vector<EnvVar> Spec::environment_settings() const {
    std::vector<EnvVar> all = supervisord_environment;
    all.insert(all.end(), environment.begin(), environment.end());
    return all;
}

}  // namespace eslaunch
