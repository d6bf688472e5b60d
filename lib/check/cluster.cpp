#include "eslaunch/cluster.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>

#include "eslaunch/values.hpp"
#include "hosts.hpp"
#include "text.hpp"

namespace eslaunch {
namespace {

using Severity = Finding::Severity;

// Versions as major * 100 + minor; the newest is open-ended.
constexpr int newest = 100000;

struct Range {
    int low = 0;
    int high = newest;
    [[nodiscard]] bool empty() const { return low > high; }
    [[nodiscard]] Range meet(Range o) const { return {std::max(low, o.low), std::min(high, o.high)}; }
};

// Settings that only some versions read, and the versions that do (from
// each version's reference: what was added, renamed or removed when).
struct Marker {
    std::string_view key;
    bool prefix;  // any key under it
    Range versions;
};
constexpr Marker markers[] = {
    {"node.roles", false, {709, newest}},
    {"discovery.seed_hosts", false, {700, newest}},
    {"discovery.seed_providers", false, {700, newest}},
    {"cluster.initial_master_nodes", false, {700, newest}},
    // Read by 7.x only to upgrade from 6.x: setting it means zen.
    {"discovery.zen.minimum_master_nodes", false, {0, 699}},
    {"discovery.zen.ping.unicast.hosts", false, {0, 799}},
    {"discovery.zen.hosts_provider", false, {500, 699}},
    {"discovery.zen.ping.multicast.", true, {0, 299}},
    {"node.master", false, {0, 799}},
    {"node.data", false, {0, 799}},
    {"node.ingest", false, {500, 799}},
    {"node.client", false, {0, 299}},
    {"bootstrap.mlockall", false, {0, 299}},
    {"bootstrap.memory_lock", false, {500, newest}},
    {"index.", true, {0, 299}},  // node-level index settings: refused from 5.0
    {"path.plugins", false, {0, 299}},
    {"node.attr.", true, {500, newest}},
    {"xpack.", true, {500, newest}},
    {"http.enabled", false, {0, 699}},
};

std::string version_label(Range r) {
    if (r.low == 0 && r.high == newest) return "unknown";
    if (r.high <= 299) return "2.x";
    auto from = [](int v) { return v % 100 != 0 ? fmt::format("{}.{}", v / 100, v % 100) : fmt::format("{}.x", v / 100); };
    if (r.high == newest) return from(r.low) + "+";
    const std::string to = fmt::format("{}.x", r.high / 100);
    if (r.low == 0) return "<=" + to;
    if (r.low / 100 == r.high / 100 && r.low % 100 == 0) return to;
    return from(r.low) + "-" + to;
}

// OpenSearch (forked from Elasticsearch 7.10) reads 7.10's settings; the
// 2.0 names say 2.0+. Versions here are OpenSearch's, major * 100 + minor.
constexpr int es_forked = 710;
constexpr Range opensearch2{200, newest};

std::string opensearch_label(Range r) { return r.low >= 200 ? "2.0+" : "1.0+"; }

enum class Product { elasticsearch, opensearch };

// What says a file is OpenSearch's or Elasticsearch's: its name, or a
// setting only one of them has (the file may be a copy, m1.yml). Empty
// where nothing says.
struct Evidence {
    std::string opensearch;
    std::string elasticsearch;
};

bool has_role(const EsSettings& s, std::string_view role) {
    const auto roles = s.list("node.roles");
    return std::find(roles.begin(), roles.end(), role) != roles.end();
}

Evidence product_evidence(const EsSettings& s) {
    Evidence e;
    const std::string name = std::filesystem::path(s.file).filename().string();
    if (name == "opensearch.yml") e.opensearch = "its name";
    if (name == "elasticsearch.yml") e.elasticsearch = "its name";
    if (e.opensearch.empty() && s.has("cluster.initial_cluster_manager_nodes")) {
        e.opensearch = s.where("cluster.initial_cluster_manager_nodes");
    }
    if (e.opensearch.empty() && has_role(s, "cluster_manager")) e.opensearch = s.where("node.roles");
    for (const auto& [key, setting] : s.all()) {
        if (e.opensearch.empty() && key.starts_with("plugins.")) e.opensearch = s.where(key);
        if (e.elasticsearch.empty() && key.starts_with("xpack.")) e.elasticsearch = s.where(key);
    }
    return e;
}

// A file nothing names takes the others' product when they agree.
Product unnamed_product(const std::vector<Evidence>& evidence) {
    bool os = false;
    bool es = false;
    for (const auto& e : evidence) {
        os = os || !e.opensearch.empty();
        es = es || !e.elasticsearch.empty();
    }
    return os && !es ? Product::opensearch : Product::elasticsearch;
}

// The words of each product's messages.
struct Words {
    std::string_view eligible;  // master-eligible
    std::string_view manager;   // master
    std::string_view yml;
    std::string_view roles;  // how a node is made eligible
};
constexpr Words es_words{"master-eligible", "master", "elasticsearch.yml", "node.master: true, or master in node.roles"};
constexpr Words os_words{"cluster-manager-eligible", "cluster manager", "opensearch.yml",
                         "cluster_manager in node.roles; 1.x: master"};

// An address a node can be reached by: not 0.0.0.0/::, not _site_ & co.
bool is_concrete_host(std::string_view h) {
    const std::string s = strip_brackets(h);
    if (s.empty() || s == "0.0.0.0" || s == "0" || s == "::") return false;
    return !(s.front() == '_' && s.back() == '_') && s.find("${") == std::string::npos;
}

// The transport's default port range.
constexpr PortRange default_transport_ports{9300, 9400};

// A seed address: host, host:port, [v6]:port, a bare v6 literal; 5.x and
// 6.x also took port ranges (host:9300-9305).
struct Seed {
    std::string text;
    std::string host;
    std::optional<PortRange> ports;
};

Seed parse_seed(const std::string& text) {
    Seed s{text, text, std::nullopt};
    if (text.starts_with('[')) {
        const std::size_t close = text.find(']');
        if (close == std::string::npos) return s;
        s.host = text.substr(1, close - 1);
        if (close + 1 < text.size() && text[close + 1] == ':') s.ports = parse_port_range(text.substr(close + 2));
        return s;
    }
    const std::size_t colon = text.find(':');
    if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos) return s;  // v6 literal
    if (auto ports = parse_port_range(text.substr(colon + 1))) {
        s.host = text.substr(0, colon);
        s.ports = ports;
    }
    return s;
}

enum class Model { unknown, zen, zen2 };

struct Node {
    const EsSettings* settings = nullptr;
    ClusterNode out;
    Range versions;
    Model model = Model::unknown;
    std::vector<std::string> hosts;  // concrete addresses it is known by, lower case
    PortRange ports = default_transport_ports;
    std::string label;  // node.name, else the file
    Product product = Product::elasticsearch;
    [[nodiscard]] const Words& words() const { return product == Product::opensearch ? os_words : es_words; }
};

// Zen2 (7.x+) when a 7.x discovery or roles setting is there, else zen when
// the versions or a zen setting say so. OpenSearch has no zen: the zen.*
// discovery keys it reads are 7.10's fallbacks.
Model discovery_model(const EsSettings& s, Range versions, Product product) {
    const bool has7 = s.has("node.roles") || s.has("discovery.seed_hosts") || s.has("discovery.seed_providers") ||
                      s.has("cluster.initial_master_nodes") || s.has("cluster.initial_cluster_manager_nodes");
    if (product == Product::opensearch) {
        const bool legacy = s.has("discovery.zen.ping.unicast.hosts") || s.has("discovery.zen.hosts_provider");
        return has7 || legacy ? Model::zen2 : Model::unknown;
    }
    bool zen = versions.high <= 699 || s.has("discovery.zen.minimum_master_nodes") ||
               s.has("discovery.zen.ping.unicast.hosts") || s.has("discovery.zen.hosts_provider");
    for (const auto& [key, setting] : s.all()) zen = zen || key.starts_with("discovery.zen.ping.multicast.");
    return has7 ? Model::zen2 : (zen ? Model::zen : Model::unknown);
}

// The address it is published and bound at, the names it goes by, and its
// transport ports.
void read_addresses(const EsSettings& s, Node& n) {
    for (std::string_view key : {"network.publish_host", "transport.publish_host", "transport.host", "network.host",
                                 "transport.bind_host", "network.bind_host"}) {
        for (const auto& h : s.list(key)) {
            if (!is_concrete_host(h)) continue;
            if (n.out.address.empty()) n.out.address = strip_brackets(h);
            n.hosts.push_back(ascii_lower(strip_brackets(h)));
        }
    }
    if (!n.out.name.empty() && n.out.name.find("${") == std::string::npos) n.hosts.push_back(ascii_lower(n.out.name));
    for (std::string_view key : {"transport.port", "transport.tcp.port"}) {
        auto v = s.get(key);
        if (!v) continue;
        if (auto p = parse_port_range(*v)) {
            n.ports = *p;
            if (!n.out.address.empty()) n.out.address += ":" + *v;
        }
        break;
    }
}

class Checker {
public:
    explicit Checker(const std::vector<EsSettings>& settings) {
        std::vector<Evidence> evidence;
        for (const auto& s : settings) evidence.push_back(product_evidence(s));
        const Product fallback = unnamed_product(evidence);
        for (std::size_t i = 0; i < settings.size(); ++i) nodes_.push_back(describe(settings[i], evidence[i], fallback));
    }
    ClusterReport run();

private:
    void add(Severity severity, std::string id, std::string message, std::string fix, std::string where) {
        report_.findings.push_back({severity, std::move(id), std::move(message), std::move(fix), std::move(where), 0});
    }
    Node describe(const EsSettings& s, const Evidence& evidence, Product fallback);
    Product product_of(const EsSettings& s, const Evidence& evidence, Product fallback);
    Range version_family(const EsSettings& s, const std::string& label);
    Range opensearch_family(const EsSettings& s, const std::string& label);
    [[nodiscard]] const Words& words() const { return report_.product == "opensearch" ? os_words : es_words; }
    void read_roles(const EsSettings& s, Node& n);
    void opensearch_roles(const EsSettings& s, const Node& n);
    std::optional<bool> flag(const EsSettings& s, std::string_view key, bool fallback);
    [[nodiscard]] bool matches(const Node& n, const Seed& seed) const;
    [[nodiscard]] const Node* find_node(const std::string& entry) const;
    [[nodiscard]] std::string names(const std::vector<const Node*>& list) const;

    void count_nodes();
    void check_products();
    void classify_discovery();
    void check_cluster_name();
    void check_node_names();
    void check_masters();
    void check_zen(const Node& n);
    void check_initial_masters();
    void check_seeds(const Node& n);
    void check_node(const Node& n, bool several);

    std::vector<Node> nodes_;
    ClusterReport report_;
};

std::optional<bool> Checker::flag(const EsSettings& s, std::string_view key, bool fallback) {
    auto v = s.get(key);
    if (!v) return fallback;
    auto b = parse_bool(*v);
    if (!b) {
        add(Severity::error, "invalid-setting", fmt::format("{}: '{}' is not a boolean", key, cut(*v)),
            fmt::format("{}: true or {}: false", key, key), s.where(key));
        return std::nullopt;
    }
    return *b;
}

Node Checker::describe(const EsSettings& s, const Evidence& evidence, Product fallback) {
    Node n;
    n.settings = &s;
    n.out.file = s.file;
    n.out.name = s.get("node.name").value_or("");
    n.label = n.out.name.empty() ? s.file : cut(n.out.name);  // for messages
    n.product = product_of(s, evidence, fallback);
    const bool os = n.product == Product::opensearch;
    n.out.product = os ? "opensearch" : "elasticsearch";
    n.versions = os ? opensearch_family(s, n.label) : version_family(s, n.label);
    n.out.version = os ? opensearch_label(n.versions) : version_label(n.versions);
    n.model = discovery_model(s, n.versions, n.product);
    read_roles(s, n);
    read_addresses(s, n);
    return n;
}

// A file that says it is both products' is an error, read as its name
// says (else as Elasticsearch's).
Product Checker::product_of(const EsSettings& s, const Evidence& evidence, Product fallback) {
    if (!evidence.opensearch.empty() && !evidence.elasticsearch.empty()) {
        const bool os_by_name = evidence.opensearch == "its name";
        add(Severity::error, "product-mix",
            fmt::format("{} is OpenSearch's ({}) and Elasticsearch's ({}) at once: it is read as {}'s", s.file,
                        evidence.opensearch, evidence.elasticsearch, os_by_name ? "OpenSearch" : "Elasticsearch"),
            "keep the settings of the product the node runs", s.file);
        return os_by_name ? Product::opensearch : Product::elasticsearch;
    }
    if (!evidence.opensearch.empty()) return Product::opensearch;
    if (!evidence.elasticsearch.empty()) return Product::elasticsearch;
    return fallback;
}

// An OpenSearch node's versions: its 2.0 names, and the zen settings 7.10
// no longer read (xpack.* is the product's own error).
Range Checker::opensearch_family(const EsSettings& s, const std::string& label) {
    Range versions;
    if (s.has("cluster.initial_cluster_manager_nodes") || has_role(s, "cluster_manager")) versions = opensearch2;
    for (const auto& m : markers) {
        if (m.versions.low <= es_forked && m.versions.high >= es_forked) continue;
        if (m.key == "xpack." || m.key == "discovery.zen.hosts_provider") continue;  // 7.10 reads the latter
        for (const auto& [key, setting] : s.all()) {
            if (!(m.prefix ? key.starts_with(m.key) : key == m.key)) continue;
            add(Severity::warning, "version-mix",
                fmt::format("{} is a setting of Elasticsearch {}, not of OpenSearch: {} ignores or refuses it", cut(key),
                            version_label(m.versions), label),
                fmt::format("remove {}", cut(key)), s.where(key));
            break;
        }
    }
    return versions;
}

// The version family: where the ranges of the settings it uses meet. A
// setting that fits none of the others' versions is reported, and the
// newest evidence wins.
Range Checker::version_family(const EsSettings& s, const std::string& label) {
    std::vector<std::pair<const Marker*, std::string>> found;
    for (const auto& m : markers) {
        for (const auto& [key, setting] : s.all()) {
            if (m.prefix ? key.starts_with(m.key) : key == m.key) {
                found.emplace_back(&m, key);
                break;
            }
        }
    }
    std::stable_sort(found.begin(), found.end(),
                     [](const auto& a, const auto& b) { return a.first->versions.low > b.first->versions.low; });
    Range versions;
    for (const auto& [m, key] : found) {
        const Range met = versions.meet(m->versions);
        if (!met.empty()) {
            versions = met;
            continue;
        }
        add(Severity::warning, "version-mix",
            fmt::format("{} is a setting of Elasticsearch {}, but {}'s other settings are of {}: it is ignored or "
                        "refused",
                        cut(key), version_label(m->versions), label, version_label(versions)),
            fmt::format("remove {}, or check which version this node runs", cut(key)), s.where(key));
    }
    return versions;
}

// node.roles, or the legacy node.master, node.data, node.ingest (and 2.x's
// node.client); both at once is an error.
void Checker::read_roles(const EsSettings& s, Node& n) {
    if (s.has("node.roles")) {
        n.out.roles = s.list("node.roles");
        n.out.master_eligible = has_role(s, "master") || has_role(s, "cluster_manager");
        if (n.product == Product::opensearch) opensearch_roles(s, n);
        for (std::string_view legacy : {"node.master", "node.data", "node.ingest"}) {
            if (!s.has(legacy)) continue;
            add(Severity::error, "node-roles",
                fmt::format("can not explicitly configure node roles and use legacy role setting [{}]=[{}]", legacy,
                            cut(*s.get(legacy))),
                fmt::format("remove {} and keep node.roles", legacy), s.where(legacy));
        }
        return;
    }
    // 2.x's node.client: true meant neither master nor data.
    const bool client = flag(s, "node.client", false).value_or(false);
    const bool master = flag(s, "node.master", !client).value_or(true);
    const bool data = flag(s, "node.data", !client).value_or(true);
    const bool ingest = n.versions.high >= 500 && flag(s, "node.ingest", true).value_or(true);
    n.out.master_eligible = master;
    // OpenSearch 2.x's default role is cluster_manager; node.master gives master.
    const bool manager = n.product == Product::opensearch && n.versions.low >= 200 && !s.has("node.master");
    if (master) n.out.roles.emplace_back(manager ? "cluster_manager" : "master");
    if (data) n.out.roles.emplace_back("data");
    if (ingest) n.out.roles.emplace_back("ingest");
}

// OpenSearch 2.x refuses master beside cluster_manager, and calls master
// deprecated (the node's 2.0 names say it runs 2.x).
void Checker::opensearch_roles(const EsSettings& s, const Node& n) {
    if (!has_role(s, "master")) return;
    if (has_role(s, "cluster_manager")) {
        add(Severity::error, "node-roles",
            "the two roles [master, cluster_manager] can not be assigned together to a node (OpenSearch refuses to "
            "start)",
            "keep cluster_manager in node.roles and remove master", s.where("node.roles"));
    } else if (n.versions.low >= 200) {
        add(Severity::warning, "node-roles",
            "master in node.roles is deprecated in OpenSearch 2.x, whose other settings this node uses",
            "node.roles: cluster_manager in place of master", s.where("node.roles"));
    }
}

// The key a node bootstraps from: OpenSearch 2.x reads
// cluster.initial_master_nodes only where initial_cluster_manager_nodes is
// not set (ClusterBootstrapService's fallback).
constexpr std::string_view master_key = "cluster.initial_master_nodes";
std::string_view initial_key_of(const Node& n) {
    constexpr std::string_view manager_key = "cluster.initial_cluster_manager_nodes";
    return n.product == Product::opensearch && n.settings->has(manager_key) ? manager_key : master_key;
}

// A seed reaches a node at one of its addresses, or by its node.name (a
// host name, as often); a port must fall in its transport range.
bool Checker::matches(const Node& n, const Seed& seed) const {
    const std::string host = ascii_lower(seed.host);
    bool host_ok = std::find(n.hosts.begin(), n.hosts.end(), host) != n.hosts.end();
    if (!host_ok && !is_ip_literal(host) && !n.out.name.empty()) {
        host_ok = host.substr(0, host.find('.')) == ascii_lower(n.out.name);  // es-m1.example.org is node es-m1
    }
    if (!host_ok) return false;
    return !seed.ports || seed.ports->meets(n.ports);
}

const Node* Checker::find_node(const std::string& entry) const {
    for (const auto& n : nodes_) {
        if (!n.out.name.empty() && n.out.name == entry) return &n;
    }
    const Seed seed = parse_seed(entry);
    for (const auto& n : nodes_) {
        if (matches(n, seed)) return &n;
    }
    return nullptr;
}

std::string Checker::names(const std::vector<const Node*>& list) const {
    std::string out;
    for (const Node* n : list) out += (out.empty() ? "" : ", ") + n->label;
    return out;
}

// Each product names its cluster after itself by default.
const char* default_cluster_name(const Node& n) {
    return n.product == Product::opensearch ? "opensearch" : "elasticsearch";
}

void Checker::check_cluster_name() {
    std::map<std::string, std::vector<const Node*>> by_name;
    std::vector<std::string> order;
    for (const auto& n : nodes_) {
        const std::string name = n.settings->get("cluster.name").value_or(default_cluster_name(n));
        if (by_name.find(name) == by_name.end()) order.push_back(name);
        by_name[name].push_back(&n);
    }
    std::string majority = order.front();
    for (const auto& name : order) {
        if (by_name[name].size() > by_name[majority].size()) majority = name;
    }
    report_.cluster_name = majority;
    for (const auto& n : nodes_) {
        const auto name = n.settings->get("cluster.name");
        if (name.value_or(default_cluster_name(n)) == majority) continue;
        add(Severity::error, "cluster-name",
            fmt::format("{} differs from '{}' of {}: this node forms or joins another cluster",
                        name ? fmt::format("cluster.name '{}'", cut(*name))
                             : fmt::format("cluster.name is not set (the default '{}') and", default_cluster_name(n)),
                        cut(majority), names(by_name[majority])),
            fmt::format("cluster.name: {}", cut(majority)), n.settings->where("cluster.name"));
    }
}

void Checker::check_node_names() {
    std::map<std::string, const Node*> first;
    for (const auto& n : nodes_) {
        if (n.out.name.empty() || n.out.name.find("${") != std::string::npos) continue;
        auto [it, inserted] = first.emplace(n.out.name, &n);
        if (inserted) continue;
        add(Severity::error, "node-name",
            fmt::format("node.name '{}' is also the name of the node of {}: node names must be unique", n.label,
                        it->second->out.file),
            "give each node its own node.name", n.settings->where("node.name"));
    }
}

void Checker::check_masters() {
    const int m = report_.master_eligible;
    const Words& w = words();
    if (m == 0) {
        add(Severity::error, "master-eligible",
            fmt::format("none of the {} nodes is {}: the cluster can never elect a {}", nodes_.size(), w.eligible,
                        w.manager),
            fmt::format("make three nodes {} ({})", w.eligible, w.roles), "");
    } else if (m <= 2) {
        add(Severity::warning, "master-eligible",
            fmt::format("{} {} node{}: a quorum is {}, so losing {} stops the cluster (it tolerates 0 losses)", m,
                        w.eligible, m == 1 ? "" : "s", report_.quorum, m == 1 ? "it" : "either"),
            fmt::format("add {} nodes up to three (a small {}-only node will do)", w.eligible, w.manager), "");
    } else if (m % 2 == 0) {
        add(Severity::warning, "master-eligible",
            fmt::format("{} {} nodes tolerate {} loss{}, as {} would: an even count adds no safety", m, w.eligible,
                        report_.tolerated, report_.tolerated == 1 ? "" : "es", m - 1),
            fmt::format("use an odd number of {} nodes", w.eligible), "");
    }
}

void Checker::check_zen(const Node& n) {
    const EsSettings& s = *n.settings;
    const int m = report_.master_eligible;
    const int q = report_.quorum;
    constexpr std::string_view key = "discovery.zen.minimum_master_nodes";
    const std::string fix = fmt::format("{}: {}", key, q);
    auto text = s.get(key);
    if (!text) {
        if (m > 1) {
            add(Severity::error, "minimum-master-nodes",
                fmt::format("{} is not set, with {} master-eligible nodes: each side of a network split can elect its "
                            "own master (split brain)",
                            key, m),
                fix, s.file);
        }
        return;
    }
    auto value = parse_decimal(*text);
    if (!value) {
        add(Severity::error, "minimum-master-nodes", fmt::format("{}: '{}' is not a number", key, cut(*text)), fix,
            s.where(key));
        return;
    }
    const auto v = static_cast<int>(std::min<std::uint64_t>(*value, 1000000));
    if (v < q) {
        add(Severity::error, "minimum-master-nodes",
            fmt::format("{} is {}, below the quorum of the {} master-eligible nodes ({}): two masters can be elected "
                        "at once (split brain)",
                        key, v, m, q),
            fix, s.where(key));
    } else if (v > m) {
        add(Severity::error, "minimum-master-nodes",
            fmt::format("{} is {}, more than the {} master-eligible nodes: no master can ever be elected", key, v, m),
            fix, s.where(key));
    } else if (v > q) {
        add(Severity::error, "minimum-master-nodes",
            fmt::format("{} is {}, above the quorum of the {} master-eligible nodes ({}): the cluster tolerates {} "
                        "loss{} instead of {}",
                        key, v, m, q, m - v, m - v == 1 ? "" : "es", report_.tolerated),
            fix, s.where(key));
    }
}

void Checker::check_initial_masters() {
    std::vector<std::pair<const Node*, std::vector<std::string>>> lists;
    for (const auto& n : nodes_) {
        const std::string_view key = initial_key_of(n);
        if (key != master_key && n.settings->has(master_key)) {
            add(Severity::warning, "initial-master-nodes",
                fmt::format("{} is ignored: {} is set too, and OpenSearch reads that one", master_key, key),
                fmt::format("remove {}", master_key), n.settings->where(master_key));
        }
        if (!n.settings->has(key)) continue;
        auto list = n.settings->list(key);
        std::sort(list.begin(), list.end());
        lists.emplace_back(&n, std::move(list));
    }
    if (lists.empty()) return;
    const auto join = cut_list;
    // The list most nodes have is the reference.
    const std::vector<std::string>* reference = &lists.front().second;
    std::size_t best = 0;
    for (const auto& entry : lists) {
        // (No structured binding: clang 14 cannot capture one in a lambda.)
        const auto count = static_cast<std::size_t>(std::count_if(
            lists.begin(), lists.end(), [&](const auto& other) { return other.second == entry.second; }));
        if (count > best) {
            best = count;
            reference = &entry.second;
        }
    }
    std::vector<const Node*> with_reference;
    for (const auto& [node, list] : lists) {
        if (list == *reference) with_reference.push_back(node);
    }
    for (const auto& [node, list] : lists) {
        const std::string_view key = initial_key_of(*node);
        const std::string where = node->settings->where(key);
        if (list != *reference) {
            add(Severity::error, "initial-master-nodes",
                fmt::format("{} [{}] differs from [{}] of {}: at the first start the nodes can bootstrap two clusters",
                            key, join(list), join(*reference), names(with_reference)),
                fmt::format("{}: [{}] on every node that sets it", key, join(*reference)), where);
        }
        for (const auto& entry : list) {
            const Node* named = find_node(entry);
            if (named == nullptr) {
                add(Severity::error, "initial-master-nodes",
                    fmt::format("{} names '{}', which is no node's node.name or address", key, cut(entry)),
                    fmt::format("name the {} nodes by their node.name", node->words().eligible), where);
            } else if (!named->out.master_eligible) {
                add(Severity::error, "initial-master-nodes",
                    fmt::format("{} names '{}', the node of {}, which is not {}", key, cut(entry), named->out.file,
                            node->words().eligible),
                    fmt::format("name only {} nodes", node->words().eligible), where);
            }
        }
    }
}

void Checker::check_seeds(const Node& n) {
    const EsSettings& s = *n.settings;
    const bool zen2 = n.model == Model::zen2 || (n.model == Model::unknown && report_.discovery == "7.x+");
    std::string key = "discovery.seed_hosts";
    if (!s.has(key) && (s.has("discovery.zen.ping.unicast.hosts") || !zen2)) key = "discovery.zen.ping.unicast.hosts";
    // Seeds from a plugin (EC2, GCE, a file) or 2.x's multicast: not ours to check.
    if (s.has("discovery.seed_providers") || s.has("discovery.zen.hosts_provider") ||
        s.get("discovery.zen.ping.multicast.enabled") == "true") {
        return;
    }
    std::vector<const Node*> masters;
    for (const auto& other : nodes_) {
        if (&other != &n && other.out.master_eligible) masters.push_back(&other);
    }
    if (!s.has(key)) {
        if (masters.empty()) return;
        std::vector<std::string> known;
        for (const Node* m : masters) known.push_back(m->out.address.empty() ? m->label : cut(m->out.address));
        const std::string addresses = join(known, ", ");
        add(Severity::error, "seed-hosts",
            fmt::format("{} is not set: this node looks for the cluster on its own host only", key),
            fmt::format("{}: [{}]", key, addresses), s.file);
        return;
    }
    std::vector<Seed> seeds;
    for (const auto& text : s.list(key)) seeds.push_back(parse_seed(text));
    std::vector<std::string> texts;
    for (const auto& seed : seeds) texts.push_back(seed.text);
    const std::string listed = cut_list(texts);
    for (const Node* m : masters) {
        const bool reached = std::any_of(seeds.begin(), seeds.end(), [&](const Seed& seed) { return matches(*m, seed); });
        if (reached) continue;
        const std::string address = m->out.address.empty() ? m->label : cut(m->out.address);
        add(Severity::error, "seed-hosts",
            fmt::format("{} [{}] does not reach {} node {} ({}, {}): while the {}s it lists are away, this node "
                        "cannot find the cluster",
                        key, listed, n.words().eligible, m->label,
                        m->out.address.empty() ? "no address in its settings" : address, m->out.file,
                        n.words().manager),
            fmt::format("add {} to {}", address, key), s.where(key));
    }
    for (const auto& seed : seeds) {
        const bool known = std::any_of(nodes_.begin(), nodes_.end(), [&](const Node& other) { return matches(other, seed); });
        if (known) continue;
        add(Severity::error, "seed-hosts",
            fmt::format("{} lists '{}', which is no node's address or node.name", key, cut(seed.text)),
            fmt::format("remove it, or give check --cluster that node's {} too", n.words().yml), s.where(key));
    }
}

ClusterReport Checker::run() {
    count_nodes();
    check_products();
    classify_discovery();
    check_cluster_name();
    check_node_names();
    check_masters();
    const bool several = nodes_.size() > 1;
    if (report_.discovery == "unknown" && several) {
        add(Severity::error, "discovery",
            "no node has discovery settings: each node looks for the others on its own host only",
            report_.product == "opensearch"
                ? "discovery.seed_hosts and, for the first start, cluster.initial_cluster_manager_nodes (1.x: "
                  "cluster.initial_master_nodes)"
                : "up to 6.x: discovery.zen.ping.unicast.hosts and discovery.zen.minimum_master_nodes; from 7.0: "
                  "discovery.seed_hosts and, for the first start, cluster.initial_master_nodes",
            "");
    }
    for (const auto& n : nodes_) check_node(n, several);
    check_initial_masters();

    std::stable_sort(report_.findings.begin(), report_.findings.end(),
                     [](const Finding& a, const Finding& b) { return a.severity < b.severity; });
    return std::move(report_);
}

// The nodes, how many are master-eligible, the quorum of those and the
// losses it tolerates.
void Checker::count_nodes() {
    for (const auto& n : nodes_) {
        report_.nodes.push_back(n.out);
        if (n.out.master_eligible) ++report_.master_eligible;
    }
    report_.quorum = report_.master_eligible / 2 + 1;
    report_.tolerated = report_.master_eligible == 0 ? 0 : report_.master_eligible - report_.quorum;
}

// One product's nodes form a cluster: a list of both is an error naming
// each side.
void Checker::check_products() {
    std::vector<const Node*> os;
    std::vector<const Node*> es;
    for (const auto& n : nodes_) (n.product == Product::opensearch ? os : es).push_back(&n);
    report_.product = es.empty() ? "opensearch" : os.empty() ? "elasticsearch" : "mixed";
    if (os.empty() || es.empty()) return;
    add(Severity::error, "product-mix",
        fmt::format("the files are of two products: OpenSearch's ({}) and Elasticsearch's ({}); one cluster runs one "
                    "product",
                    names(os), names(es)),
        "give check --cluster the files of one cluster, each product's apart", "");
}

// The discovery the nodes' settings are written for: 7.x+, zen, mixed, or
// unknown when none says.
void Checker::classify_discovery() {
    std::vector<const Node*> zen;
    std::vector<const Node*> zen2;
    for (const auto& n : nodes_) {
        if (n.model == Model::zen) zen.push_back(&n);
        if (n.model == Model::zen2) zen2.push_back(&n);
    }
    if (!zen.empty() && !zen2.empty()) {
        report_.discovery = "mixed";
        add(Severity::warning, "version-mix",
            fmt::format("the nodes' settings belong to different versions: {} use 7.x discovery settings, {} zen's "
                        "(up to 6.x); each is checked by its own rules",
                        names(zen2), names(zen)),
            "give every node the discovery settings of the version it runs", "");
    } else if (!zen2.empty()) {
        report_.discovery = "7.x+";
    } else if (!zen.empty()) {
        report_.discovery = "zen";
    } else {
        report_.discovery = "unknown";
    }
}

// One node's own discovery settings, by the rules of its version.
void Checker::check_node(const Node& n, bool several) {
    const EsSettings& s = *n.settings;
    if (several && s.get("discovery.type") == "single-node") {
        add(Severity::error, "single-node",
            fmt::format("discovery.type is single-node: this node forms a cluster of its own and never joins the "
                        "other {}",
                        nodes_.size() - 1),
            "remove discovery.type", s.where("discovery.type"));
    }
    const bool as_zen = n.model == Model::zen || (n.model == Model::unknown && report_.discovery == "zen" &&
                                                  n.product == Product::elasticsearch);
    if (as_zen) check_zen(n);
    if (several && report_.discovery != "unknown") check_seeds(n);
}

}  // namespace

int ClusterReport::errors() const {
    return static_cast<int>(std::count_if(findings.begin(), findings.end(),
                                          [](const Finding& f) { return f.severity == Finding::Severity::error; }));
}

int ClusterReport::warnings() const { return static_cast<int>(findings.size()) - errors(); }

ClusterReport check_cluster(const std::vector<EsSettings>& nodes) {
    if (nodes.empty()) return {};
    return Checker{nodes}.run();
}

}  // namespace eslaunch
