// `eslaunch migrate`: the old [program:NAME] as supervisord reads it, into
// a spec and the section that runs it. Each changed line gets a comment
// (from what, why) and a MigrateChange; each line supervisord drops, a loss.
#include "eslaunch/migrate.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <map>

#include "eslaunch/environment.hpp"
#include "eslaunch/heap.hpp"
#include "eslaunch/ini.hpp"
#include "eslaunch/limits.hpp"
#include "eslaunch/values.hpp"
#include "text.hpp"

namespace eslaunch {
namespace {

// One key as supervisord keeps it: the last of its lines.
struct OldKey {
    std::string key;  // lower case, as configparser reads it
    std::vector<const IniEntry*> all;
    [[nodiscard]] const IniEntry& kept() const { return *all.back(); }
};

struct OldSection {
    std::string program;
    int line = 0;
    std::vector<OldKey> keys;  // by first line
    std::string here;          // the old file's directory, for %(here)s

    [[nodiscard]] const OldKey* find(std::string_view key) const {
        for (const auto& k : keys) {
            if (k.key == key) return &k;
        }
        return nullptr;
    }
};

std::string program_name_of(const IniSection& s) {
    if (!s.name.starts_with("program:")) return {};
    const std::string name = s.name.substr(8);
    const auto first = name.find_first_not_of(" \t");
    return first == std::string::npos ? std::string{} : name.substr(first, name.find_last_not_of(" \t") - first + 1);
}

// The section --program names, or the only one; a section of another kind
// named so is refused at its line.
Result<std::string> choose_program(const IniFile& ini, const std::optional<std::string>& program) {
    std::vector<std::string> names;
    for (const auto& s : ini.sections) {
        const std::string n = program_name_of(s);
        if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
    const std::string listed = names.empty() ? std::string{"none"} : join_words(names);
    if (program && std::find(names.begin(), names.end(), *program) != names.end()) return *program;
    if (!program && names.size() == 1) return names.front();
    if (!program && names.size() > 1) {
        return failure(Error{status::config, ini.path, 0, fmt::format("{} program sections ({})", names.size(), listed),
                             "choose one with --program NAME"});
    }
    for (const auto& s : ini.sections) {
        const std::string_view tail = std::string_view{s.name}.substr(s.name.find(':') + 1);
        if (program ? (tail == *program || s.name == *program) : true) {
            return failure(Error{status::config, ini.path, s.line,
                                 fmt::format("[{}] is not a [program:NAME] section", cut(s.name)),
                                 fmt::format("migrate turns a supervisord [program:NAME] into a spec; give the file "
                                             "and --program NAME of one (program sections here: {})",
                                             listed)});
        }
    }
    return failure(Error{status::config, ini.path, 0,
                         program ? fmt::format("no [program:{}] section", cut(*program)) : "no section at all",
                         fmt::format("give the supervisord file that holds the old [program:NAME] (program sections "
                                     "here: {})",
                                     listed)});
}

// configparser with strict=False: the same section twice is one, and of a
// key set twice the last line wins.
OldSection read_section(const IniFile& ini, const std::string& program) {
    OldSection old;
    old.program = program;
    for (const auto& s : ini.sections) {
        if (program_name_of(s) != program) continue;
        if (old.line == 0) old.line = s.line;
        for (const auto& e : s.entries) {
            const std::string key = ascii_lower(e.key);
            auto it = std::find_if(old.keys.begin(), old.keys.end(), [&](const OldKey& k) { return k.key == key; });
            if (it == old.keys.end()) old.keys.push_back(OldKey{key, {&e}});
            else it->all.push_back(&e);
        }
    }
    const std::size_t slash = ini.path.rfind('/');
    old.here = slash == std::string::npos ? "." : slash == 0 ? "/" : ini.path.substr(0, slash);
    return old;
}

// A value with %(here)s written out: the new files live elsewhere.
std::string raw_value(const IniEntry& e, const OldSection& old) {
    std::string dir;
    for (char c : old.here) dir += c == '%' ? std::string{"%%"} : std::string(1, c);
    std::string v = e.value.text;
    for (std::size_t at = v.find("%(here)s"); at != std::string::npos; at = v.find("%(here)s", at + dir.size())) {
        v.replace(at, 8, dir);
    }
    return v;
}

// One line of a file being written, with the comment lines above it.
struct OutLine {
    std::vector<std::string> comments;
    std::string key;
    std::string value;
};

class Writer {
public:
    Writer(const OldSection& old, const std::string& path, const MigrateOptions& options, Migration& m)
        : old_(old), path_(path), options_(options), m_(m) {}
    Errors run();

private:
    void change(std::vector<OutLine>& to, MigrateChange c, std::string key = {}, std::string value = {});
    void keep(std::vector<OutLine>& to, const OldKey& k) { to.push_back({{}, k.key, raw_value(k.kept(), old_)}); }
    void report_duplicates();
    Errors environment();
    void one_env_var(const EnvVar& var, std::vector<EnvVar>& stay, std::vector<OutLine>& moved);
    void command();
    void section_keys();
    void stop_keys();
    Errors spec_keys();
    [[nodiscard]] std::string render(const std::vector<std::string>& head, const std::vector<OutLine>& lines) const;

    const OldSection& old_;
    const std::string& path_;
    const MigrateOptions& options_;
    Migration& m_;
    std::vector<OutLine> spec_;
    std::vector<OutLine> section_;
};

std::string one_line(std::string_view s) {
    std::string out;
    for (char c : s) out += c == '\n' ? std::string{"\\n"} : std::string(1, c);
    return cut(out, 120);
}

void Writer::change(std::vector<OutLine>& to, MigrateChange c, std::string key, std::string value) {
    c.target = &to == &section_ ? "section" : "spec";
    std::string text = c.from.empty() ? fmt::format("{}: {}", c.key, c.why)
                                      : fmt::format("was {} (line {}): {}", one_line(c.from), c.line, c.why);
    if (key.empty()) to.push_back({{std::move(text)}, {}, {}});  // a comment alone: nothing written
    else to.push_back({{std::move(text)}, std::move(key), std::move(value)});
    m_.changes.push_back(std::move(c));
}

// Every line supervisord drops but environment= (merged, see environment()).
void Writer::report_duplicates() {
    for (const auto& k : old_.keys) {
        if (k.all.size() < 2 || k.key == "environment") continue;
        for (std::size_t i = 0; i + 1 < k.all.size(); ++i) {
            const IniEntry& e = *k.all[i];
            m_.losses.push_back({e.line, k.kept().line, k.key, e.value.text,
                                 fmt::format("line {}: {}={} is dropped by supervisord, which keeps line {} ({}={}); "
                                             "so does the migration",
                                             e.line, k.key, one_line(e.value.text), k.kept().line, k.key,
                                             one_line(k.kept().value.text))});
        }
    }
}


// The variables of one environment= line as supervisord parses them, its
// %(NAME)s and %% kept as written: eslaunch expands them as supervisord
// does (%(here)s aside: the spec lives elsewhere).
Result<std::vector<EnvVar>> env_line(const IniEntry& e, const std::string& path, const OldSection& old) {
    IniValue v;
    std::vector<std::string> kept;
    const std::string& s = e.value.text;
    for (std::size_t i = 0; i < s.size(); ++i) {
        std::size_t len = s.compare(i, 2, "%%") == 0 ? 2 : 0;
        if (s.compare(i, 2, "%(") == 0 && s.find(")s", i) != std::string::npos) len = s.find(")s", i) + 2 - i;
        if (len == 0) {
            v.text += s[i];
            v.line_of.push_back(e.value.line_at(i));
            continue;
        }
        const std::string token = fmt::format("ESLAUNCHMIGRATE{}X", kept.size());
        kept.push_back(s.substr(i, len) == "%(here)s" ? old.here : s.substr(i, len));
        v.text += token;
        v.line_of.insert(v.line_of.end(), token.size(), e.value.line_at(i));
        i += len - 1;
    }
    auto vars = parse_environment(v, path);
    if (!vars) return vars;
    for (auto& var : *vars) {
        for (std::size_t n = kept.size(); n-- > 0;) {
            const std::string token = fmt::format("ESLAUNCHMIGRATE{}X", n);
            for (auto at = var.value.find(token); at != std::string::npos; at = var.value.find(token, at + 1)) {
                var.value.replace(at, token.size(), kept[n]);
            }
        }
    }
    return vars;
}

std::string env_pair(const EnvVar& v) {
    const char q = v.value.find('"') == std::string::npos ? '"' : '\'';
    return fmt::format("{}={}{}{}", v.name, q, v.value, q);
}

struct MovedVar {
    std::string_view name;
    std::string_view key;  // empty: dropped, the comment says where it goes
    std::string_view why;
};

constexpr MovedVar k_moved_vars[] = {
    {"ES_HEAP_SIZE", "heap_size",
     "eslaunch passes the heap the way this Elasticsearch version's script takes it (ES_HEAP_SIZE up to 2.x, "
     "-Xms/-Xmx from 5.x, which refuses ES_HEAP_SIZE), and check shows it"},
    {"MAX_OPEN_FILES", "limit_nofile",
     "only the init scripts of Elasticsearch's deb and rpm packages read MAX_OPEN_FILES (ulimit -n before the "
     "start); bin/elasticsearch and supervisord ignore it, so the node had supervisord's limit. eslaunch raises it "
     "as root, before it drops to user="},
    {"MAX_LOCKED_MEMORY", "limit_memlock",
     "only the init scripts of Elasticsearch's deb and rpm packages read MAX_LOCKED_MEMORY (ulimit -l before the "
     "start); bin/elasticsearch and supervisord ignore it. eslaunch raises it as root, before it drops to user="},
    {"MAX_MAP_COUNT", "",
     "only the init scripts of Elasticsearch's packages read MAX_MAP_COUNT (sysctl vm.max_map_count); it is "
     "system-wide: set vm.max_map_count in /etc/sysctl.d (eslaunch installs 60-eslaunch-elasticsearch.conf)"},
};

void Writer::one_env_var(const EnvVar& var, std::vector<EnvVar>& stay, std::vector<OutLine>& moved) {
    const auto* m = std::find_if(std::begin(k_moved_vars), std::end(k_moved_vars),
                                 [&](const MovedVar& mv) { return mv.name == var.name; });
    if (m == std::end(k_moved_vars)) {
        stay.push_back(var);
        return;
    }
    const std::string key{m->key};
    std::string value = key == "limit_memlock" && var.value == "unlimited" ? std::string{"infinity"} : var.value;
    bool valid = key.empty() || value.find('%') != std::string::npos;
    if (!valid) valid = key == "heap_size" ? bool(parse_heap_size(value)) : bool(parse_limit(*limit_from_key(key), value));
    if (!valid) {
        stay.push_back(var);
        moved.push_back({{fmt::format("{} kept in environment=: '{}' is no value for {}=; write {}= yourself", var.name,
                                      one_line(var.value), key, key)}, {}, {}});
        return;
    }
    const std::string from = env_pair(var);
    change(moved, {var.line, key.empty() ? var.name : key, from, key.empty() ? "" : key + "=" + value, "", std::string{m->why}},
           key, value);
}

// Every environment= line the operator wrote, merged (the later line wins
// per variable); each line supervisord drops, and each value overridden, a loss.
Errors Writer::environment() {
    const OldKey* k = old_.find("environment");
    if (k == nullptr) return {};
    Errors errors;
    std::vector<EnvVar> merged;
    std::vector<std::vector<EnvVar>> lines;
    for (const IniEntry* e : k->all) {
        auto vars = env_line(*e, path_, old_);
        if (!vars) {
            errors.insert(errors.end(), vars.error().begin(), vars.error().end());
            continue;
        }
        for (const auto& var : *vars) {
            auto it = std::find_if(merged.begin(), merged.end(), [&](const EnvVar& m) { return m.name == var.name; });
            if (it == merged.end()) {
                merged.push_back(var);
                continue;
            }
            m_.losses.push_back({it->line, var.line, "environment " + var.name, it->value,
                                 fmt::format("line {}: {}={} is set again on line {}; the later value wins, in the "
                                             "spec too",
                                             it->line, var.name, one_line(it->value), var.line)});
            it->value = var.value;
            it->line = var.line;
        }
        lines.push_back(std::move(*vars));
    }
    if (!errors.empty()) return errors;
    const int last = k->kept().line;
    for (std::size_t i = 0; i + 1 < k->all.size(); ++i) {
        std::vector<std::string> names;
        for (const auto& var : lines[i]) names.push_back(var.name);
        m_.losses.push_back({k->all[i]->line, last, "environment", k->all[i]->value.text,
                             fmt::format("line {}: environment= is dropped by supervisord, which keeps only line {}: "
                                         "the node never got {}; the spec merges every line",
                                         k->all[i]->line, last, names.empty() ? "anything" : join(names, ", "))});
    }
    std::vector<EnvVar> stay;
    std::vector<OutLine> moved;
    for (const auto& var : merged) one_env_var(var, stay, moved);
    std::vector<std::string> pairs;
    for (const auto& var : stay) pairs.push_back(env_pair(var));
    if (k->all.size() == 1 && stay.size() == merged.size()) {
        keep(spec_, *k);
    } else {
        std::vector<std::string> at;
        for (const IniEntry* e : k->all) at.push_back(std::to_string(e->line));
        const std::string now = join(pairs, ",");
        change(spec_,
               {k->all.front()->line, "environment", fmt::format("environment= on line(s) {}", join(at, ", ")),
                now.empty() ? "" : "environment=" + now, "",
                fmt::format("every line merged, the later one winning per variable (supervisord kept only line {}); "
                            "the variables eslaunch sets itself follow",
                            last)},
               now.empty() ? "" : "environment", now);
    }
    spec_.insert(spec_.end(), moved.begin(), moved.end());
    return {};
}

// command= without -d: supervisord and eslaunch supervise the foreground.
void Writer::command() {
    const OldKey& k = *old_.find("command");
    const std::string raw = raw_value(k.kept(), old_);
    auto argv = split_command(raw);
    if (argv && !argv->empty() && argv->front().ends_with("/elasticsearch")) {
        if (auto flag = find_daemonize_flag(*argv)) {
            auto word = std::find(argv->begin() + 1, argv->end(), *flag);
            if (word->starts_with("--") || *word == "-d") argv->erase(word);
            else word->erase(word->find('d', 1), 1);
            const std::string now = join_words(*argv);
            change(spec_, {k.kept().line, "command", raw, now, "",
                           fmt::format("{} is dropped: it makes Elasticsearch fork into the background and the "
                                       "command exit, and supervisord needs the node in the foreground to supervise it",
                                       *flag)},
                   "command", now);
            return;
        }
    }
    keep(spec_, k);
}

// The keys eslaunch applies: into the spec, with what the old section lacks.
Errors Writer::spec_keys() {
    command();
    for (const char* key : {"directory", "umask", "user"}) {
        if (const OldKey* k = old_.find(key)) keep(spec_, *k);
    }
    if (old_.find("user") == nullptr) {
        change(spec_, {old_.line, "user", "", "", "",
                       "the old section has no user=, so supervisord ran the node as root; write user= here (the "
                       "user the node runs as: eslaunch refuses root without allow_root=true)"});
    }
    if (Errors errors = environment(); !errors.empty()) return errors;
    const auto& own = eslaunch_keys();
    for (const auto& k : old_.keys) {
        if (std::find(own.begin(), own.end(), k.key) != own.end()) keep(spec_, k);
    }
    change(spec_, {0, "ready", "", "", "",
                   "not written: the default probe finds the node, reading http.port and network.host (or http.host) "
                   "from its elasticsearch.yml and from command= at each launch, as Elasticsearch does; check shows "
                   "the probe. Write ready= only for a node that answers elsewhere"});
    return {};
}

bool is_one_of(std::string_view key, std::initializer_list<std::string_view> keys) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// The section's keys in the old order: command= now runs eslaunch, what
// eslaunch applies moved out, supervisord's own kept (the stop keys after).
void Writer::section_keys() {
    const auto& own = eslaunch_keys();
    const auto& supervisord = supervisord_only_keys();
    for (const auto& k : old_.keys) {
        const IniEntry& e = k.kept();
        const std::string was = fmt::format("{}={}", k.key, e.value.text);
        if (k.key == "command") {
            const std::string now = join_words({options_.eslaunch, m_.spec_path});
            change(section_, {e.line, "command", was, "command=" + now, "",
                              fmt::format("eslaunch raises the limits as root, drops to the spec's user=, sets its "
                                          "environment and heap, and execs the node in the foreground ({})",
                                          m_.spec_path)},
                   "command", now);
        } else if (k.key == "user") {
            change(section_, {e.line, "user", was, "", "",
                              "moved into the spec: supervisord would drop to that user before eslaunch runs, and "
                              "then eslaunch could not raise the hard limits (only root can); eslaunch drops to it "
                              "itself, after the limits"});
        } else if (is_one_of(k.key, {"environment", "directory", "umask"}) ||
                   std::find(own.begin(), own.end(), k.key) != own.end()) {
            change(section_, {e.line, k.key, was, "", "", "moved into the spec, which eslaunch applies"});
        } else if (is_one_of(k.key, {"stopsignal", "stopwaitsecs", "startsecs", "exitcodes"})) {
            continue;  // stop_keys()
        } else if (std::find(supervisord.begin(), supervisord.end(), k.key) != supervisord.end()) {
            keep(section_, k);
        } else {
            section_.push_back({{fmt::format("kept as it was: neither supervisord nor eslaunch knows {}=", k.key)},
                                k.key, raw_value(e, old_)});
        }
    }
}

std::string value_of(const OldSection& old, std::string_view key) {
    const OldKey* k = old.find(key);
    return k == nullptr ? std::string{} : k->kept().value.text;
}

int line_of(const OldSection& old, std::string_view key) {
    const OldKey* k = old.find(key);
    return k == nullptr ? 0 : k->kept().line;
}

// How supervisord stops and counts the node: SIGTERM, time for a clean
// stop, exit 143 expected; startsecs explained.
void Writer::stop_keys() {
    const std::string signal = value_of(old_, "stopsignal");
    if (const std::string lower = ascii_lower(signal); lower == "term" || lower == "sigterm") {
        keep(section_, *old_.find("stopsignal"));
    } else {
        change(section_, {line_of(old_, "stopsignal"), "stopsignal", signal.empty() ? "" : "stopsignal=" + signal,
                          "stopsignal=TERM", "",
                          "Elastic's own systemd unit stops the node with SIGTERM and counts its exit status 143 as "
                          "clean; the JVM runs the same shutdown on SIGINT but exits 130. eslaunch execs the node, so "
                          "the signal reaches the JVM itself"},
               "stopsignal", "TERM");
    }
    const std::string wait = value_of(old_, "stopwaitsecs");
    if (auto secs = parse_decimal(wait); secs && *secs >= 120) {
        keep(section_, *old_.find("stopwaitsecs"));
    } else {
        change(section_, {line_of(old_, "stopwaitsecs"), "stopwaitsecs", wait.empty() ? "" : "stopwaitsecs=" + wait,
                          "stopwaitsecs=300", "",
                          fmt::format("supervisord SIGKILLs the node stopwaitsecs after the stop signal ({}), which "
                                      "can cut its flush short; Elastic's unit never does (TimeoutStopSec=0, then "
                                      "exit 143). 300 s, as eslaunch's own supervisord section; more for big nodes",
                                      wait.empty() ? "default 10 s" : wait + " s")},
               "stopwaitsecs", "300");
    }
    const std::string start = value_of(old_, "startsecs");
    const std::string shown = start.empty() ? std::string{"1 (supervisord's default)"} : start;
    m_.changes.push_back({line_of(old_, "startsecs"), "startsecs", start.empty() ? "" : "startsecs=" + start,
                          start.empty() ? "" : "startsecs=" + start, "section", std::string{startsecs_advice}});
    section_.push_back({{fmt::format("startsecs={}: {}", shown, startsecs_advice)}, start.empty() ? "" : "startsecs",
                        start});
    const std::string codes = value_of(old_, "exitcodes");
    if (ascii_lower(value_of(old_, "autorestart")) == "unexpected" && ("," + codes + ",").find(",143,") == std::string::npos) {
        const std::string now = (codes.empty() ? std::string{"0"} : codes) + ",143";
        change(section_, {line_of(old_, "exitcodes"), "exitcodes", codes.empty() ? "" : "exitcodes=" + codes,
                          "exitcodes=" + now, "",
                          "the node exits 143 on SIGTERM; without it autorestart=unexpected restarts a node that "
                          "stopped cleanly"},
               "exitcodes", now);
    } else if (!codes.empty()) {
        keep(section_, *old_.find("exitcodes"));
    }
}

// "; " comment lines of at most about 78 columns.
void wrap_comment(std::string& out, std::string_view text) {
    std::string line = ";";
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(' ', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view word = text.substr(start, end - start);
        if (line.size() > 1 && line.size() + 1 + word.size() > 78) {
            out += line + "\n";
            line = ";";
        }
        line += " ";
        line += word;
        start = end + 1;
    }
    out += line + "\n";
}

std::string Writer::render(const std::vector<std::string>& head, const std::vector<OutLine>& lines) const {
    std::string out;
    for (const auto& h : head) wrap_comment(out, h);
    out += fmt::format("[program:{}]\n", old_.program);
    for (const auto& l : lines) {
        for (const auto& c : l.comments) wrap_comment(out, c);
        if (l.key.empty()) continue;
        std::string value = l.value;
        for (auto at = value.find('\n'); at != std::string::npos; at = value.find('\n', at + 5)) value.insert(at + 1, "    ");
        out += fmt::format("{}={}\n", l.key, value);
    }
    return out;
}

Errors Writer::run() {
    if (old_.find("command") == nullptr) {
        return {Error{status::config, path_, old_.line, fmt::format("[program:{}] has no command=", old_.program),
                      "supervisord refuses it too; add command=/path/to/bin/elasticsearch"}};
    }
    report_duplicates();
    if (Errors errors = spec_keys(); !errors.empty()) return errors;
    section_keys();
    stop_keys();
    const std::string from = fmt::format("{}, line {}", path_, old_.line);
    m_.spec_text = render({fmt::format("eslaunch spec for [program:{}], written by `eslaunch migrate` from {}. A comment "
                                       "above a line says what it was and why it changed.",
                                       old_.program, from),
                           fmt::format("Test it with: eslaunch check {}", m_.spec_path)},
                          spec_);
    m_.section_text =
        render({fmt::format("[program:{}] for supervisord, written by `eslaunch migrate` from {}: it runs eslaunch on "
                            "{}, which holds the user, environment, limits and heap. A comment above a line says what "
                            "it was and why it changed.",
                            old_.program, from, m_.spec_path)},
               section_);
    return {};
}
}  // namespace

std::string default_spec_path(std::string_view program) { return fmt::format("/etc/eslaunch/{}.ini", program); }

Result<Migration> migrate_section(std::string_view text, const std::string& path, const MigrateOptions& options) {
    auto ini = parse_ini(text, path);
    if (!ini) return failure(std::move(ini.error()));
    auto program = choose_program(*ini, options.program);
    if (!program) return failure(std::move(program.error()));
    const OldSection old = read_section(*ini, *program);
    Migration m;
    m.file = path;
    m.program = old.program;
    m.section_line = old.line;
    m.spec_path = options.spec_path.empty() ? default_spec_path(old.program) : options.spec_path;
    Writer writer{old, path, options, m};
    if (Errors errors = writer.run(); !errors.empty()) return failure(std::move(errors));
    return m;
}

}  // namespace eslaunch

namespace eslaunch {

Result<std::string> read_old_file(const std::string& path) {
    auto refuse = [&](std::string what) {
        return failure(Error{status::config, path, 0, std::move(what),
                             "give the supervisord file that holds the old [program:NAME] section"});
    };
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return refuse(fmt::format("cannot read it: {}", std::strerror(errno)));
    struct stat st {};
    std::string text;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return refuse("not a regular file");
    }
    if (static_cast<std::uint64_t>(st.st_size) > max_spec_bytes) {
        ::close(fd);
        return refuse(fmt::format("file is {} bytes, over the limit of {} (1 MiB)", st.st_size, max_spec_bytes));
    }
    char buf[65536];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || text.size() + static_cast<std::size_t>(n) > max_spec_bytes) {
            const int err = n < 0 ? errno : EFBIG;
            ::close(fd);
            return refuse(fmt::format("cannot read it: {}", std::strerror(err)));
        }
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

namespace {

bool write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return ::fsync(fd) == 0;
}

// The temporary file into place, never over an existing one.
int link_into_place(const std::string& tmp, const std::string& path) {
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return errno;
    const int err = ::link(tmp.c_str(), path.c_str()) == 0 ? 0 : errno;
    ::unlink(tmp.c_str());
    return err;
}

}  // namespace

std::optional<Error> write_new_file(const std::string& path, std::string_view text) {
    auto exists = [&] {
        return Error{status::config, path, 0, "exists: migrate never overwrites a file",
                     "compare it with what migrate would write (move it away first), or name another path"};
    };
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) return exists();
    const std::size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    auto cannot = [&](std::string what, int err) {
        return Error{status::cantcreat, path, 0, fmt::format("cannot create it: {}: {}", what, std::strerror(err)),
                     fmt::format("create {} (root's, mode 0755) or name another path", dir)};
    };
    std::string tmp = dir + "/.eslaunch-migrate.XXXXXX";
    const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);  // O_EXCL, 0600: nobody else's file
    if (fd < 0) return cannot("a temporary file in " + dir, errno);
    bool ok = ::fchmod(fd, 0644) == 0 && (::geteuid() != 0 || ::fchown(fd, 0, 0) == 0) && write_all(fd, text);
    const int err = errno;
    ok = ::close(fd) == 0 && ok;
    if (!ok) {
        ::unlink(tmp.c_str());
        return cannot("writing " + tmp, err);
    }
    if (const int linked = link_into_place(tmp, path); linked != 0) {
        ::unlink(tmp.c_str());
        return linked == EEXIST ? exists() : cannot("linking " + tmp, linked);
    }
    if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);  // the new name on disk too
        ::close(dfd);
    }
    return std::nullopt;
}

}  // namespace eslaunch
