// environment=: supervisord's KEY="value",KEY2=value2 syntax, read strictly,
// and the program's environment built from eslaunch's own plus the spec.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "eslaunch/error.hpp"
#include "eslaunch/ini.hpp"

namespace eslaunch {

struct EnvVar {
    std::string name;
    std::string value;
    int line = 0;
    friend bool operator==(const EnvVar&, const EnvVar&) = default;
};

// Parses an environment= value (after %(...)s expansion, as supervisord does)
// into variables in file order. Accepts exactly what supervisord's
// dict_of_key_value_pairs reads the same way, and refuses the rest: names
// that are not [A-Za-z_][A-Za-z0-9_]*, bare values outside supervisord's
// charset (letters, digits, _ / . + - ( ) :), unterminated quotes, `\"`
// (supervisord has no escapes: it ends the value there), a value that
// starts or ends with a quote character (supervisord strips those),
// separators other than ',', and the same name twice.
[[nodiscard]] Result<std::vector<EnvVar>> parse_environment(const IniValue& value, const std::string& path);

// An environment in order, as envp holds it, with an index by name: a spec
// or an inherited environment of 100,000 variables costs linear time, not
// quadratic (each get or set would otherwise scan all of them).
class EnvMap {
public:
    EnvMap() = default;
    static EnvMap from_envp(const char* const* envp);

    [[nodiscard]] const std::string* get(std::string_view name) const;
    void set(std::string_view name, std::string_view value);
    void erase(std::string_view name);
    [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& vars() const { return vars_; }
    [[nodiscard]] std::vector<std::string> to_envp_strings() const;  // "NAME=value"

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::vector<std::pair<std::string, std::string>> vars_;
    std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> index_;  // name -> place in vars_
};

inline constexpr std::string_view clean_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The program's environment: eslaunch's own (or, with clear_environment,
// only PATH) with the spec's variables set over it, in spec order.
[[nodiscard]] EnvMap program_environment(const EnvMap& own, bool clear_environment,
                                         const std::vector<EnvVar>& spec_vars);

struct EnvChange {
    enum class Kind { added, changed, removed };
    Kind kind;
    std::string name;
    std::string value;      // new value (empty when removed)
    std::string old_value;  // old value (empty when added)
};

// What differs between two environments, in the order of `after`, then removals.
[[nodiscard]] std::vector<EnvChange> environment_changes(const EnvMap& before, const EnvMap& after);

}  // namespace eslaunch
