// libFuzzer target for the spec parser (tests/fuzz/README.md).
//
// An input is a spec file, parsed as /etc/eslaunch/fuzz.ini in a fixed
// context; when it parses, `eslaunch check`'s renderers run on the result.
// Inputs whose first byte is one of the control bytes below (which a spec
// file may not hold, so no spec input is lost) instead feed the rest of the
// input to one value parser:
//
//   0x01 split_command          0x05 parse_duration (with and without infinity)
//   0x02 parse_environment      0x06 parse_ready
//   0x03 parse_limit (each)     0x07 parse_status_list
//   0x04 parse_heap_size        0x08 parse_umask, parse_heap_via, parse_id_ref, parse_bool
//   0x0b parse_spec with --program elasticsearch
//
// Every result is checked against cheap invariants; a failure prints what
// broke and aborts, so libFuzzer saves the input as a crash artifact.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "eslaunch/check.hpp"
#include "eslaunch/environment.hpp"
#include "eslaunch/error.hpp"
#include "eslaunch/heap.hpp"
#include "eslaunch/ini.hpp"
#include "eslaunch/limits.hpp"
#include "eslaunch/plan.hpp"
#include "eslaunch/spec.hpp"
#include "eslaunch/values.hpp"

#include "fuzz_check.hpp"

namespace {

using namespace eslaunch;

constexpr std::string_view fuzz_path = "/etc/eslaunch/fuzz.ini";
// No message about the spec may be longer: every value it echoes is cut
// (error.hpp's cut), however long the value in the file.
constexpr std::size_t max_message = 2048;

enum Selector : unsigned char {
    sel_split_command = 0x01,
    sel_environment = 0x02,
    sel_limit = 0x03,
    sel_heap_size = 0x04,
    sel_duration = 0x05,
    sel_ready = 0x06,
    sel_status_list = 0x07,
    sel_misc_values = 0x08,
    sel_spec_program = 0x0b,
};

using eslaunch_fuzz::fail;

const std::string& path() {
    static const std::string p{fuzz_path};
    return p;
}

const EnvMap& own_env() {
    static const EnvMap env = [] {
        EnvMap e;
        e.set("HOME", "/home/work");
        e.set("PATH", "/usr/local/bin:/usr/bin:/bin");
        e.set("ES_HOME", "/data/app/elasticsearch");
        e.set("LANG", "C.UTF-8");
        return e;
    }();
    return env;
}

const ParseContext& context(bool with_program) {
    static const ParseContext plain{own_env(), "node-1", std::nullopt};
    static const ParseContext program{own_env(), "node-1", std::string{"elasticsearch"}};
    return with_program ? program : plain;
}

// Lines as parse_ini counts them: '\n', '\r\n' and a lone '\r' end a line.
int count_lines(std::string_view text) {
    int lines = 1;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++lines;
        } else if (text[i] == '\r') {
            if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
            ++lines;
        }
    }
    return lines;
}

// A fixed host: root without CAP_SYS_RESOURCE, a user `work`, an
// Elasticsearch 7.17 home at /opt/es, 16 GiB, a safe spec path.
const HostFacts& fuzz_host() {
    static const HostFacts host = [] {
        HostFacts h;
        h.euid = 0;
        h.current_user = UserEntry{"root", 0, 0, "/root", "/bin/bash"};
        h.environ = own_env();
        h.user = UserEntry{"work", 1000, 1000, "/home/work", "/bin/bash"};
        h.user_groups = {1000, 4};
        h.group = GroupEntry{"work", 1000};
        h.current_limits = {{LimitResource::nofile, {1024, 20000}}, {LimitResource::nproc, {4096, 63000}},
                            {LimitResource::memlock, {65536, 65536}}, {LimitResource::core, {0, limit_infinity}}};
        h.mem_total = std::uint64_t{16} << 30;
        h.es.home = "/opt/es";
        h.es.version = EsVersion{7, 17, 25};
        h.es.version_source = "/opt/es/lib/elasticsearch-7.17.25.jar";
        h.es.jvm_options = {{"/opt/es/config/jvm.options:1", "-Xmx1g"}};
        h.program_path = "/usr/bin/program";
        return h;
    }();
    return host;
}

// Plan errors carry the status of the launch step they stop.
void check_plan_errors(const Errors& errors, int max_line) {
    FUZZ_CHECK(!errors.empty(), "a failed plan holds no error");
    for (const Error& e : errors) {
        const std::string shown = e.str();
        const int st = e.status;
        FUZZ_CHECK(st == status::config || st == status::limits || st == status::user || st == status::group ||
                       st == status::exec,
                   shown);
        FUZZ_CHECK(!e.what.empty() && e.file == path(), shown);
        FUZZ_CHECK(e.line >= 0 && e.line <= max_line + 1, shown);
        FUZZ_CHECK(shown.size() <= max_message, shown.substr(0, 200) + "... (" + std::to_string(shown.size()) + ")");
    }
}

void check_errors(const Errors& errors, int max_line) {
    FUZZ_CHECK(!errors.empty(), "a failed Result holds no error");
    FUZZ_CHECK(exit_status(errors) == status::config, errors.front().str());
    for (const Error& e : errors) {
        const std::string shown = e.str();
        FUZZ_CHECK(e.status == status::config, shown);
        FUZZ_CHECK(!e.what.empty(), shown);
        FUZZ_CHECK(e.file == path(), shown);
        FUZZ_CHECK(e.line >= 0 && e.line <= max_line + 1,
                   shown + " (input has " + std::to_string(max_line) + " lines)");
        FUZZ_CHECK(!shown.empty() && shown.starts_with(path()), shown);
        FUZZ_CHECK(shown.size() <= max_message, shown.substr(0, 200) + "... (" + std::to_string(shown.size()) + ")");
    }
    const std::string json = render_errors_json(errors);
    auto parsed = nlohmann::json::parse(json, nullptr, false);
    FUZZ_CHECK(!parsed.is_discarded(), "render_errors_json is not JSON: " + json);
    FUZZ_CHECK(parsed["valid"] == false && parsed["errors"].size() == errors.size(), json);
}

void check_problem(const Problem& p, std::string_view where) {
    FUZZ_CHECK(!p.what.empty(), std::string{where} + ": a Problem with no what");
}

// split_command(join_words(argv)) == argv, and quote_word keeps one word one word.
void check_round_trip(const std::vector<std::string>& argv) {
    const std::string joined = join_words(argv);
    auto again = split_command(joined);
    FUZZ_CHECK(again.has_value(), "join_words output does not split: " + joined);
    FUZZ_CHECK(*again == argv, "split_command(join_words(argv)) != argv: " + joined);
    for (const auto& w : argv) {
        auto one = split_command(quote_word(w));
        FUZZ_CHECK(one && one->size() == 1 && one->front() == w, "quote_word does not round-trip: " + quote_word(w));
    }
}

std::vector<std::string> error_strings(const Errors& errors) {
    std::vector<std::string> out;
    for (const Error& e : errors) out.push_back(e.str());
    return out;
}

// The same file with CRLF line ends: Python's universal newlines make it the
// same file to supervisord, so eslaunch must say exactly the same about it.
void check_crlf_twin(std::string_view text, bool with_program, const Result<Spec>& spec) {
    if (text.find('\r') != std::string_view::npos || text.find('\n') == std::string_view::npos) return;
    std::string twin;
    twin.reserve(text.size() + text.size() / 8);
    for (char c : text) {
        if (c == '\n') twin += '\r';
        twin += c;
    }
    auto other = parse_spec(twin, path(), context(with_program));
    FUZZ_CHECK(other.has_value() == spec.has_value(), "CRLF changes whether the file is valid");
    if (!spec) {
        FUZZ_CHECK(error_strings(other.error()) == error_strings(spec.error()),
                   "CRLF changes the errors: " + other.error().front().str() + " vs " + spec.error().front().str());
        return;
    }
    auto plan = plan_launch(*spec, fuzz_host());
    auto other_plan = plan_launch(*other, fuzz_host());
    FUZZ_CHECK(plan.has_value() == other_plan.has_value(), "CRLF changes whether the launch is planned");
    if (plan) {
        FUZZ_CHECK(render_check_text(*other, *other_plan, own_env()) == render_check_text(*spec, *plan, own_env()),
                   "CRLF changes what check prints");
    }
}

void fuzz_spec_text(std::string_view text, bool with_program) {
    const int lines = count_lines(text);
    auto spec = parse_spec(text, path(), context(with_program));
    check_crlf_twin(text, with_program, spec);
    if (!spec) {
        check_errors(spec.error(), lines);
        return;
    }

    const Spec& s = *spec;
    FUZZ_CHECK(s.file == path(), s.file);
    FUZZ_CHECK(!s.program.empty(), "valid spec without a program name");
    if (with_program) FUZZ_CHECK(s.program == "elasticsearch", s.program);
    FUZZ_CHECK(s.section_line >= 1 && s.section_line <= lines, std::to_string(s.section_line));
    FUZZ_CHECK(!s.argv.empty() && !s.argv.front().empty(), "valid spec without a program to run: " + s.command);
    FUZZ_CHECK(s.line_of("command") >= 1, "valid spec without a command= line");
    FUZZ_CHECK(s.profile != Profile::automatic, "the profile was not resolved");
    for (const auto& [key, line] : s.key_lines) {
        FUZZ_CHECK(line > s.section_line && line <= lines, key + " at line " + std::to_string(line));
    }
    for (const auto& var : s.environment) {
        FUZZ_CHECK(is_env_name(var.name), var.name);
        FUZZ_CHECK(var.line >= s.line_of("environment") && var.line <= lines, var.name);
    }
    for (const auto& k : s.supervisord_only) FUZZ_CHECK(k.line > s.section_line && k.line <= lines, k.key);
    const std::vector<Note> differences = supervisord_differences(s);
    for (const auto* notes : {&s.warnings, &differences}) {
        for (const auto& n : *notes) FUZZ_CHECK(n.line >= 0 && n.line <= lines && !n.text.empty(), n.text);
    }
    for (const auto& [r, v] : s.limits) FUZZ_CHECK(v.soft <= v.hard, format_limit(r, v));
    for (const auto& r : s.ready_expect) FUZZ_CHECK(r.low >= 100 && r.low <= r.high && r.high <= 599, "ready_expect");
    FUZZ_CHECK(!s.ready_interval.infinite(), "ready_interval=infinity was accepted");
    check_round_trip(s.argv);

    auto plan = plan_launch(s, fuzz_host());
    if (!plan) {
        check_plan_errors(plan.error(), lines);
        return;
    }
    const LaunchPlan& p = *plan;
    FUZZ_CHECK(p.argv == s.argv, "the plan changed argv");
    FUZZ_CHECK(!p.executable.empty(), "a plan without an executable");
    FUZZ_CHECK(!p.change_identity || (!p.groups.empty() && p.groups.front() == p.gid), "groups do not start with the gid");
    for (const auto& l : p.limits) FUZZ_CHECK(l.planned.soft <= l.planned.hard, format_limit(l.resource, l.planned));
    if (p.heap.bytes) FUZZ_CHECK(*p.heap.bytes >= (std::uint64_t{2} << 20), "heap below 2m planned");

    const std::string text_out = render_check_text(s, p, own_env());
    FUZZ_CHECK(text_out.starts_with(path() + ": [program:" + s.program + "] is valid\n"), text_out);

    const std::string json_out = render_check_json(s, p, own_env());
    auto j = nlohmann::json::parse(json_out, nullptr, false);
    FUZZ_CHECK(!j.is_discarded(), "render_check_json is not JSON: " + json_out);
    FUZZ_CHECK(j.is_object() && j["valid"] == true, json_out);
    FUZZ_CHECK(j["argv"].is_array() && j["argv"].size() == s.argv.size(), json_out);
    FUZZ_CHECK(j["settings"].is_object() && j["settings"].contains("profile"), json_out);
}

void fuzz_split_command(std::string_view text) {
    auto argv = split_command(text);
    if (!argv) {
        check_problem(argv.error(), "split_command");
        return;
    }
    check_round_trip(*argv);
}

void fuzz_environment(std::string_view text) {
    IniValue value;
    value.text = std::string{text};
    value.line_of.assign(text.size(), 1);
    auto vars = parse_environment(value, path());
    if (!vars) {
        check_errors(vars.error(), 1);
        for (const Error& e : vars.error()) {
            FUZZ_CHECK(e.line == (text.empty() ? 0 : 1), e.str());
            FUZZ_CHECK(e.what.starts_with("environment: "), e.str());
        }
        return;
    }
    for (std::size_t i = 0; i < vars->size(); ++i) {
        const EnvVar& v = (*vars)[i];
        FUZZ_CHECK(is_env_name(v.name), v.name);
        FUZZ_CHECK(v.line == 1, v.name);
        for (std::size_t k = 0; k < i; ++k) FUZZ_CHECK((*vars)[k].name != v.name, "a name twice: " + v.name);
    }
    // The environment it builds holds every variable with its value.
    const EnvMap env = program_environment(own_env(), false, *vars);
    for (const EnvVar& v : *vars) {
        const std::string* got = env.get(v.name);
        FUZZ_CHECK(got != nullptr && *got == v.value, v.name);
    }
}

void fuzz_limit(std::string_view text) {
    for (LimitResource r : all_limit_resources) {
        auto v = parse_limit(r, text);
        if (!v) {
            check_problem(v.error(), limit_key(r));
            continue;
        }
        FUZZ_CHECK(v->soft <= v->hard, std::string{text});
        const std::string canonical = format_limit(r, *v);
        auto again = parse_limit(r, canonical);
        FUZZ_CHECK(again && *again == *v, std::string{limit_key(r)} + ": '" + std::string{text} + "' -> '" +
                                              canonical + "' does not read back");
    }
}

void fuzz_heap_size(std::string_view text) {
    auto h = parse_heap_size(text);
    if (!h) {
        check_problem(h.error(), "heap_size");
        return;
    }
    if (h->kind == HeapSize::Kind::percent) FUZZ_CHECK(h->percent >= 1 && h->percent <= 100, std::string{text});
    if (h->kind == HeapSize::Kind::bytes) FUZZ_CHECK(h->bytes >= (std::uint64_t{2} << 20), std::string{text});
    const std::string canonical = h->str();
    auto again = parse_heap_size(canonical);
    FUZZ_CHECK(again && *again == *h, "'" + std::string{text} + "' -> '" + canonical + "' does not read back");
}

void fuzz_duration(std::string_view text) {
    for (bool allow_infinity : {false, true}) {
        auto d = parse_duration(text, allow_infinity);
        if (!d) {
            check_problem(d.error(), "duration");
            continue;
        }
        if (!allow_infinity) FUZZ_CHECK(!d->infinite(), std::string{text});
        if (!d->infinite()) FUZZ_CHECK(d->value->count() > 0, std::string{text});
        const std::string canonical = d->str();
        auto again = parse_duration(canonical, allow_infinity);
        FUZZ_CHECK(again && *again == *d, "'" + std::string{text} + "' -> '" + canonical + "' does not read back");
    }
}

void fuzz_ready(std::string_view text) {
    auto p = parse_ready(text);
    if (!p) {
        check_problem(p.error(), "ready");
        return;
    }
    using K = ReadyProbe::Kind;
    if (p->kind == K::tcp || p->kind == K::http || p->kind == K::https) {
        FUZZ_CHECK(!p->host.empty() && p->port != 0, std::string{text});
    }
    if (p->kind == K::http || p->kind == K::https) FUZZ_CHECK(p->path.starts_with('/'), std::string{text});
    if (p->kind == K::exec) {
        FUZZ_CHECK(!p->argv.empty(), std::string{text});
        check_round_trip(p->argv);
    }
    const std::string canonical = p->str();
    auto again = parse_ready(canonical);
    FUZZ_CHECK(again && *again == *p, "'" + std::string{text} + "' -> '" + canonical + "' does not read back");
}

void fuzz_status_list(std::string_view text) {
    auto ranges = parse_status_list(text);
    if (!ranges) {
        check_problem(ranges.error(), "ready_expect");
        return;
    }
    FUZZ_CHECK(!ranges->empty(), std::string{text});
    for (const auto& r : *ranges) FUZZ_CHECK(r.low >= 100 && r.low <= r.high && r.high <= 599, std::string{text});
    const std::string canonical = format_status_list(*ranges);
    auto again = parse_status_list(canonical);
    FUZZ_CHECK(again && *again == *ranges, "'" + std::string{text} + "' -> '" + canonical + "' does not read back");
}

void fuzz_misc_values(std::string_view text) {
    if (auto m = parse_umask(text)) {
        FUZZ_CHECK(*m <= 0777, std::string{text});
        auto again = parse_umask(format_umask(*m));
        FUZZ_CHECK(again && *again == *m, format_umask(*m));
    } else {
        check_problem(m.error(), "umask");
    }
    if (auto v = parse_heap_via(text)) {
        auto again = parse_heap_via(v->str());
        FUZZ_CHECK(again && *again == *v, v->str());
    } else {
        check_problem(v.error(), "heap_via");
    }
    for (IdKind kind : {IdKind::user, IdKind::group}) {
        if (auto id = parse_id_ref(text, kind)) {
            FUZZ_CHECK(id->text == text, id->text);
            if (id->id) FUZZ_CHECK(parse_decimal(text) == std::optional<std::uint64_t>{*id->id}, id->text);
        } else {
            check_problem(id.error(), "user/group");
        }
    }
    if (auto b = parse_bool(text); !b) check_problem(b.error(), "boolean");
    if (auto n = parse_decimal(text)) FUZZ_CHECK(std::to_string(*n).size() <= text.size(), std::string{text});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input{reinterpret_cast<const char*>(data), size};
    if (input.empty()) {
        fuzz_spec_text(input, false);
        return 0;
    }
    const std::string_view rest = input.substr(1);
    switch (static_cast<unsigned char>(input.front())) {
        case sel_split_command: fuzz_split_command(rest); break;
        case sel_environment: fuzz_environment(rest); break;
        case sel_limit: fuzz_limit(rest); break;
        case sel_heap_size: fuzz_heap_size(rest); break;
        case sel_duration: fuzz_duration(rest); break;
        case sel_ready: fuzz_ready(rest); break;
        case sel_status_list: fuzz_status_list(rest); break;
        case sel_misc_values: fuzz_misc_values(rest); break;
        case sel_spec_program: fuzz_spec_text(rest, true); break;
        default: fuzz_spec_text(input, false); break;
    }
    return 0;
}
