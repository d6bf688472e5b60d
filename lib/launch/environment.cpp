#include "eslaunch/environment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "eslaunch/heap.hpp"

namespace eslaunch {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// shlex's wordchars in non-POSIX mode plus what supervisord adds.
bool is_bare_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("_/.+-():", c) != nullptr;
}

// The character at s[i] for a message: a whole UTF-8 sequence, not a byte.
std::string shown(const std::string& s, std::size_t i) {
    if (s[i] == '\n') return "a line break";
    std::size_t len = 1;
    while (i + len < s.size() && (static_cast<unsigned char>(s[i + len]) & 0xC0) == 0x80) ++len;
    return fmt::format("'{}'", s.substr(i, len));
}

// supervisord's environment= syntax, one variable at a time: a name, '=',
// a quoted or bare value, then ',' or the end. Any error ends the reading.
class EnvironmentReader {
public:
    EnvironmentReader(const IniValue& value, const std::string& path) : value_(value), s_(value.text), path_(path) {}
    Result<std::vector<EnvVar>> read();

private:
    Unexpected<Errors> error(std::size_t at, std::string what, std::string hint) const {
        return failure(
            Error{status::config, path_, value_.line_at(at), "environment: " + std::move(what), std::move(hint)});
    }
    void skip_space() {
        while (i_ < s_.size() && is_space(s_[i_])) ++i_;
    }
    Result<std::string> name();
    Result<std::string> quoted_value(const std::string& name);
    Result<std::string> bare_value(const std::string& name, std::size_t name_at);

    static constexpr const char* quote_hint = "put the value in double quotes: NAME=\"value\"";
    const IniValue& value_;
    const std::string& s_;
    const std::string& path_;
    std::size_t i_ = 0;
};

Result<std::vector<EnvVar>> EnvironmentReader::read() {
    std::vector<EnvVar> vars;
    std::unordered_map<std::string, int> lines;  // names seen, for duplicates in linear time
    skip_space();
    while (i_ < s_.size()) {
        const std::size_t name_at = i_;
        auto name = this->name();
        if (!name) return failure(std::move(name.error()));
        const bool quoted = i_ < s_.size() && (s_[i_] == '"' || s_[i_] == '\'');
        auto val = quoted ? quoted_value(*name) : bare_value(*name, name_at);
        if (!val) return failure(std::move(val.error()));
        const int line = value_.line_at(name_at);
        if (const auto seen = lines.find(*name); seen != lines.end()) {
            return error(name_at, fmt::format("{} is set twice (lines {} and {})", cut(*name), seen->second, line),
                         "supervisord keeps the last one silently; keep one");
        }
        lines.emplace(*name, line);
        vars.push_back(EnvVar{std::move(*name), std::move(*val), line});
        skip_space();
        if (i_ >= s_.size()) break;
        if (s_[i_] != ',') {
            return error(i_, fmt::format("expected ',' after {}, found {}", cut(vars.back().name), shown(s_, i_)),
                         "separate variables with commas: A=1,B=2");
        }
        ++i_;
        skip_space();
    }
    return vars;
}

// A variable's name, and the '=' after it (the spaces around it skipped).
Result<std::string> EnvironmentReader::name() {
    const std::size_t name_at = i_;
    while (i_ < s_.size() && is_bare_char(s_[i_])) ++i_;
    std::string name = s_.substr(name_at, i_ - name_at);
    if (name.empty()) {
        return error(name_at, fmt::format("expected a variable name, found {}", shown(s_, name_at)),
                     "write NAME=value,NAME2=\"value 2\"");
    }
    if (!is_env_name(name)) {
        return error(name_at, fmt::format("'{}' is not a variable name", cut(name)),
                     "use letters, digits and '_', not starting with a digit");
    }
    skip_space();
    if (i_ >= s_.size() || s_[i_] != '=') {
        return error(i_ < s_.size() ? i_ : name_at, fmt::format("'{}' has no '=' and value", cut(name)),
                     fmt::format("write {}=value", cut(name)));
    }
    ++i_;
    skip_space();
    return name;
}

// A value in single or double quotes, refused where supervisord would read
// something else than it shows.
Result<std::string> EnvironmentReader::quoted_value(const std::string& name) {
    const char q = s_[i_];
    const std::size_t open = i_++;
    const std::size_t close = s_.find(q, i_);
    if (close == std::string::npos) {
        return error(open, fmt::format("the value of {} has no closing {}", cut(name), q), "close the quote");
    }
    std::string val = s_.substr(i_, close - i_);
    i_ = close + 1;
    if (q == '"' && !val.empty() && val.back() == '\\') {
        return error(close,
                     fmt::format("{}: '\\\"' does not escape a quote in supervisord, it ends the value there", cut(name)),
                     "supervisord reads the value up to the backslash and drops the rest; to hold a double "
                     "quote, put the value in single quotes: NAME='say \"hi\" now'");
    }
    if (!val.empty() && (std::strchr("\"'", val.front()) || std::strchr("\"'", val.back()))) {
        return error(open, fmt::format("the value of {} starts or ends with a quote character", cut(name)),
                     "supervisord strips quote characters from both ends of a value; move them inward or "
                     "leave them out");
    }
    if (i_ < s_.size() && !is_space(s_[i_]) && s_[i_] != ',') {
        return error(i_, fmt::format("{} after the closing quote of {}", shown(s_, i_), cut(name)),
                     "put all of the value inside the quotes, and separate variables with ','");
    }
    return val;
}

// A value without quotes: only supervisord's bare characters, and at least one.
Result<std::string> EnvironmentReader::bare_value(const std::string& name, std::size_t name_at) {
    const std::size_t val_at = i_;
    while (i_ < s_.size() && is_bare_char(s_[i_])) ++i_;
    std::string val = s_.substr(val_at, i_ - val_at);
    if (val.empty()) {
        const bool missing = i_ >= s_.size() || s_[i_] == ',' || is_space(s_[i_]);
        return error(val_at < s_.size() ? val_at : name_at,
                     missing ? fmt::format("{} has no value", cut(name))
                             : fmt::format("the value of {} starts with {}", cut(name), shown(s_, i_)),
                     fmt::format("write {}=\"\" for an empty value; {}", cut(name), quote_hint));
    }
    if (i_ < s_.size() && !is_space(s_[i_]) && s_[i_] != ',') {
        // supervisord would take a quote into the value and any other
        // character as a separator: either way not what it looks like.
        return error(i_, fmt::format("{} after {}={}", shown(s_, i_), cut(name), cut(val)),
                     fmt::format("unquoted values hold only letters, digits and _ / . + - ( ) :; {}, and "
                                 "separate variables with ','",
                                 quote_hint));
    }
    return val;
}

}  // namespace

Result<std::vector<EnvVar>> parse_environment(const IniValue& value, const std::string& path) {
    return EnvironmentReader{value, path}.read();
}

EnvMap EnvMap::from_envp(const char* const* envp) {
    EnvMap env;
    std::size_t count = 0;
    while (envp != nullptr && envp[count] != nullptr) ++count;
    env.vars_.reserve(count);
    env.index_.reserve(count);
    for (; envp != nullptr && *envp != nullptr; ++envp) {
        std::string_view entry{*envp};
        const std::size_t eq = entry.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        // The first occurrence wins, as getenv() sees it.
        if (env.get(entry.substr(0, eq)) == nullptr) env.set(entry.substr(0, eq), entry.substr(eq + 1));
    }
    return env;
}

const std::string* EnvMap::get(std::string_view name) const {
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : &vars_[it->second].second;
}

void EnvMap::set(std::string_view name, std::string_view value) {
    if (const auto it = index_.find(name); it != index_.end()) {
        vars_[it->second].second = value;
        return;
    }
    index_.emplace(std::string{name}, vars_.size());
    vars_.emplace_back(name, value);
}

void EnvMap::erase(std::string_view name) {
    const auto it = index_.find(name);
    if (it == index_.end()) return;
    const std::size_t at = it->second;
    index_.erase(it);
    vars_.erase(vars_.begin() + static_cast<std::ptrdiff_t>(at));
    for (auto& [key, place] : index_) {  // erase is rare: a few names per launch
        if (place > at) --place;
    }
}

std::vector<std::string> EnvMap::to_envp_strings() const {
    std::vector<std::string> out;
    out.reserve(vars_.size());
    for (const auto& [k, v] : vars_) out.push_back(k + "=" + v);
    return out;
}

EnvMap program_environment(const EnvMap& own, bool clear_environment, const std::vector<EnvVar>& spec_vars) {
    EnvMap env;
    if (clear_environment) env.set("PATH", clean_path);
    else env = own;
    for (const auto& var : spec_vars) env.set(var.name, var.value);
    return env;
}

std::vector<EnvChange> environment_changes(const EnvMap& before, const EnvMap& after) {
    std::vector<EnvChange> changes;
    for (const auto& [k, v] : after.vars()) {
        const std::string* old = before.get(k);
        if (old == nullptr) changes.push_back({EnvChange::Kind::added, k, v, {}});
        else if (*old != v) changes.push_back({EnvChange::Kind::changed, k, v, *old});
    }
    for (const auto& [k, v] : before.vars()) {
        if (after.get(k) == nullptr) changes.push_back({EnvChange::Kind::removed, k, {}, v});
    }
    return changes;
}

}  // namespace eslaunch
