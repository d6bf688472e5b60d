// elasticsearch.yml read into flat, dotted keys, as Elasticsearch reads it:
// `node.master: true` and `node:\n  master: true` are the same setting, a
// YAML list stays a list, and a list setting may also be written as one
// comma-separated string. Every setting remembers the line of its key, so
// what `check` says about it names FILE:LINE. yaml-cpp stays inside
// es_config.cpp: no YAML type, and no exception, crosses this header.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eslaunch/environment.hpp"
#include "eslaunch/error.hpp"

namespace eslaunch {

struct EsSetting {
    std::vector<std::string> values;  // one for a scalar; each item of a list
    bool is_list = false;
    int line = 0;        // the key's line in the file (1-based); 0: not from the file
    std::string origin;  // empty: the file; else where it came from, e.g. "command= (-Ehttp.port=9201)"
};

class EsSettings {
public:
    std::string file;  // the file read, for FILE:LINE; empty for settings built by hand

    [[nodiscard]] bool has(std::string_view key) const { return settings_.find(key) != settings_.end(); }
    // The value as text; a list gives its items joined with ','. nullopt
    // when not set (a key with a null value, `key:` or `key: ~`, is not set).
    [[nodiscard]] std::optional<std::string> get(std::string_view key) const;
    // A list setting's items: a YAML list, or a string split at commas (as
    // Elasticsearch reads list settings), each item trimmed, empty items
    // dropped. Empty when not set.
    [[nodiscard]] std::vector<std::string> list(std::string_view key) const;
    [[nodiscard]] int line_of(std::string_view key) const;  // 0 when not set or not from the file
    // Where a setting comes from, for messages: "FILE:LINE", its origin, or
    // FILE alone when the key is not set.
    [[nodiscard]] std::string where(std::string_view key) const;
    [[nodiscard]] const std::map<std::string, EsSetting, std::less<>>& all() const { return settings_; }

    void set(std::string key, EsSetting setting) { settings_[std::move(key)] = std::move(setting); }

private:
    std::map<std::string, EsSetting, std::less<>> settings_;
};

// What flattening one file may cost: the service's group can write it, and
// YAML aliases (`*a`) or long map keys in front of many keys below them
// make a small file expand without end (871 bytes: 10^9 settings). A real
// elasticsearch.yml has hundreds of settings, a few levels deep.
inline constexpr std::size_t max_yml_nodes = 100'000;        // keys and list items visited, each alias use again
inline constexpr std::size_t max_yml_text = 8 * 1024 * 1024;  // bytes of setting names and values, expanded
inline constexpr int max_yml_depth = 100;                     // levels of maps inside maps
inline constexpr std::size_t max_yml_errors = 100;            // then one error says the rest is not shown

// Parses the text of an elasticsearch.yml named `path`. Refused, every one
// with FILE:LINE: YAML syntax errors, a top level that is not a mapping,
// keys that are not text, lists of mappings or of lists, and a key set twice
// (also `node.master` beside `node: {master: ...}`): Elasticsearch 5.0 and
// later refuse duplicate keys, and 2.x keeps one of them silently. A file
// over the limits above is one error (the line of the alias use, or of the
// key, where the limit was reached), as is an alias of a map inside itself.
[[nodiscard]] Result<EsSettings> parse_es_settings(std::string_view text, const std::string& path);

// Reads `path` (a regular file under 1 MiB) and parses it.
[[nodiscard]] Result<EsSettings> read_es_settings(const std::string& path);

// Puts the settings given on Elasticsearch's command line over `settings`:
// `-Ekey=value` and `-E key=value` (5.0 and later), `-Des.key=value` and
// `--key=value` (2.x). Returns the keys it set.
std::vector<std::string> apply_command_line_settings(EsSettings& settings, const std::vector<std::string>& argv);

// What `eslaunch-check --node-http-settings` answers a launch, run as the
// node's user: where the node's HTTP layer listens (the elasticsearch.yml in
// `conf_dir`, command='s -E settings in `argv` over it, its ${VAR}s from
// `env`), or why the file could not be read, encoded for the launch to read
// back (lib/launch/node_settings.hpp). `opensearch`: its opensearch.yml, and
// HTTPS from plugins.security.ssl.http.enabled.
[[nodiscard]] std::string node_http_settings_answer(const std::string& conf_dir, const std::vector<std::string>& argv,
                                                    const EnvMap& env, bool opensearch = false);

}  // namespace eslaunch
