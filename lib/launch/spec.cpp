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
#include "product_names.hpp"

namespace eslaunch {
namespace {

const std::vector<std::string_view> k_applied = {"command", "directory", "umask", "user", "environment"};

const std::vector<std::string_view> k_eslaunch = {
    "profile",        "group",         "supplementary_groups", "clear_environment", "limit_nofile",
    "limit_nproc",    "limit_memlock", "limit_as",             "limit_fsize",       "limit_core",
    "heap_size",      "heap_via",      "ready",                "ready_expect",      "ready_timeout",
    "ready_interval", "ready_ca",      "ready_insecure",       "ready_user",        "ready_password_file",
    "watchdog",       "no_new_privileges", "allow_root",       "es_home",           "es_path_conf",
    "tmpdir", "stdin"};

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

// %(NAME)s expansion as Python's `%` with a mapping, keeping each byte's
// line: `names` first, then ENV_X from eslaunch's own environment, looked up
// only when named (copying it all cost more than the rest of the parse).
struct Expansions {
    std::map<std::string, std::string, std::less<>> names;
    const EnvMap* environ = nullptr;

    [[nodiscard]] const std::string* find(std::string_view name) const {
        if (auto it = names.find(name); it != names.end()) return &it->second;
        if (environ != nullptr && name.starts_with("ENV_")) return environ->get(name.substr(4));
        return nullptr;
    }
};

// What %(NAME)s expands to here, or why it cannot and what to write instead.
Parsed<const std::string*> expansion_of(const std::string& name, const Expansions& expansions) {
    if (const std::string* found = expansions.find(name)) {
        if (name != "here" || found->find('%') == std::string::npos) return found;
        return problem(fmt::format("%(here)s is '{}', which holds '%'", cut(*found)),
                       "supervisord pastes the directory in as text and then fails on its '%'; move the spec to a "
                       "directory without '%' in its path");
    }
    if (name == "process_num" || name == "numprocs" || name == "group_name") {
        return problem(fmt::format("%({})s is supervisord's and eslaunch starts one process", name),
                       "write the value out");
    }
    if (name.starts_with("ENV_")) {
        return problem(fmt::format("%({})s: {} is not set in eslaunch's environment", name, name.substr(4)),
                       "set it where eslaunch starts (Environment= in the unit, or supervisord's environment), "
                       "or write the value out");
    }
    std::string known = "%(ENV_NAME)s";
    for (const auto& [n, v] : expansions.names) {
        if (!n.starts_with("ENV_")) known += fmt::format(", %({})s", n);
    }
    return problem(fmt::format("unknown expansion %({})s", name),
                   fmt::format("what can be expanded here: {} and %%", known));
}

// supervisord never reads eslaunch's own keys, so there a '%' that starts
// neither %(NAME)s nor %% is kept as it is (heap_size=50%).
Result<IniValue> expand(const IniValue& in, const Expansions& expansions, const std::string& path,
                        std::string_view key, bool literal_lone_percent) {
    IniValue out;
    const std::string& s = in.text;
    auto error = [&](std::size_t at, std::string what, std::string hint) {
        return failure(Error{status::config, path, in.line_at(at), fmt::format("{}: {}", key, what), std::move(hint)});
    };
    auto keep = [&](char c, std::size_t at) {
        out.text.push_back(c);
        out.line_of.push_back(in.line_at(at));
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            keep(s[i], i);
            continue;
        }
        if (i + 1 < s.size() && s[i + 1] == '%') {
            if (std::string_view{s}.substr(i + 2).starts_with("(here)s")) {
                // supervisord pastes the directory over %(here)s as text before it
                // expands % in files it includes (and in one with [include]).
                return error(i, "'%%(here)s' becomes '%' and the directory in supervisord, which then fails",
                             "write the text out another way; supervisord replaces %(here)s before it reads %%");
            }
            keep('%', i);
            ++i;
            continue;
        }
        if (i + 1 >= s.size() || s[i + 1] != '(') {
            if (literal_lone_percent) {
                keep('%', i);
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
        auto found = expansion_of(name, expansions);
        if (!found) return error(i, std::move(found.error().what), std::move(found.error().hint));
        out.text += **found;
        out.line_of.insert(out.line_of.end(), (*found)->size(), in.line_at(i));
        i = close + 1;
    }
    return out;
}

std::string_view basename_of(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// environment= written on several lines, as the one line supervisord needs.
std::string merged_environment_hint(const std::vector<const IniEntry*>& lines) {
    std::string merged;
    for (const auto* e : lines) {
        std::string_view raw = e->value.text;
        while (!raw.empty() && (raw.back() == ',' || raw.back() == ' ')) raw.remove_suffix(1);
        if (raw.empty()) continue;
        if (!merged.empty()) merged += ',';
        merged += raw;
    }
    return fmt::format("merge them into one line: environment={}", merged);
}

// One key's expanded value on its way into the Spec: what each handler in
// the key table below gets.
struct KeyValue {
    const IniEntry& entry;
    const std::string& v;
    Spec& spec;
    Errors& errors;
    const std::string& path;

    void error(std::string what, std::string hint) const {
        errors.push_back(Error{status::config, path, entry.line, std::move(what), std::move(hint)});
    }
    void problem(const Problem& p) const { error(fmt::format("{}: {}", entry.key, p.what), p.hint); }
    // The parsed value into the spec, or its problem reported.
    template <class Parsed, class Assign>
    void take(Parsed parsed, Assign assign) const {
        if (parsed) assign(std::move(*parsed));
        else problem(parsed.error());
    }
    void path_into(std::optional<std::string>& target) const {
        if (v.front() != '/') {
            error(fmt::format("{}: '{}' is not an absolute path", entry.key, cut(v)),
                  "write a path that starts with / (%(here)s is the spec file's directory)");
            return;
        }
        target = v;
    }
    void bool_into(bool& target) const { take(parse_bool(v), [&](bool b) { target = b; }); }
};

void read_command(const KeyValue& k) {
    k.spec.command = k.v;
    k.take(split_command(k.v), [&](std::vector<std::string> argv) { k.spec.argv = std::move(argv); });
}

void read_supplementary_groups(const KeyValue& k) {
    if (k.v == "auto") {
        k.spec.supplementary_groups = {};
        return;
    }
    if (k.v == "none") {
        k.spec.supplementary_groups = {SupplementaryGroups::Mode::none, {}};
        return;
    }
    SupplementaryGroups groups{SupplementaryGroups::Mode::list, {}};
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = k.v.find(',', start);
        auto ref = parse_id_ref(k.v.substr(start, comma == std::string::npos ? comma : comma - start), IdKind::group);
        if (!ref) {
            k.problem({ref.error().what, "write auto, none, or group names or gids separated by commas"});
            return;
        }
        groups.groups.push_back(std::move(*ref));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    k.spec.supplementary_groups = std::move(groups);
}

void read_profile(const KeyValue& k) {
    if (k.v == "auto") k.spec.profile_setting = Profile::automatic;
    else if (k.v == "elasticsearch") k.spec.profile_setting = Profile::elasticsearch;
    else if (k.v == "jvm") k.spec.profile_setting = Profile::jvm;
    else if (k.v == "plain") k.spec.profile_setting = Profile::plain;
    else if (k.v == "opensearch") k.spec.profile_setting = Profile::opensearch;
    else k.error(fmt::format("profile: '{}' is not a profile", cut(k.v)),
                 "write auto, elasticsearch, opensearch, jvm or plain");
}

void read_limit(const KeyValue& k) {
    const LimitResource r = *limit_from_key(k.entry.key);  // the table gives this handler limit keys only
    k.take(parse_limit(r, k.v), [&](LimitValue lv) { k.spec.limits[r] = lv; });
}

void read_ready_user(const KeyValue& k) {
    if (k.v.find_first_of(":\n") != std::string::npos) {
        k.error(fmt::format("ready_user: '{}' holds ':' or a line break", cut(k.v)),
                "HTTP basic auth user names cannot hold them");
        return;
    }
    k.spec.ready_user = k.v;
}

// tmpdir=none, or an absolute path eslaunch creates without following links:
// no "." or ".." to resolve, no whitespace (2.x and 5.x get it in
// ES_JAVA_OPTS, which their scripts split at whitespace).
void read_tmpdir(const KeyValue& k) {
    if (k.v == "none") {
        k.spec.tmpdir = std::string{};
        return;
    }
    const char* fix = "write tmpdir=none, or an absolute path such as /var/lib/eslaunch/NAME/tmp";
    if (k.v.front() != '/' || k.v.find_first_not_of('/') == std::string::npos) {
        k.error(fmt::format("tmpdir: '{}' is not an absolute path below /", cut(k.v)), fix);
        return;
    }
    const bool odd_character = std::any_of(k.v.begin(), k.v.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
    });
    const bool dots = ("/" + k.v + "/").find("/./") != std::string::npos || ("/" + k.v + "/").find("/../") != std::string::npos;
    if (odd_character || dots) {
        k.error(fmt::format("tmpdir: '{}' holds {}", cut(k.v), dots ? "'.' or '..'" : "whitespace or a control character"),
                fix);
        return;
    }
    k.spec.tmpdir = k.v;
}

// stdin=null or stdin=file:PATH (an absolute path).
void read_stdin(const KeyValue& k) {
    if (k.v == "null") {
        k.spec.stdin_file.reset();
        return;
    }
    if (!k.v.starts_with("file:")) {
        k.error(fmt::format("stdin: '{}' is neither null nor file:PATH", cut(k.v)),
                "write stdin=null, or stdin=file:/etc/eslaunch/NAME.passphrase for a file eslaunch opens as root");
        return;
    }
    const std::string path = k.v.substr(5);
    if (!path.starts_with('/')) {
        k.error(fmt::format("stdin: '{}' is not an absolute path", cut(path)),
                "write stdin=file:/ABSOLUTE/PATH (%(here)s is the spec file's directory)");
        return;
    }
    k.spec.stdin_file = path;
}

struct KeyRule {
    std::string_view key;
    void (*read)(const KeyValue&);
};

// Every key eslaunch reads but environment= (read first: the others'
// %(ENV_X)s need it), with what its value becomes in the Spec.
constexpr KeyRule k_key_rules[] = {
    {"command", read_command},
    {"directory", [](const KeyValue& k) { k.path_into(k.spec.directory); }},
    {"umask", [](const KeyValue& k) { k.take(parse_umask(k.v), [&](mode_t m) { k.spec.umask = m; }); }},
    {"user",
     [](const KeyValue& k) {
         k.take(parse_id_ref(k.v, IdKind::user), [&](IdRef r) { k.spec.user = std::move(r); });
     }},
    {"group",
     [](const KeyValue& k) {
         k.take(parse_id_ref(k.v, IdKind::group), [&](IdRef r) { k.spec.group = std::move(r); });
     }},
    {"supplementary_groups", read_supplementary_groups},
    {"clear_environment", [](const KeyValue& k) { k.bool_into(k.spec.clear_environment); }},
    {"profile", read_profile},
    {"limit_nofile", read_limit},
    {"limit_nproc", read_limit},
    {"limit_memlock", read_limit},
    {"limit_as", read_limit},
    {"limit_fsize", read_limit},
    {"limit_core", read_limit},
    {"heap_size", [](const KeyValue& k) { k.take(parse_heap_size(k.v), [&](HeapSize h) { k.spec.heap_size = h; }); }},
    {"heap_via",
     [](const KeyValue& k) { k.take(parse_heap_via(k.v), [&](HeapVia h) { k.spec.heap_via = std::move(h); }); }},
    {"ready", [](const KeyValue& k) { k.take(parse_ready(k.v), [&](ReadyProbe p) { k.spec.ready = std::move(p); }); }},
    {"ready_expect",
     [](const KeyValue& k) {
         k.take(parse_status_list(k.v), [&](std::vector<StatusRange> r) { k.spec.ready_expect = std::move(r); });
     }},
    {"ready_timeout",
     [](const KeyValue& k) { k.take(parse_duration(k.v, true), [&](Duration d) { k.spec.ready_timeout = d; }); }},
    {"ready_interval",
     [](const KeyValue& k) { k.take(parse_duration(k.v, false), [&](Duration d) { k.spec.ready_interval = d; }); }},
    {"ready_ca", [](const KeyValue& k) { k.path_into(k.spec.ready_ca); }},
    {"ready_insecure", [](const KeyValue& k) { k.bool_into(k.spec.ready_insecure); }},
    {"ready_user", read_ready_user},
    {"ready_password_file", [](const KeyValue& k) { k.path_into(k.spec.ready_password_file); }},
    {"watchdog", [](const KeyValue& k) { k.bool_into(k.spec.watchdog); }},
    {"no_new_privileges", [](const KeyValue& k) { k.bool_into(k.spec.no_new_privileges); }},
    {"allow_root", [](const KeyValue& k) { k.bool_into(k.spec.allow_root); }},
    {"es_home", [](const KeyValue& k) { k.path_into(k.spec.es_home); }},
    {"es_path_conf", [](const KeyValue& k) { k.path_into(k.spec.es_path_conf); }},
    {"tmpdir", read_tmpdir},
    {"stdin", read_stdin},
};

const KeyRule* key_rule(std::string_view key) {
    for (const auto& rule : k_key_rules) {
        if (rule.key == key) return &rule;
    }
    return nullptr;
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
    bool check_cuts(const IniEntry& e);
    std::optional<std::string> expanded(const IniEntry& e, const Expansions& expansions);
    void parse_key(const IniEntry& e, const std::string& v);
    void report_duplicates();
    std::vector<const IniEntry*> classify_keys(const IniEntry*& environment);
    Expansions base_expansions();
    void read_supervisord_environment(const Expansions& expansions);
    void read_values(const IniEntry* environment, const std::vector<const IniEntry*>& read, const Expansions& base);
    void check_command();
    void resolve_profile();
    void refuse_daemonize();
    void check_passphrase_variable();
    void add_warnings();

    const IniFile& file_;
    const IniSection& section_;
    const ParseContext& context_;
    Spec& spec_;
    Errors errors_;
    std::map<std::string, std::vector<const IniEntry*>> by_key_;  // each key's entries, in the file's order
    std::vector<std::string> order_;                              // the keys, by their first line
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
    if (v.empty()) {
        error(e.line, fmt::format("{} is empty", e.key), "give it a value or remove the line");
        return;
    }
    if (const KeyRule* rule = key_rule(e.key)) rule->read(KeyValue{e, v, spec_, errors_, file_.path});
}

// Duplicates first: supervisord keeps the last line silently.
void SectionParser::report_duplicates() {
    for (const auto& e : section_.entries) {
        auto& list = by_key_[e.key];
        if (list.empty()) order_.push_back(e.key);
        list.push_back(&e);
    }
    for (const auto& key : order_) {
        const auto& list = by_key_[key];
        if (list.size() < 2) continue;
        std::vector<int> lines;
        for (const auto* e : list) lines.push_back(e->line);
        error(list[1]->line,
              fmt::format("'{}' is set {}, on lines {}; supervisord keeps only line {} and drops the others "
                          "silently",
                          key, list.size() == 2 ? std::string{"twice"} : fmt::format("{} times", list.size()),
                          join_lines(lines), lines.back()),
              key == "environment" ? merged_environment_hint(list) : "keep one of them");
    }
}

// Every key is supervisord's, eslaunch's or unknown. Returns the entries
// eslaunch reads but environment=, which goes to `environment`.
std::vector<const IniEntry*> SectionParser::classify_keys(const IniEntry*& environment) {
    std::vector<const IniEntry*> read;
    for (const auto& key : order_) {
        const IniEntry& e = *by_key_[key].front();
        spec_.key_lines[key] = e.line;
        if (contains(k_supervisord_only, key)) {
            spec_.supervisord_only.push_back({key, e.value.text, e.line});
        } else if (contains(k_applied, key) || contains(k_eslaunch, key)) {
            if (by_key_[key].size() == 1 && check_cuts(e)) {
                if (key == "environment") environment = &e;
                else read.push_back(&e);
            }
        } else {
            error(e.line, fmt::format("unknown key '{}'", cut(key)), unknown_key_hint(key));
        }
    }
    return read;
}

// What every value may expand: %(here)s, %(host_node_name)s, the ENV_X of
// [supervisord] environment= and %(program_name)s; then ENV_X of
// eslaunch's own environment.
Expansions SectionParser::base_expansions() {
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
    return base;
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
    spec_.profile = es ? Profile::elasticsearch : name == "opensearch" ? Profile::opensearch : Profile::plain;
}

// Printed at every launch (the plan carries them) and by check.
void SectionParser::add_warnings() {
    auto note = [](std::vector<Note>& to, int line, std::string text) { to.push_back({line, std::move(text)}); };
    const bool is_es = search_node(spec_.profile);

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
        // Any value reads as a wait for readiness, which it is not: the same
        // advice for all (README.md and eslaunch(1) quote it).
        for (const auto& key : spec_.supervisord_only) {
            if (key.key != "startsecs") continue;
            note(spec_.warnings, key.line, fmt::format("startsecs={}: {}", key.value, startsecs_advice));
        }
    }
}

// environment= first: in the keys supervisord reads after it (command,
// directory) and in eslaunch's own, %(ENV_X)s sees its values too, as in
// supervisord; user= and umask= see only [supervisord]'s and eslaunch's.
void SectionParser::read_values(const IniEntry* environment, const std::vector<const IniEntry*>& read,
                                const Expansions& base) {
    if (environment != nullptr) {
        auto exp = expand(environment->value, base, file_.path, "environment", false);
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
}

void SectionParser::check_command() {
    if (by_key_.count("command") == 0) {
        error(section_.line, fmt::format("[program:{}] has no command=", spec_.program),
              "add command=/path/to/program ARGS");
    } else if (errors_.empty() && (spec_.argv.empty() || spec_.argv.front().empty())) {
        error(spec_.line_of("command"), fmt::format("command: '{}' names no program", cut(spec_.command)),
              "write command=/path/to/program ARGS");
    }
}

void SectionParser::refuse_daemonize() {
    if (!search_node(spec_.profile)) return;
    if (auto flag = find_daemonize_flag(spec_.argv)) {
        error(spec_.line_of("command"),
              fmt::format("command: '{}' daemonizes {}, so it leaves the foreground", cut(*flag),
                          spec_.profile == Profile::opensearch ? "OpenSearch" : "Elasticsearch"),
              "remove it: systemd and supervisord supervise the program itself, in the foreground");
    }
}

// The packages' systemd-entrypoint (Elastic's, OpenSearch's) redirects the
// passphrase variable to stdin; bin/elasticsearch and bin/opensearch never
// read it, so there the node would start without its passphrase.
void SectionParser::check_passphrase_variable() {
    if (spec_.profile != Profile::elasticsearch && spec_.profile != Profile::opensearch) return;
    const ProductNames& product = product_names(spec_.profile == Profile::opensearch);
    const bool entrypoint = !spec_.argv.empty() && basename_of(spec_.argv.front()) == "systemd-entrypoint";
    for (const auto& var : spec_.environment_settings()) {
        if (var.name != product.passphrase_file) continue;
        if (!entrypoint) {
            error(var.line,
                  fmt::format("environment: {}={} is read only by {} systemd-entrypoint, not by {}: the node would "
                              "get no keystore passphrase",
                              product.passphrase_file, cut(var.value), product.vendor,
                              cut(spec_.argv.empty() ? std::string{} : spec_.argv.front())),
                  fmt::format("remove it and write stdin=file:{} (eslaunch opens it as root: it can stay root:root "
                              "0600)",
                              cut(var.value)));
        } else {
            spec_.warnings.push_back(
                {var.line, fmt::format("{}={}: systemd-entrypoint opens it as the node's user{}; stdin=file:{} with "
                                       "command=.../bin/{} lets it stay root-only",
                                       product.passphrase_file, cut(var.value),
                                       spec_.stdin_file ? ", in place of stdin=" : ", who must be able to read it",
                                       cut(var.value), product.script)});
        }
    }
}

Errors SectionParser::run() {
    spec_.section_line = section_.line;
    report_duplicates();
    const IniEntry* environment = nullptr;
    const std::vector<const IniEntry*> read = classify_keys(environment);
    read_values(environment, read, base_expansions());
    check_command();
    if (!errors_.empty()) return std::move(errors_);

    // The profile needs the whole command; the warnings need the profile.
    resolve_profile();
    refuse_daemonize();
    check_passphrase_variable();
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
        case Profile::opensearch: return "opensearch";
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
    if (!search_node(p)) return {};
    // OpenSearch forked 7.10.2: its FileDescriptorCheck wants 65535 in every version.
    const std::uint64_t files = p == Profile::opensearch ? 65535 : es_min_open_files(es_version);
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
    const std::string_view variable = spec.profile == Profile::opensearch ? "OPENSEARCH_PATH_CONF" : "ES_PATH_CONF";
    if (const std::string* conf = program_env.get(variable); conf != nullptr && !conf->empty()) return *conf;
    return home.empty() ? std::string{} : home + "/config";
}

std::vector<EnvVar> Spec::environment_settings() const {
    std::vector<EnvVar> all = supervisord_environment;
    all.insert(all.end(), environment.begin(), environment.end());
    return all;
}

}  // namespace eslaunch
