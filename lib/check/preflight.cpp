#include "eslaunch/preflight.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <climits>

#include "eslaunch/apply.hpp"
#include "eslaunch/values.hpp"
#include "hosts.hpp"
#include "product_names.hpp"
#include "text.hpp"

namespace eslaunch {
namespace {

using Severity = Finding::Severity;

constexpr std::uint64_t min_max_map_count = 262144;

// 127.0.0.0/8 and ::1, written as literals.
bool is_loopback_literal(std::string_view host) {
    const std::string h = strip_brackets(host);
    in_addr v4{};
    if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    return ::inet_pton(AF_INET6, h.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

// Elasticsearch's names for loopback: _local_ (its default), _lo_ and
// their :ipv4/:ipv6 forms, and localhost.
bool is_loopback_name(std::string_view host) {
    const std::string h = ascii_lower(host);
    return h == "localhost" || h.starts_with("_local") || h == "_lo_" || h.starts_with("_lo:");
}

bool is_loopback(std::string_view host) { return is_loopback_literal(host) || is_loopback_name(host); }

// 0.0.0.0 and :: bind every address, loopback included.
bool is_wildcard(std::string_view host) {
    const std::string h = strip_brackets(host);
    return h == "0.0.0.0" || h == "0" || h == "::" || h == "0:0:0:0:0:0:0:0";
}

// A special value that names no loopback address (_site_, _global_, an
// interface other than lo).
bool is_non_loopback_name(std::string_view host) {
    return host.size() > 2 && host.front() == '_' && host.back() == '_' && !is_loopback_name(host);
}

// The JVM's size syntax: bytes, or k/m/g/t (any case), powers of 1024.
std::optional<std::uint64_t> jvm_bytes(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    auto n = parse_decimal(text.substr(0, digits));
    if (!n) return std::nullopt;
    const std::string_view unit = text.substr(digits);
    if (unit.empty()) return n;
    static constexpr std::string_view units = "kmgt";
    const std::size_t power = unit.size() == 1 ? units.find(static_cast<char>(unit[0] | 0x20)) : std::string_view::npos;
    if (power == std::string_view::npos) return std::nullopt;
    std::uint64_t bytes = *n;
    for (std::size_t k = 0; k <= power; ++k) {
        if (bytes > (std::uint64_t{1} << 50)) return std::nullopt;
        bytes *= 1024;
    }
    return bytes;
}

std::string mode_text(mode_t mode) { return fmt::format("{:04o}", static_cast<unsigned>(mode & 07777)); }

// A path from elasticsearch.yml in a message, whole where it could be one.
std::string shown_path(const std::string& path) { return cut(path, PATH_MAX); }

// The first of some settings that is set, with its values (Evaluator::first_set).
struct Chosen {
    std::string key;
    std::vector<std::string> values;
    std::string where;
};

// How a preflight finding names the readiness probe, and where it is set.
struct ProbeNamed {
    std::string named;
    std::string where;
};

// The ports Elasticsearch serves HTTP and the transport on, from its settings.
struct ServedPorts {
    Chosen http_setting;
    std::optional<PortRange> http;
    Chosen transport_setting;
    std::optional<PortRange> transport;
};

// A port range for a message, with the setting that gives it.
std::string port_text(const Chosen& c, const PortRange& r) {
    return c.key.empty() ? fmt::format("{} (the default)", r.str()) : fmt::format("{} ({})", r.str(), c.where);
}

// A tcp:// probe may knock on the transport port instead (9300 is in both
// default ranges: it is the transport's first).
bool probes_http(const ReadyProbe& probe, const PortRange& http, const std::optional<PortRange>& transport) {
    return !(probe.kind == ReadyProbe::Kind::tcp && transport && transport->contains(probe.port) &&
             (!http.contains(probe.port) || probe.port == transport->low));
}

// Whether a node that binds `binds` may answer at `host`: one of them is it,
// or could be (what a host name or _site_ stands for is not known here).
bool may_reach(const std::vector<std::string>& binds, std::string_view host) {
    const bool probe_loopback = is_loopback(host);
    for (const auto& b : binds) {
        if (is_wildcard(b) || strip_brackets(b) == strip_brackets(host) || (probe_loopback && is_loopback_name(b)) ||
            (ascii_lower(host) == "localhost" && is_loopback_literal(b))) {
            return true;
        }
        if (!is_ip_literal(b) && !is_non_loopback_name(b) && !is_loopback_name(b)) return true;  // a host name
        if (!probe_loopback && is_non_loopback_name(b)) return true;  // _site_, _eth0_ may hold the probed address
    }
    return false;
}

// -Xms and -Xmx (or their -XX: names) in bytes, the last of each, and where
// each was set.
struct Heap {
    std::optional<std::uint64_t> xms;
    std::optional<std::uint64_t> xmx;
    std::string xms_text;
    std::string xmx_text;

    void take(std::string_view option, const std::string& where) {
        auto set = [&](std::optional<std::uint64_t>& to, std::string& text, std::string_view size) {
            if (auto b = jvm_bytes(size)) {
                to = b;
                text = fmt::format("{} ({})", option, where);
            }
        };
        if (option.starts_with("-Xms")) set(xms, xms_text, option.substr(4));
        else if (option.starts_with("-Xmx")) set(xmx, xmx_text, option.substr(4));
        else if (option.starts_with("-XX:InitialHeapSize=")) set(xms, xms_text, option.substr(20));
        else if (option.starts_with("-XX:MaxHeapSize=")) set(xmx, xmx_text, option.substr(16));
    }
};

class Evaluator {
public:
    Evaluator(const Spec& spec, const LaunchPlan& plan, const HostFacts& host, const PreflightFacts& facts)
        : spec_(spec), plan_(plan), host_(host), facts_(facts),
          os_(plan.profile == Profile::opensearch), names_(product_names(os_)) {
        if (facts.settings) settings_ = *facts.settings;
        settings_.file = facts.yml;
        if (host.es.version) {
            major_ = host.es.version->major;
            minor_ = host.es.version->minor;
        }
        // OpenSearch 1.x and 2.x check what Elasticsearch 7.10 checked.
        if (os_) {
            major_ = 7;
            minor_ = 10;
        }
    }

    Preflight run();

private:
    void add(Severity severity, std::string id, std::string message, std::string fix, std::string where = {}) {
        out_.findings.push_back(
            {severity, std::move(id), std::move(message), std::move(fix), std::move(where), 0});
    }
    // A bootstrap check Elasticsearch has had since `since_major`: an error
    // when it would stop the node, a warning when it only logs it.
    [[nodiscard]] Severity bootstrap(int since_major) const {
        return out_.bootstrap_enforced && major_ >= since_major ? Severity::error : Severity::warning;
    }
    [[nodiscard]] std::string spec_where(std::string_view key) const {
        const int line = spec_.line_of(key);
        return line > 0 ? fmt::format("{}:{}", spec_.file, line) : std::string{};
    }
    // The first of `keys` that is set, with its values; `fallback` if none.
    [[nodiscard]] Chosen first_set(std::initializer_list<std::string_view> keys, std::string fallback) const {
        for (std::string_view k : keys) {
            if (settings_.has(k)) return {std::string{k}, settings_.list(k), settings_.where(k)};
        }
        return {{}, {std::move(fallback)}, {}};
    }
    [[nodiscard]] bool setting_is(std::string_view key, std::string_view value) const {
        auto v = settings_.get(key);
        return v && ascii_lower(*v) == value;
    }
    [[nodiscard]] LimitValue effective(LimitResource r) const;
    [[nodiscard]] std::string limit_fix(LimitResource r, std::uint64_t want) const;

    void decide_mode();
    void check_settings_file();
    void check_root();
    void check_java();
    void check_java_version(const JavaFacts& j);
    // OpenSearch 2.0 or later (an unknown version: the newest's rules).
    [[nodiscard]] bool opensearch_2() const { return os_ && (!host_.es.version || host_.es.version->major >= 2); }
    void check_keystore();
    void check_path(const PathFacts& p, std::string_view key, const std::string& where);
    [[nodiscard]] Heap heap_options() const;
    void check_heap();
    void check_limits();
    void check_memory_lock();
    void check_max_map_count();
    void check_discovery();
    void check_probe();
    [[nodiscard]] ServedPorts served_ports() const;
    void check_probe_port(const ReadyProbe& probe, const ServedPorts& ports, bool http, const ProbeNamed& said);
    void check_probe_address(const ReadyProbe& probe, bool http, const ProbeNamed& said);
    void check_probe_scheme(const ReadyProbe& probe, const ProbeNamed& said);

    const Spec& spec_;
    const LaunchPlan& plan_;
    const HostFacts& host_;
    const PreflightFacts& facts_;
    const bool os_;  // OpenSearch: major_ and minor_ are then the rules' (7.10)
    const ProductNames& names_;
    EsSettings settings_;
    int major_ = 8;  // an unknown version is checked by the rules of the newest
    int minor_ = 0;
    Preflight out_;
};

LimitValue Evaluator::effective(LimitResource r) const {
    for (const auto& l : plan_.limits) {
        if (l.resource == r) return l.planned;
    }
    auto it = host_.current_limits.find(r);
    return it == host_.current_limits.end() ? LimitValue{limit_infinity, limit_infinity} : it->second;
}

// The spec line that gives the program `want`: the line to change, the hard
// limit to raise where eslaunch starts, or the line to add.
std::string Evaluator::limit_fix(LimitResource r, std::uint64_t want) const {
    const std::string key{limit_key(r)};
    const std::string value = format_limit_number(r, want);
    if (auto it = spec_.limits.find(r); it != spec_.limits.end()) {
        return fmt::format("{}={} in the spec (line {} has {})", key, value, spec_.line_of(key),
                           format_limit(r, it->second));
    }
    const auto current = host_.current_limits.find(r);
    const bool capped = current != host_.current_limits.end() && current->second.hard < want && !host_.cap_sys_resource;
    for (const auto& l : plan_.limits) {
        // The profile asked for it, but the hard limit where eslaunch starts is lower.
        if (l.resource == r && capped) return limit_raise_hint(r, want);
    }
    std::string fix = fmt::format("add {}={} to the spec", key, value);
    if (capped) fix += "; and " + limit_raise_hint(r, want);
    return fix;
}

void Evaluator::decide_mode() {
    if (major_ < 5) {
        out_.bootstrap_enforced = false;
        out_.mode_reason = fmt::format("Elasticsearch {}.x has no bootstrap checks: it logs these and starts", major_);
        return;
    }
    if (setting_is("discovery.type", "single-node")) {
        out_.bootstrap_enforced = false;
        out_.mode_reason = fmt::format("discovery.type is single-node ({}): failed bootstrap checks are only logged",
                                       settings_.where("discovery.type"));
        return;
    }
    const Chosen bind = first_set({"transport.bind_host", "transport.host", "network.bind_host", "network.host"}, "_local_");
    const Chosen publish =
        first_set({"transport.publish_host", "transport.host", "network.publish_host", "network.host"}, "");
    auto describe = [](const Chosen& c) {
        const std::string hosts = cut_list(c.values);
        return c.key.empty() ? fmt::format("{} (the default)", hosts) : fmt::format("{} ({}, {})", hosts, c.key, c.where);
    };
    auto non_loopback = [](const Chosen& c) {
        return std::any_of(c.values.begin(), c.values.end(),
                           [](const std::string& h) { return !h.empty() && !is_loopback(h); });
    };
    if (non_loopback(bind)) {
        out_.bootstrap_enforced = true;
        out_.mode_reason = fmt::format("transport binds {}, not only loopback, and discovery.type is not single-node: "
                                       "failed bootstrap checks stop the node",
                                       describe(bind));
    } else if (!publish.key.empty() && non_loopback(publish)) {
        out_.bootstrap_enforced = true;
        out_.mode_reason = fmt::format("transport publishes {}, not loopback, and discovery.type is not single-node: "
                                       "failed bootstrap checks stop the node",
                                       describe(publish));
    } else {
        out_.bootstrap_enforced = false;
        out_.mode_reason = fmt::format("transport binds loopback only: {}: failed bootstrap checks are only logged "
                                       "(they stop the node once network.host is a real address)",
                                       describe(bind));
    }
    if (!out_.bootstrap_enforced) {
        const std::string* opts = plan_.environment.get(names_.java_opts);
        if (opts != nullptr && opts->find(names_.enforce) != std::string::npos) {
            out_.bootstrap_enforced = true;
            out_.mode_reason = fmt::format("{} sets {}: failed bootstrap checks stop the node", names_.java_opts,
                                           names_.enforce);
        }
    }
}

void Evaluator::check_settings_file() {
    for (const auto& e : facts_.settings_errors) {
        add(Severity::error, "elasticsearch-yml", e.what, e.hint, e.line > 0 ? fmt::format("{}:{}", e.file, e.line) : e.file);
    }
    if (facts_.yml_missing) {
        add(Severity::warning, "elasticsearch-yml",
            fmt::format("{} does not exist: {}'s defaults apply", facts_.yml, names_.name),
            fmt::format("check es_path_conf= or {}, which name the configuration directory", names_.path_conf));
    }
}

void Evaluator::check_root() {
    // Without the user here (as-user), the plan's uid 0 is only a placeholder.
    if (plan_.uid != 0 || !facts_.as_user.possible) return;
    // Not a bootstrap check: every version refuses, whatever the mode.
    add(Severity::error, "run-as-root",
        major_ < 5 ? std::string{"don't run elasticsearch as root."}
                   : fmt::format("can not run {} as root", names_.script),
        "set user= to the service account and remove allow_root=true", spec_where(spec_.user ? "user" : "allow_root"));
}

void Evaluator::check_java() {
    if (!facts_.java) return;
    const JavaFacts& j = *facts_.java;
    const std::string who = fmt::format("{} (uid {})", plan_.user_name, plan_.uid);
    if (j.status == JavaFacts::Status::not_found) {
        std::string message;
        if (major_ < 6) {
            message = "Could not find any executable java binary. Please install java in your PATH or set JAVA_HOME";
        } else if (major_ == 6) {
            message = "could not find java; set JAVA_HOME or ensure java is in PATH";
        } else {
            message = fmt::format("could not find java in {} at {}", j.source, j.path);
        }
        if (!j.path.empty() && major_ < 7) message += fmt::format(" ({} is not an executable file)", j.path);
        std::string fix;
        if (j.source == "PATH") {
            const std::string* path = plan_.environment.get("PATH");
            fix = fmt::format("set JAVA_HOME in environment= to a Java runtime directory, or install java in the "
                              "program's PATH ({})",
                              path != nullptr ? *path : std::string{"unset"});
        } else if (j.source.starts_with("bundled")) {
            fix = fmt::format("set {} in environment= to a Java runtime directory (this distribution has no jdk/)",
                              os_ && host_.es.version && *host_.es.version < EsVersion{1, 3, 0} ? "JAVA_HOME"
                                                                                    : names_.java_home);
        } else {
            fix = fmt::format("set {} in environment= to a directory with bin/java", j.source);
        }
        add(Severity::error, "java", std::move(message), std::move(fix), spec_where("environment"));
        return;
    }
    if (j.status == JavaFacts::Status::failed) {
        add(Severity::error, "java", fmt::format("{} -version, run as {}, {}", j.path, who, j.problem),
            fmt::format("check {} ({}); the service user must be able to run it", j.source, j.path),
            spec_where("environment"));
        return;
    }
    if (!j.passed_over.empty()) {
        add(Severity::warning, "java-home",
            fmt::format("JAVA_HOME={} has no executable bin/java, so the launch script of Elasticsearch {}.x runs {} "
                        "from PATH instead",
                        j.passed_over, major_, j.path),
            "fix JAVA_HOME in environment=, or remove it", spec_where("environment"));
    }
    if (j.major > 0) check_java_version(j);
}

// The Java versions each release runs on.
void Evaluator::check_java_version(const JavaFacts& j) {
    // The launchers of 2.x and 5.x pass JVM flags newer Java versions removed.
    if (!os_ && ((major_ < 5 && j.major > 8) || (major_ == 5 && j.major != 8))) {
        add(Severity::warning, "java-version",
            fmt::format("Elasticsearch {} runs on Java {}, and {} is Java {} ({})", host_.es.version->str(),
                        major_ < 5 ? "7 and 8" : "8", j.path, j.major, j.version),
            "set JAVA_HOME in environment= to a Java 8 runtime", spec_where("environment"));
    }
    // OpenSearch 2.x's JavaVersionChecker.
    if (opensearch_2() && j.major < 11) {
        add(Severity::error, "java-version",
            fmt::format("OpenSearch requires Java 11; your Java version from [{}] does not meet this requirement",
                        j.path),
            "remove OPENSEARCH_JAVA_HOME and JAVA_HOME (the bundled JDK is used) or point one at Java 11 or later",
            spec_where("environment"));
    }
    if (!os_ && major_ >= 8 && j.major < 17 && host_.es.version) {
        add(Severity::error, "java-version",
            fmt::format("the minimum required Java version is 17; your Java version from [{}] does not meet this "
                        "requirement",
                        j.path),
            "remove ES_JAVA_HOME (the bundled JDK is used) or point it at Java 17 or later", spec_where("environment"));
    }
}

void Evaluator::check_path(const PathFacts& p, std::string_view key, const std::string& where) {
    const bool known = facts_.as_user.possible;  // else whose bits apply is not known here (as-user)
    if ((plan_.uid == 0 && known) || p.existing.empty()) return;  // root passes every permission check
    const std::string who = fmt::format("user {} (uid {})", plan_.user_name, plan_.uid);
    auto in_groups = [&](gid_t g) {
        return g == plan_.gid || std::find(facts_.groups.begin(), facts_.groups.end(), g) != facts_.groups.end();
    };
    // As the kernel decides: the owner's bits, else the group's, else others'.
    auto allowed = [&](const PathFacts::Entry& e, unsigned bits) {
        if (!known) return true;  // only the file types are judged
        unsigned perm = e.mode & 7;
        if (e.uid == plan_.uid) perm = (e.mode >> 6) & 7;
        else if (in_groups(e.gid)) perm = (e.mode >> 3) & 7;
        return (perm & bits) == bits;
    };
    auto owner = [](const PathFacts::Entry& e) {
        return fmt::format("uid {}, gid {}, mode {}", e.uid, e.gid, mode_text(e.mode));
    };
    const std::string name = fmt::format("{} {}", key, shown_path(p.path));
    for (std::size_t i = 0; i + 1 < p.existing.size(); ++i) {
        const auto& e = p.existing[i];
        if (!allowed(e, 1)) {
            const char* who_bits = e.uid == plan_.uid ? "u" : (in_groups(e.gid) ? "g" : "o");
            add(Severity::error, std::string{key} == "path.data" ? "path-data" : "path-logs",
                fmt::format("{}: {} cannot enter {} ({})", name, who, e.path, owner(e)),
                fmt::format("chmod {}+x {}", who_bits, e.path), where);
            return;
        }
    }
    const std::string id = key == "path.data" ? "path-data" : "path-logs";
    const auto& last = p.existing.back();
    if (!S_ISDIR(last.mode)) {
        add(Severity::error, id,
            p.exists ? fmt::format("{}: not a directory", name)
                     : fmt::format("{}: {} is not a directory, so it cannot be created", name, last.path),
            fmt::format("point {} at a directory", key), where);
        return;
    }
    if (p.exists && !allowed(last, 7)) {
        add(Severity::error, id, fmt::format("{}: {} cannot write it ({})", name, who, owner(last)),
            last.uid == plan_.uid ? fmt::format("chmod u+rwx {}", shown_path(p.path))
                                  : fmt::format("chown -R {} {}", plan_.user_name, shown_path(p.path)),
            where);
    } else if (!p.exists && !allowed(last, 3)) {
        add(Severity::error, id,
            fmt::format("{} does not exist, and {} cannot create it in {} ({})", name, who, last.path, owner(last)),
            fmt::format("mkdir -p {0} && chown {1} {0}", shown_path(p.path), plan_.user_name), where);
    }
}

// The heap options the JVM gets, as the launch script of each version
// passes them.
// A protected keystore needs its passphrase on stdin: without one the
// launch script fails ("Failed to read keystore password on console").
void Evaluator::check_keystore() {
    if (!facts_.keystore) return;
    const KeystoreFacts& k = *facts_.keystore;
    // bin/opensearch of 2.14+ takes KEYSTORE_PASSWORD from the environment before stdin.
    const bool from_env = os_ && host_.es.version && *host_.es.version >= EsVersion{2, 14, 0} &&
                          plan_.environment.get("KEYSTORE_PASSWORD") != nullptr;
    const bool given = !plan_.stdin_file.empty() || from_env;
    const std::string stdin_text = from_env                    ? std::string{"KEYSTORE_PASSWORD in environment="}
                                   : !plan_.stdin_file.empty() ? "stdin=file:" + plan_.stdin_file
                                                               : std::string{"stdin=null"};
    using S = KeystoreFacts::Status;
    out_.keystore = fmt::format("{}: {}; {}", k.path,
                                k.status == S::protected_    ? "password-protected"
                                : k.status == S::unprotected ? "not password-protected"
                                                             : "unknown (" + k.problem + ")",
                                stdin_text);
    if (k.status == S::protected_ && !given) {
        add(Severity::error, "keystore-passphrase",
            fmt::format("{} is password-protected and stdin= gives no passphrase: the node would not start "
                        "(\"Failed to read keystore password on console\")",
                        k.path),
            "write the passphrase and a newline to a root:root 0600 file and set stdin=file:PATH",
            spec_where("stdin"));
    } else if (k.status == S::unprotected && given) {
        add(Severity::warning, "keystore-passphrase",
            fmt::format("{} gives a passphrase, but {} is not password-protected: nothing reads it", stdin_text,
                        k.path),
            fmt::format("remove {}, or protect the keystore: bin/{}-keystore passwd",
                        from_env ? "KEYSTORE_PASSWORD from environment=" : "stdin=", names_.script),
            spec_where("stdin"));
    } else if (k.status == S::failed) {
        add(Severity::warning, "keystore-passphrase",
            fmt::format("whether {} needs a passphrase is unknown: {}", k.path, k.problem),
            fmt::format("run bin/{}-keystore has-passwd as the node's user", names_.script), spec_where("stdin"));
    }
}

Heap Evaluator::heap_options() const {
    Heap heap;
    const EnvMap& env = plan_.environment;
    if (major_ < 5) {
        // bin/elasticsearch.in.sh of 2.x: ES_HEAP_SIZE sets both, else ES_MIN_MEM / ES_MAX_MEM.
        if (const std::string* size = env.get("ES_HEAP_SIZE"); size != nullptr && !size->empty()) {
            heap.take("-Xms" + *size, "ES_HEAP_SIZE");
            heap.take("-Xmx" + *size, "ES_HEAP_SIZE");
        } else {
            const std::string* min = env.get("ES_MIN_MEM");
            const std::string* max = env.get("ES_MAX_MEM");
            heap.take("-Xms" + (min != nullptr ? *min : std::string{"256m"}),
                      min != nullptr ? "ES_MIN_MEM" : "ES_MIN_MEM's default");
            heap.take("-Xmx" + (max != nullptr ? *max : std::string{"1g"}),
                      max != nullptr ? "ES_MAX_MEM" : "ES_MAX_MEM's default");
        }
    } else {
        for (const auto& o : host_.es.jvm_options) heap.take(o.option, o.where);
    }
    // ES_JAVA_OPTS (OPENSEARCH_JAVA_OPTS) comes after jvm.options (and after
    // 2.x's JAVA_OPTS): the JVM takes the last.
    if (const std::string* opts = env.get(names_.java_opts)) {
        for (const auto& o : java_opts_heap(*opts, std::string{names_.java_opts})) heap.take(o.option, o.where);
    }
    return heap;
}

void Evaluator::check_heap() {
    const Heap heap = heap_options();
    const std::string fix_via = major_ < 5 ? "eslaunch passes ES_HEAP_SIZE, which sets both"
                                           : fmt::format("eslaunch passes -Xms and -Xmx, equal, last in {}",
                                                         names_.java_opts);
    if (!heap.xms && !heap.xmx) {
        // 7.11 and later size the heap themselves when no heap option is given.
        if (major_ > 7 || (major_ == 7 && minor_ >= 11)) return;
        add(bootstrap(5), "heap-size",
            fmt::format("no -Xms or -Xmx in jvm.options or {}: the JVM starts with 1/64 of the memory and grows to "
                        "1/4, and {} reports \"initial heap size [...] not equal to maximum heap size [...]\"",
                        names_.java_opts, names_.name),
            fmt::format("heap_size=SIZE in the spec, e.g. heap_size=50%: {}", fix_via));
        return;
    }
    if (!heap.xms || !heap.xmx) {
        const std::string& given = heap.xms ? heap.xms_text : heap.xmx_text;
        add(bootstrap(5), "heap-size",
            fmt::format("{} without {}: the JVM picks the other itself, and {} reports \"initial heap size "
                        "[...] not equal to maximum heap size [...]\"",
                        given, heap.xms ? "-Xmx" : "-Xms", names_.name),
            fmt::format("heap_size={} in the spec: {}", format_jvm_size(heap.xms ? *heap.xms : *heap.xmx), fix_via));
        return;
    }
    if (*heap.xms == *heap.xmx) return;
    std::string tail = "this can cause resize pauses and prevents mlockall from locking the entire heap";
    if (major_ >= 7) {
        const bool locking = setting_is("bootstrap.memory_lock", "true") &&
                             effective(LimitResource::memlock).soft == limit_infinity;
        tail = locking ? "this can cause resize pauses and prevents memory locking from locking the entire heap"
                       : "this can cause resize pauses";
    }
    add(bootstrap(5), "heap-size",
        fmt::format("initial heap size [{}] not equal to maximum heap size [{}]; {}", *heap.xms, *heap.xmx, tail),
        fmt::format("heap_size={} in the spec ({}; now {} and {})", format_jvm_size(*heap.xmx), fix_via, heap.xms_text,
                    heap.xmx_text));
}

void Evaluator::check_limits() {
    const std::string& user = plan_.user_name;
    // The JVM raises the soft limit of open files to the hard limit at start
    // (HotSpot's MaxFDLimit, on by default on Linux): the hard limit is what
    // Elasticsearch sees.
    const std::uint64_t files_wanted = es_min_open_files(EsVersion{major_, 0, 0});
    const LimitValue files = effective(LimitResource::nofile);
    if (files.hard < files_wanted) {
        add(bootstrap(5), "max-file-descriptors",
            fmt::format("max file descriptors [{}] for {} process is too low, increase to at least [{}]", files.hard,
                        names_.script, files_wanted),
            limit_fix(LimitResource::nofile, files_wanted), spec_where("limit_nofile"));
    }
    const std::uint64_t threads_wanted = major_ == 5 ? 2048 : 4096;
    const LimitValue threads = effective(LimitResource::nproc);
    if (threads.soft < threads_wanted) {
        add(bootstrap(5), "max-number-of-threads",
            fmt::format("max number of threads [{}] for user [{}] is too low, increase to at least [{}]", threads.soft,
                        user, threads_wanted),
            limit_fix(LimitResource::nproc, threads_wanted), spec_where("limit_nproc"));
    }
    const LimitValue as = effective(LimitResource::as);
    if (as.soft != limit_infinity) {
        add(bootstrap(5), "max-size-virtual-memory",
            fmt::format("max size virtual memory [{}] for user [{}] is too low, increase to [unlimited]", as.soft, user),
            limit_fix(LimitResource::as, limit_infinity), spec_where("limit_as"));
    }
    const LimitValue fsize = effective(LimitResource::fsize);
    if (fsize.soft != limit_infinity) {
        add(bootstrap(6), "max-file-size",
            fmt::format("max file size [{}] for user [{}] is too low, increase to [unlimited]", fsize.soft, user),
            limit_fix(LimitResource::fsize, limit_infinity), spec_where("limit_fsize"));
    }
}

// The plan requires an unlimited memlock limit when the node asks for the
// lock; this says whether the hard limit where eslaunch runs allows it.
void Evaluator::check_memory_lock() {
    // 1.x and 2.x read bootstrap.mlockall, 5.x and later bootstrap.memory_lock.
    const std::string_view key = major_ < 5 ? "bootstrap.mlockall" : "bootstrap.memory_lock";
    if (!setting_is(key, "true")) return;
    if (effective(LimitResource::memlock).soft == limit_infinity) return;
    const auto current = host_.current_limits.find(LimitResource::memlock);
    const bool capped = current != host_.current_limits.end() && current->second.hard != limit_infinity &&
                        !host_.cap_sys_resource;
    const std::string request = fmt::format("{}: true ({})", key, settings_.where(key));
    std::string message =
        fmt::format("memory locking requested for {} process but memory is not locked", names_.script);
    if (capped) {
        message += fmt::format(": {} needs the memlock limit unlimited, and the hard limit here is {}, which "
                               "eslaunch cannot raise (the launch exits 205)",
                               request, format_limit_number(LimitResource::memlock, current->second.hard));
    }
    add(bootstrap(5), "memory-lock", std::move(message),
        capped ? memory_lock_hint(request) : limit_fix(LimitResource::memlock, limit_infinity), settings_.where(key));
}

void Evaluator::check_max_map_count() {
    if (!facts_.max_map_count || *facts_.max_map_count >= min_max_map_count) return;
    // Without mmap (7.x node.store.allow_mmap, 6.x node.store.allow_mmapfs) the check is skipped.
    if (setting_is("node.store.allow_mmap", "false") || setting_is("node.store.allow_mmapfs", "false")) return;
    add(bootstrap(5), "max-map-count",
        fmt::format("max virtual memory areas vm.max_map_count [{}] is too low, increase to at least [{}]",
                    *facts_.max_map_count, min_max_map_count),
        fmt::format("sysctl -w vm.max_map_count={0} (as root, on the host: containers share it), and keep it across "
                    "reboots: echo vm.max_map_count={0} > /etc/sysctl.d/99-{1}.conf",
                    min_max_map_count, names_.script),
        "/proc/sys/vm/max_map_count");
}

void Evaluator::check_discovery() {
    // On loopback a 7.x+ node elects itself: the check matters in production only.
    if (major_ < 7 || !out_.bootstrap_enforced) return;
    if (auto type = settings_.get("discovery.type"); type && *type != "multi-node" && *type != "zen") return;
    std::vector<std::string_view> keys = {"discovery.seed_hosts", "discovery.seed_providers",
                                          "cluster.initial_master_nodes"};
    if (major_ == 7) {  // 7.x still reads the zen names
        keys.push_back("discovery.zen.ping.unicast.hosts");
        keys.push_back("discovery.zen.hosts_provider");
    }
    // OpenSearch 2.0 renamed the initial masters, and reads the old name too.
    const bool manager = opensearch_2();
    if (manager) keys.push_back("cluster.initial_cluster_manager_nodes");
    for (std::string_view k : keys) {
        if (settings_.has(k)) return;
    }
    add(bootstrap(7), "discovery-not-configured",
        fmt::format("the default discovery settings are unsuitable for production use; at least one of "
                    "[discovery.seed_hosts, discovery.seed_providers, {}] must be configured",
                    manager ? "cluster.initial_cluster_manager_nodes / cluster.initial_master_nodes"
                            : "cluster.initial_master_nodes"),
        fmt::format("in {}: discovery.seed_hosts (the {}-eligible nodes' addresses) and, for the cluster's first "
                    "start only, {}; or discovery.type: single-node for a one-node cluster",
                    facts_.yml.empty() ? fmt::format("{}.yml", names_.script) : facts_.yml, manager ? "cluster-manager" : "master",
                    manager ? "cluster.initial_cluster_manager_nodes" : "cluster.initial_master_nodes"),
        facts_.yml);
}

void Evaluator::check_probe() {
    // The probe the watcher will run: ready=, or the default the plan took
    // from elasticsearch.yml (which cannot follow _site_ and the like).
    const ReadyProbe& probe = plan_.readiness.probe;
    if (probe.kind != ReadyProbe::Kind::tcp && probe.kind != ReadyProbe::Kind::http &&
        probe.kind != ReadyProbe::Kind::https) {
        return;
    }
    const ProbeNamed said{spec_.ready ? fmt::format("ready={}", probe.str())
                                      : fmt::format("the default probe {}", probe.str()),
                          spec_.ready ? spec_where("ready") : facts_.yml};
    const ServedPorts ports = served_ports();
    if (!ports.http) return;  // Elasticsearch refuses such a port itself
    const bool http = probes_http(probe, *ports.http, ports.transport);
    check_probe_port(probe, ports, http, said);
    check_probe_address(probe, http, said);
    if (http) check_probe_scheme(probe, said);
}

ServedPorts Evaluator::served_ports() const {
    ServedPorts p{first_set({"http.port"}, "9200-9300"), std::nullopt,
                  first_set({"transport.port", "transport.tcp.port"}, "9300-9400"), std::nullopt};
    p.http = parse_port_range(p.http_setting.values.empty() ? "" : p.http_setting.values.front());
    p.transport = parse_port_range(p.transport_setting.values.empty() ? "" : p.transport_setting.values.front());
    return p;
}

// The probe's port in the range of the layer it knocks on; Elasticsearch
// takes the first free port of a range.
void Evaluator::check_probe_port(const ReadyProbe& probe, const ServedPorts& ports, bool http, const ProbeNamed& said) {
    const PortRange range = http ? *ports.http : *ports.transport;
    if (!range.contains(probe.port)) {
        std::string serves = fmt::format("HTTP on {}", port_text(ports.http_setting, *ports.http));
        if (probe.kind == ReadyProbe::Kind::tcp && ports.transport) {
            serves += fmt::format(" and transport on {}", port_text(ports.transport_setting, *ports.transport));
        }
        add(Severity::error, "probe-port",
            fmt::format("{} probes port {}, but {} serves {}: the probe never succeeds and the start fails after "
                        "ready_timeout",
                        said.named, probe.port, names_.name, serves),
            fmt::format("ready= with port {} in the spec, or change http.port", ports.http->low), said.where);
    } else if (range.low != range.high && probe.port != range.low) {
        add(Severity::warning, "probe-port",
            fmt::format("{} probes port {}, but {} takes the first free port of {}", said.named, probe.port,
                        names_.name, port_text(http ? ports.http_setting : ports.transport_setting, range)),
            fmt::format("set {} to {} in {}.yml", http ? "http.port" : "transport.port", probe.port, names_.script),
            said.where);
    }
}

// The probe's host among the addresses that layer binds.
void Evaluator::check_probe_address(const ReadyProbe& probe, bool http, const ProbeNamed& said) {
    const Chosen bind = http ? first_set({"http.bind_host", "http.host", "network.bind_host", "network.host"}, "_local_")
                             : first_set({"transport.bind_host", "transport.host", "network.bind_host", "network.host"},
                                         "_local_");
    if (may_reach(bind.values, probe.host)) return;
    const std::string hosts = cut_list(bind.values);
    add(Severity::error, "probe-address",
        fmt::format("{} probes {}, but {} binds {} to {} ({}): the probe never succeeds and the start fails after "
                    "ready_timeout",
                    said.named, probe.host, names_.name, http ? "HTTP" : "transport", hosts,
                    bind.key.empty() ? "the default" : bind.key + ", " + bind.where),
        is_loopback(probe.host) ? fmt::format("set ready= in the spec to an address the node binds, or bind loopback "
                                              "too: {}: [_local_, {}]",
                                              bind.key.empty() ? "network.host" : bind.key, hosts)
                                : "set ready= in the spec to an address the node binds (the default _local_ binds "
                                  "127.0.0.1 and ::1)",
        said.where);
}

// http:// or https:// as the HTTP layer speaks.
void Evaluator::check_probe_scheme(const ReadyProbe& probe, const ProbeNamed& said) {
    const std::string_view key = names_.tls_key;
    if (probe.kind == ReadyProbe::Kind::http && setting_is(key, "true")) {
        add(Severity::error, "probe-scheme",
            fmt::format("{} speaks plain HTTP, but {} is true ({}): {} answers only TLS there", said.named, key,
                        settings_.where(key), names_.name),
            "ready=https://... in the spec, with ready_ca= (the http CA) or ready_insecure=true", said.where);
    } else if (probe.kind == ReadyProbe::Kind::https && setting_is(key, "false")) {
        add(Severity::error, "probe-scheme",
            fmt::format("{} speaks TLS, but {} is false ({})", said.named, key, settings_.where(key)),
            "ready=http://... in the spec", said.where);
    }
}

Preflight Evaluator::run() {
    out_.product = names_.name;
    out_.version = host_.es.version ? host_.es.version->str() : "unknown";
    out_.yml = facts_.yml;
    if (host_.es.version) out_.java = facts_.java;
    decide_mode();
    if (!host_.es.version) {
        add(Severity::warning, "version-unknown",
            fmt::format("no lib/{}-X.Y.Z.jar under '{}': java, path.data and path.logs are not checked, the other "
                        "checks follow {}",
                        names_.script, host_.es.home.empty() ? std::string{"(no es_home)"} : host_.es.home,
                        os_ ? "OpenSearch 2.x" : "Elasticsearch 8.x"),
            fmt::format("set es_home= to the {} directory", names_.name), spec_where("es_home"));
    }
    check_settings_file();
    check_root();
    // Without a recognised home, what the home decides (java, default paths) means nothing.
    if (host_.es.version) {
        check_java();
        check_keystore();
        const EsPaths paths = es_paths(settings_, host_.es.home);
        for (const auto& p : facts_.data_paths) check_path(p, "path.data", paths.data_where);
        if (facts_.logs_path) check_path(*facts_.logs_path, "path.logs", paths.logs_where);
    }
    check_heap();
    check_limits();
    check_memory_lock();
    check_max_map_count();
    check_discovery();
    check_probe();
    std::stable_sort(out_.findings.begin(), out_.findings.end(),
                     [](const Finding& a, const Finding& b) { return a.severity < b.severity; });
    return std::move(out_);
}

}  // namespace

int Preflight::errors() const {
    return static_cast<int>(std::count_if(findings.begin(), findings.end(),
                                          [](const Finding& f) { return f.severity == Finding::Severity::error; }));
}

int Preflight::warnings() const { return static_cast<int>(findings.size()) - errors(); }

EsPaths es_paths(const EsSettings& settings, const std::string& home) {
    EsPaths out;
    auto absolute = [&](const std::string& p) { return p.starts_with('/') || home.empty() ? p : home + "/" + p; };
    for (std::string_view key : {"path.data", "default.path.data"}) {
        if (!settings.has(key)) continue;
        for (const auto& p : settings.list(key)) out.data.push_back(absolute(p));
        out.data_where = settings.where(key);
        break;
    }
    if (out.data.empty() && !home.empty()) {
        out.data.push_back(home + "/data");
        out.data_where = settings.file;  // where path.data would be set
    }
    for (std::string_view key : {"path.logs", "default.path.logs"}) {
        if (auto v = settings.get(key); v && !v->empty()) {
            out.logs = absolute(*v);
            out.logs_where = settings.where(key);
            break;
        }
    }
    if (out.logs.empty() && !home.empty()) {
        out.logs = home + "/logs";
        out.logs_where = settings.file;
    }
    return out;
}

void resolve_env_placeholders(EsSettings& settings, const EnvMap& env) {
    auto resolve = [&](const std::string& value) {
        std::string out;
        std::size_t i = 0;
        while (i < value.size()) {
            const std::size_t start = value.find("${", i);
            const std::size_t end = start == std::string::npos ? std::string::npos : value.find('}', start);
            if (end == std::string::npos) {
                out.append(value, i, std::string::npos);
                break;
            }
            out.append(value, i, start - i);
            const std::string inner = value.substr(start + 2, end - start - 2);
            const std::size_t colon = inner.find(':');
            const std::string name = inner.substr(0, colon);
            if (const std::string* v = env.get(name)) out += *v;
            else if (colon != std::string::npos) out += inner.substr(colon + 1);
            else out.append(value, start, end - start + 1);
            i = end + 1;
        }
        return out;
    };
    std::vector<std::pair<std::string, EsSetting>> changed;
    for (const auto& [key, setting] : settings.all()) {
        EsSetting s = setting;
        bool any = false;
        for (auto& v : s.values) {
            if (v.find("${") == std::string::npos) continue;
            v = resolve(v);
            any = true;
        }
        if (any) changed.emplace_back(key, std::move(s));
    }
    for (auto& [key, s] : changed) settings.set(key, std::move(s));
}

Preflight evaluate_preflight(const Spec& spec, const LaunchPlan& plan, const HostFacts& host,
                             const PreflightFacts& facts) {
    return Evaluator{spec, plan, host, facts}.run();
}

}  // namespace eslaunch
