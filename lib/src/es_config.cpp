#include "eslaunch/es_config.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <string>

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

    void walk(const YAML::Node& map, const std::string& prefix) {
        for (const auto& pair : map) {
            // Copies: the iterator hands out temporaries (Nodes are handles).
            const YAML::Node key = pair.first;
            const YAML::Node value = pair.second;
            const int line = key.Mark().line + 1;  // yaml-cpp counts from 0
            if (!key.IsScalar() || key.Scalar().empty()) {
                error(line, "a key that is not text", "write settings as `name: value`");
                continue;
            }
            const std::string name = prefix.empty() ? key.Scalar() : prefix + "." + key.Scalar();
            switch (value.Type()) {
                case YAML::NodeType::Map: walk(value, name); break;
                case YAML::NodeType::Sequence: add_list(name, value, line); break;
                case YAML::NodeType::Scalar: add(name, EsSetting{{value.Scalar()}, false, line, {}}); break;
                default: break;  // null: Elasticsearch treats `key:` as not set
            }
        }
    }

    EsSettings settings;
    Errors errors;

private:
    void error(int line, std::string what, std::string hint) {
        errors.push_back(Error{status::config, path_, line, std::move(what), std::move(hint)});
    }

    void add_list(const std::string& name, const YAML::Node& list, int line) {
        EsSetting s{{}, true, line, {}};
        for (const auto& item : list) {
            if (item.IsNull()) continue;
            if (!item.IsScalar()) {
                error(item.Mark().line + 1, fmt::format("{}: a list item that is not a value", name),
                      "Elasticsearch settings take lists of values, e.g. [\"10.0.0.1\", \"10.0.0.2\"]");
                return;
            }
            s.values.push_back(item.Scalar());
        }
        add(name, std::move(s));
    }

    void add(const std::string& name, EsSetting s) {
        if (auto it = first_line_.find(name); it != first_line_.end()) {
            error(s.line, fmt::format("'{}' is set twice, on lines {} and {}", name, it->second, s.line),
                  "keep one: Elasticsearch 5.0 and later refuse duplicate keys (also `a.b` beside `a: {b: ...}`), "
                  "2.x keeps one silently");
            return;
        }
        first_line_.emplace(name, s.line);
        settings.set(name, std::move(s));
    }

    const std::string& path_;
    std::map<std::string, int> first_line_;
};

}  // namespace

std::optional<std::string> EsSettings::get(std::string_view key) const {
    auto it = settings_.find(key);
    if (it == settings_.end()) return std::nullopt;
    std::string out;
    for (const auto& v : it->second.values) out += (out.empty() ? "" : ",") + v;
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
            flat.walk(root, "");
        } else if (!root.IsNull()) {
            return failure(Error{status::config, path, root.Mark().line + 1,
                                 "the file is not a mapping of settings",
                                 "write one setting per line, `name: value` (e.g. `cluster.name: prod`)"});
        }
    } catch (const YAML::Exception& e) {
        // The Mark is where the parser stopped; line -1 means it has none.
        return failure(Error{status::config, path, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                             fmt::format("YAML: {}", e.msg), "Elasticsearch refuses the file too; fix the syntax"});
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
