#include "eslaunch/es_config.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "posix.hpp"

namespace eslaunch {
namespace {

// The same ceiling as the spec file: a node's settings are a page or two.
constexpr std::size_t max_yml_bytes = 1024 * 1024;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

class Flattener {
public:
    explicit Flattener(const std::string& path) : path_(path) {}

    void walk(const YAML::Node& root) {
        path_maps_.push_back(root);
        walk_map(root, "", 1);
    }

    EsSettings settings;
    Errors errors;

private:
    void walk_map(const YAML::Node& map, const std::string& prefix, int depth) {
        for (const auto& pair : map) {
            if (stopped_) return;
            // Copies: the iterator hands out temporaries (Nodes are handles).
            const YAML::Node key = pair.first;
            const YAML::Node value = pair.second;
            const int line = key.Mark().line + 1;  // yaml-cpp counts from 0
            if (!key.IsScalar() || key.Scalar().empty()) {
                if (spend(line, 0)) error(line, "a key that is not text", "write settings as `name: value`");
                continue;
            }
            const std::string name = prefix.empty() ? key.Scalar() : prefix + "." + key.Scalar();
            if (!spend(line, name.size())) return;
            switch (value.Type()) {
                case YAML::NodeType::Map: enter(value, name, line, depth); break;
                case YAML::NodeType::Sequence: {
                    const bool alias = arrive(value, line);
                    add_list(name, value, line);
                    leave(alias);
                    break;
                }
                case YAML::NodeType::Scalar:
                    if (spend(line, value.Scalar().size(), 0)) add(name, EsSetting{{value.Scalar()}, false, line, {}});
                    break;
                default: break;  // null: Elasticsearch treats `key:` as not set
            }
        }
    }

    // A map under `name`; an alias of one on the way here (yaml-cpp allows
    // `a: &x {b: *x}`) would never end.
    void enter(const YAML::Node& map, const std::string& name, int line, int depth) {
        if (std::any_of(path_maps_.begin(), path_maps_.end(), [&](const YAML::Node& m) { return m.is(map); })) {
            return stop(line, fmt::format("'{}' is an alias of a map that holds it: its settings never end", cut(name)),
                        "remove the alias");
        }
        if (depth == max_yml_depth) {
            return stop(line, fmt::format("'{}' nests maps more than {} levels deep", cut(name), max_yml_depth),
                        "write the settings flat, `a.b.c: value`, as Elasticsearch's own files do");
        }
        const bool alias = arrive(map, line);
        path_maps_.push_back(map);
        walk_map(map, name, depth + 1);
        path_maps_.pop_back();
        leave(alias);
    }

    // Whether `node`, a map or a list, was walked before (each starts at its
    // own place in the text): an alias use, whose key's line the limits
    // name until `leave`.
    bool arrive(const YAML::Node& node, int line) {
        const bool outermost = !walked_.insert(node.Mark().pos).second && alias_line_ == 0;
        if (outermost) alias_line_ = line;
        return outermost;
    }
    void leave(bool outermost) {
        if (outermost) alias_line_ = 0;
    }

    // Counts what the walk has expanded (`nodes`: keys and list items, each
    // alias use again; `bytes`: names and values) against the limits; past
    // one, the error is at the alias that led here, else at `line`.
    bool spend(int line, std::size_t bytes, std::size_t nodes = 1) {
        if (stopped_) return false;
        nodes_ += nodes;
        text_ += bytes;
        const int at = alias_line_ != 0 ? alias_line_ : line;
        const char* fix = "write the settings out without YAML aliases (&name, *name); a node's elasticsearch.yml "
                          "holds hundreds of settings";
        if (nodes_ > max_yml_nodes) {
            stop(at, fmt::format("the settings expand to more than {} keys and list items, the limit (each use of an "
                                 "alias counts again)", max_yml_nodes), fix);
        } else if (text_ > max_yml_text) {
            stop(at, fmt::format("the setting names and values expand to more than {} MiB, the limit (each use of an "
                                 "alias counts again, a map's key once for each key under it)", max_yml_text >> 20),
                 fix);
        }
        return !stopped_;
    }

    void error(int line, std::string what, std::string hint) {
        if (errors.size() == max_yml_errors) {
            return stop(line, fmt::format("more than {} problems; the rest are not shown", max_yml_errors),
                        "fix these first");
        }
        errors.push_back(Error{status::config, path_, line, std::move(what), std::move(hint)});
    }

    // The last error: nothing after it is read.
    void stop(int line, std::string what, std::string hint) {
        if (stopped_) return;
        errors.push_back(Error{status::config, path_, line, std::move(what), std::move(hint)});
        stopped_ = true;
    }

    void add_list(const std::string& name, const YAML::Node& list, int line) {
        EsSetting s{{}, true, line, {}};
        for (const auto& item : list) {
            const int item_line = item.Mark().line + 1;
            if (!spend(item_line, item.IsScalar() ? item.Scalar().size() : 0)) return;
            if (item.IsNull()) continue;
            if (!item.IsScalar()) {
                error(item_line, fmt::format("{}: a list item that is not a value", cut(name)),
                      "Elasticsearch settings take lists of values, e.g. [\"10.0.0.1\", \"10.0.0.2\"]");
                return;
            }
            s.values.push_back(item.Scalar());
        }
        add(name, std::move(s));
    }

    void add(const std::string& name, EsSetting s) {
        if (auto it = first_line_.find(name); it != first_line_.end()) {
            error(s.line, fmt::format("'{}' is set twice, on lines {} and {}", cut(name), it->second, s.line),
                  "keep one: Elasticsearch 5.0 and later refuse duplicate keys (also `a.b` beside `a: {b: ...}`), "
                  "2.x keeps one silently");
            return;
        }
        first_line_.emplace(name, s.line);
        settings.set(name, std::move(s));
    }

    const std::string& path_;
    std::map<std::string, int> first_line_;
    std::size_t nodes_ = 0;
    std::size_t text_ = 0;
    bool stopped_ = false;
    std::vector<YAML::Node> path_maps_;  // the maps from the root to here
    std::set<int> walked_;               // where the maps and lists walked start
    int alias_line_ = 0;  // the line of the key whose alias the walk is in; 0: in no alias
};

}  // namespace

std::optional<std::string> EsSettings::get(std::string_view key) const {
    auto it = settings_.find(key);
    if (it == settings_.end()) return std::nullopt;
    std::string out;
    const auto& values = it->second.values;
    for (std::size_t i = 0; i < values.size(); ++i) out += (i == 0 ? "" : ",") + values[i];  // "" items too
    return out;
}

std::vector<std::string> EsSettings::list(std::string_view key) const {
    auto it = settings_.find(key);
    if (it == settings_.end()) return {};
    std::vector<std::string> out;
    for (const auto& v : it->second.values) {
        // Elasticsearch reads "a, b" for a list setting as two items.
        std::string_view rest = v;
        while (true) {
            const std::size_t comma = rest.find(',');
            const std::string_view item = trim(rest.substr(0, comma));
            if (!item.empty()) out.emplace_back(item);
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return out;
}

int EsSettings::line_of(std::string_view key) const {
    auto it = settings_.find(key);
    return it == settings_.end() || !it->second.origin.empty() ? 0 : it->second.line;
}

std::string EsSettings::where(std::string_view key) const {
    auto it = settings_.find(key);
    if (it == settings_.end() || (it->second.origin.empty() && it->second.line == 0)) return file;
    if (!it->second.origin.empty()) return it->second.origin;
    return fmt::format("{}:{}", file, it->second.line);
}

Result<EsSettings> parse_es_settings(std::string_view text, const std::string& path) {
    Flattener flat{path};
    flat.settings.file = path;
    YAML::Node root;
    try {
        root = YAML::Load(std::string{text});
        if (root.IsMap()) {
            flat.walk(root);
        } else if (!root.IsNull()) {
            return failure(Error{status::config, path, root.Mark().line + 1,
                                 "the file is not a mapping of settings",
                                 "write one setting per line, `name: value` (e.g. `cluster.name: prod`)"});
        }
    } catch (const YAML::DeepRecursion& e) {
        // yaml-cpp's own bound on its recursion: its message is "bad file".
        return failure(Error{status::config, path, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                             "YAML: nested too deep for the YAML parser",
                             "write the settings flat, `a.b.c: value`, as Elasticsearch's own files do"});
    } catch (const YAML::Exception& e) {
        // The Mark is where the parser stopped; line -1 means it has none.
        return failure(Error{status::config, path, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                             fmt::format("YAML: {}", cut(e.msg, 200)),
                             "Elasticsearch refuses the file too; fix the syntax"});
    } catch (const std::bad_alloc&) {
        return failure(Error{status::config, path, 0, "out of memory reading the YAML",
                             "check that this is a node's elasticsearch.yml"});
    } catch (const std::exception& e) {
        return failure(Error{status::config, path, 0, fmt::format("cannot read the YAML: {}", e.what()), ""});
    }
    if (!flat.errors.empty()) return failure(std::move(flat.errors));
    return std::move(flat.settings);
}

Result<EsSettings> read_es_settings(const std::string& path) {
    auto io_error = [&](std::string what, std::string hint) {
        return failure(Error{status::config, path, 0, std::move(what), std::move(hint)});
    };
    const UniqueFd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
    const int fd = file.get();
    if (fd < 0) {
        const int err = errno;
        return io_error(fmt::format("cannot open: {}", std::strerror(err)),
                        err == ENOENT ? "check the path, or es_path_conf= in the spec" : "check the file's permissions");
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) return io_error(fmt::format("cannot stat: {}", std::strerror(errno)), "");
    if (!S_ISREG(st.st_mode)) return io_error("not a regular file", "give the path of a node's elasticsearch.yml");
    if (static_cast<std::uint64_t>(st.st_size) > max_yml_bytes) {
        return io_error(fmt::format("file is {} bytes, over the limit of {} (1 MiB)", st.st_size, max_yml_bytes),
                        "check that this is a node's elasticsearch.yml");
    }
    std::string text;
    char buffer[65536];
    while (text.size() <= max_yml_bytes) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_error(fmt::format("cannot read: {}", std::strerror(errno)), "");
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return parse_es_settings(text, path);
}

std::vector<std::string> apply_command_line_settings(EsSettings& settings, const std::vector<std::string>& argv) {
    std::vector<std::string> keys;
    auto put = [&](std::string_view assignment, const std::string& word) {
        const std::size_t eq = assignment.find('=');
        if (eq == 0 || eq == std::string_view::npos) return;
        std::string key{assignment.substr(0, eq)};
        settings.set(key, EsSetting{{std::string{assignment.substr(eq + 1)}}, false, 0, fmt::format("command= ({})", word)});
        keys.push_back(std::move(key));
    };
    for (std::size_t i = 1; i < argv.size(); ++i) {
        const std::string_view a = argv[i];
        if (a == "-E" && i + 1 < argv.size()) {
            put(argv[i + 1], "-E " + argv[i + 1]);
            ++i;
        } else if (a.starts_with("-E")) {
            put(a.substr(2), argv[i]);
        } else if (a.starts_with("-Des.")) {
            put(a.substr(5), argv[i]);
        } else if (a.starts_with("--") && a.find('.') != std::string_view::npos) {
            // 2.x: --cluster.name=x and --cluster.name x; only dotted names are settings.
            const std::string_view rest = a.substr(2);
            if (rest.find('=') != std::string_view::npos) {
                put(rest, argv[i]);
            } else if (i + 1 < argv.size()) {
                put(fmt::format("{}={}", rest, argv[i + 1]), fmt::format("{} {}", a, argv[i + 1]));
                ++i;
            }
        }
    }
    return keys;
}

}  // namespace eslaunch
