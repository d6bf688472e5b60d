// libFuzzer target for the elasticsearch.yml reader (tests/fuzz/README.md).
//
// An input is an elasticsearch.yml, parsed as /etc/elasticsearch/
// elasticsearch.yml: the file the service's group can write. Every result
// is checked against cheap invariants: errors are 78 with FILE:LINE inside
// the file and short (values cut), at most max_yml_errors and one more;
// settings keep lines inside the file, get() and list() agree with the
// values, and the flattened size stays within the limits. The settings then
// go through ${VAR} resolution and check --cluster, whose findings and text
// must be short too. A failure prints what broke and aborts.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "eslaunch/check.hpp"
#include "eslaunch/cluster.hpp"
#include "eslaunch/environment.hpp"
#include "eslaunch/error.hpp"
#include "eslaunch/es_config.hpp"
#include "eslaunch/preflight.hpp"

#include "fuzz_check.hpp"

namespace {

using namespace eslaunch;

// No message about the file may be longer: every value in one is cut.
constexpr std::size_t max_message = 2048;

using eslaunch_fuzz::fail;

const std::string& path() {
    static const std::string p = "/etc/elasticsearch/elasticsearch.yml";
    return p;
}

// The most lines any YAML reader could count: every \n, and every \r not
// before one, ends a line.
int max_lines(std::string_view text) {
    int lines = 1;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))) ++lines;
    }
    return lines;
}

void check_errors(const Errors& errors, int lines) {
    FUZZ_CHECK(!errors.empty(), "a failed Result holds no error");
    FUZZ_CHECK(errors.size() <= max_yml_errors + 1, std::to_string(errors.size()) + " errors");
    for (const Error& e : errors) {
        const std::string shown = e.str();
        FUZZ_CHECK(e.status == status::config, shown);
        FUZZ_CHECK(e.file == path() && !e.what.empty(), shown);
        FUZZ_CHECK(e.line >= 0 && e.line <= lines, shown + " (input has at most " + std::to_string(lines) + " lines)");
        FUZZ_CHECK(shown.size() <= max_message, shown);
    }
}

// get() joins the values with ','; list() splits each at ',' into trimmed,
// non-empty items.
void check_setting(const EsSettings& s, const std::string& key, const EsSetting& v, int lines) {
    FUZZ_CHECK(!key.empty(), "an empty key");
    FUZZ_CHECK(v.origin.empty(), key + ": an origin from the file: " + v.origin);
    FUZZ_CHECK(v.line >= 1 && v.line <= lines, key + " at line " + std::to_string(v.line));
    FUZZ_CHECK(s.line_of(key) == v.line, key);
    FUZZ_CHECK(s.where(key) == path() + ":" + std::to_string(v.line), s.where(key));
    FUZZ_CHECK(v.is_list || v.values.size() == 1,
               key + ": a scalar with " + std::to_string(v.values.size()) + " values");
    std::string joined;
    std::size_t items = 0;
    for (std::size_t i = 0; i < v.values.size(); ++i) {
        joined += (i == 0 ? "" : ",") + v.values[i];
        items += static_cast<std::size_t>(std::count(v.values[i].begin(), v.values[i].end(), ',')) + 1;
    }
    const auto got = s.get(key);
    FUZZ_CHECK(got && *got == joined, key);
    const std::vector<std::string> list = s.list(key);
    FUZZ_CHECK(list.size() <= items, key);
    for (const auto& item : list) {
        const bool trimmed = !item.empty() && item.front() != ' ' && item.front() != '\t' && item.back() != ' ';
        FUZZ_CHECK(trimmed, key + ": '" + item + "'");
        FUZZ_CHECK(joined.find(item) != std::string::npos, key + ": '" + item + "' is in no value");
    }
}

void check_settings(const EsSettings& s, int lines) {
    FUZZ_CHECK(s.file == path(), s.file);
    FUZZ_CHECK(s.all().size() <= max_yml_nodes, std::to_string(s.all().size()) + " settings");
    std::size_t text = 0;
    for (const auto& [key, v] : s.all()) {
        check_setting(s, key, v, lines);
        text += key.size();
        for (const auto& value : v.values) text += value.size();
    }
    FUZZ_CHECK(text <= max_yml_text, std::to_string(text) + " bytes of names and values");
}

// What the launch and check do with the settings next: ${VAR}s from the
// node's environment, and check --cluster with the node twice.
void check_consumers(EsSettings settings) {
    EnvMap env;
    env.set("HOSTNAME", "es-1");
    env.set("PORT", "9201");
    resolve_env_placeholders(settings, env);
    const std::vector<EsSettings> nodes = {settings, settings};
    const ClusterReport report = check_cluster(nodes);
    for (const auto& f : report.findings) {
        FUZZ_CHECK(f.message.size() <= max_message && f.fix.size() <= max_message, f.message.substr(0, 200));
        FUZZ_CHECK(!f.id.empty() && !f.message.empty(), f.message);
    }
    const std::string out = render_cluster_text(report);
    for (std::size_t start = 0, end = 0; start < out.size(); start = end + 1) {
        end = std::min(out.find('\n', start), out.size());
        FUZZ_CHECK(end - start <= max_message, out.substr(start, 200));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text{reinterpret_cast<const char*>(data), size};
    const int lines = max_lines(text);
    auto settings = parse_es_settings(text, path());
    if (!settings) {
        check_errors(settings.error(), lines);
        return 0;
    }
    check_settings(*settings, lines);
    check_consumers(std::move(*settings));
    return 0;
}
