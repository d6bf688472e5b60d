// check --cluster: the fixtures of tests/unit/cluster/ (2.x, 5.x, 6.x, 7.x
// and 8.x clusters, flat and nested YAML; OpenSearch 1.x and 2.x ones, os*,
// a directory a node holding its opensearch.yml) and hand-written settings
// for the rules no fixture shows; exact findings with FILE:LINE.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "eslaunch/check.hpp"
#include "eslaunch/cluster.hpp"
#include "eslaunch/es_config.hpp"

namespace eslaunch {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

fs::path fixtures() { return fs::path(ESLAUNCH_SOURCE_ROOT) / "tests/unit/cluster"; }

// Every node of one fixture directory, in file name order (a directory's
// opensearch.yml where the node is a directory).
std::vector<EsSettings> read_dir(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.is_directory() ? e.path() / "opensearch.yml" : e.path());
    std::sort(files.begin(), files.end());
    std::vector<EsSettings> out;
    for (const auto& f : files) {
        auto s = read_es_settings(f.string());
        if (!s) {
            ADD_FAILURE() << s.error().front().str();
            continue;
        }
        out.push_back(std::move(*s));
    }
    return out;
}

// "error minimum-master-nodes m1.yml:11: message", the file relative to `dir`.
std::vector<std::string> lines(const ClusterReport& r, const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& f : r.findings) {
        std::string where = f.where;
        if (where.starts_with(dir + "/")) where = where.substr(dir.size() + 1);
        out.push_back(fmt::format("{} {} {}: {}", severity_name(f.severity), f.id, where, f.message));
    }
    return out;
}

TEST(Cluster, Fixtures) {
    ASSERT_TRUE(fs::is_directory(fixtures())) << fixtures();
    struct Case {
        std::string dir;
        int masters;
        int tolerated;
        std::string discovery;
        std::vector<std::string> versions;  // per node, in file name order
        std::vector<std::string> findings;
    };
    const std::string split_brain =
        "discovery.zen.minimum_master_nodes is 1, below the quorum of the 3 master-eligible nodes (2): two masters can "
        "be elected at once (split brain)";
    const std::string two_masters =
        "warning master-eligible : 2 master-eligible nodes: a quorum is 2, so losing either stops the cluster (it "
        "tolerates 0 losses)";
    const std::string not_master = "cluster.initial_master_nodes names 'es-d1', the node of ";
    const std::string two_managers =
        "warning master-eligible : 2 cluster-manager-eligible nodes: a quorum is 2, so losing either stops the "
        "cluster (it tolerates 0 losses)";
    const std::vector<std::string> os1(5, "1.0+");
    const std::vector<std::string> os2(5, "2.0+");
    const std::vector<Case> cases = {
        // The five-host layout: three dedicated masters, two data nodes,
        // minimum_master_nodes 2 where it exists: clean, tolerates 1.
        {"2x-five-flat", 3, 1, "zen", {"2.x", "2.x", "2.x", "2.x", "2.x"}, {}},
        {"5x-five-nested", 3, 1, "zen", {"5.x-6.x", "5.x-6.x", "5.x-6.x", "5.x-6.x", "5.x-6.x"}, {}},
        {"6x-five-flat", 3, 1, "zen", {"5.x-6.x", "5.x-6.x", "5.x-6.x", "5.x-6.x", "5.x-6.x"}, {}},
        {"7x-five-nested", 3, 1, "7.x+", {"7.x", "7.x", "7.x", "7.x", "7.x"}, {}},
        {"8x-five-flat", 3, 1, "7.x+", {"7.9+", "7.9+", "7.9+", "7.9+", "7.9+"}, {}},
        // Three masters with minimum_master_nodes 1: split brain, on every node.
        {"6x-split-brain-flat", 3, 1, "zen", {"<=6.x", "<=6.x", "<=6.x"},
         {"error minimum-master-nodes m1.yml:5: " + split_brain, "error minimum-master-nodes m2.yml:5: " + split_brain,
          "error minimum-master-nodes m3.yml:5: " + split_brain}},
        {"2x-split-brain-nested", 3, 1, "zen", {"2.x", "2.x", "2.x"},
         {"error minimum-master-nodes m1.yml:11: " + split_brain,
          "error minimum-master-nodes m2.yml:11: " + split_brain,
          "error minimum-master-nodes m3.yml:11: " + split_brain}},
        {"6x-minimum-masters-nested", 3, 1, "zen", {"<=7.x", "<=6.x", "<=6.x"},
         {"error minimum-master-nodes m1.yml: discovery.zen.minimum_master_nodes is not set, with 3 master-eligible "
          "nodes: each side of a network split can elect its own master (split brain)",
          "error minimum-master-nodes m2.yml:9: discovery.zen.minimum_master_nodes is 3, above the quorum of the 3 "
          "master-eligible nodes (2): the cluster tolerates 0 losses instead of 1"}},
        // Two masters: it works, and tolerates no loss.
        {"5x-two-masters-flat", 2, 0, "zen", {"5.x-6.x", "5.x-6.x", "5.x-6.x"}, {two_masters}},
        {"8x-two-masters-nested", 2, 0, "7.x+", {"7.9+", "7.9+", "7.9+"}, {two_masters}},
        {"7x-cluster-names-flat", 3, 1, "7.x+", {"7.x+", "7.x+", "7.x+"},
         {"error cluster-name m3.yml:1: cluster.name 'logs-old' differs from 'logs' of es-m1, es-m2: this node forms "
          "or joins another cluster"}},
        {"8x-initial-masters-nested", 3, 1, "7.x+", {"7.9+", "7.9+", "7.9+"},
         {"error initial-master-nodes m3.yml:3: cluster.initial_master_nodes [es-m3] differs from [es-m1, es-m2, "
          "es-m3] of es-m1, es-m2: at the first start the nodes can bootstrap two clusters"}},
        {"7x-seed-missing-flat", 3, 1, "7.x+", {"7.x", "7.x", "7.x", "7.x", "7.x"},
         {"error seed-hosts d2.yml:6: discovery.seed_hosts [10.0.0.1, 10.0.0.2] does not reach master-eligible node "
          "es-m3 (10.0.0.3, " +
          (fixtures() / "7x-seed-missing-flat/m3.yml").string() +
          "): while the masters it lists are away, this node cannot find the cluster"}},
        {"8x-mistakes-flat", 3, 1, "7.x+", {"7.9+", "7.9+", "7.9+", "7.9+"},
         {"error node-name m3.yml:2: node.name 'es-m2' is also the name of the node of " +
              (fixtures() / "8x-mistakes-flat/m2.yml").string() + ": node names must be unique",
          "error seed-hosts d1.yml:5: discovery.seed_hosts lists '10.0.0.9', which is no node's address or node.name",
          "error seed-hosts m1.yml:5: discovery.seed_hosts lists '10.0.0.9', which is no node's address or node.name",
          "error seed-hosts m2.yml:5: discovery.seed_hosts lists '10.0.0.9', which is no node's address or node.name",
          "error seed-hosts m3.yml:5: discovery.seed_hosts lists '10.0.0.9', which is no node's address or node.name",
          "error initial-master-nodes d1.yml:6: " + not_master + (fixtures() / "8x-mistakes-flat/d1.yml").string() +
              ", which is not master-eligible",
          "error initial-master-nodes m1.yml:6: " + not_master + (fixtures() / "8x-mistakes-flat/d1.yml").string() +
              ", which is not master-eligible",
          "error initial-master-nodes m2.yml:6: " + not_master + (fixtures() / "8x-mistakes-flat/d1.yml").string() +
              ", which is not master-eligible",
          "error initial-master-nodes m3.yml:6: " + not_master + (fixtures() / "8x-mistakes-flat/d1.yml").string() +
              ", which is not master-eligible"}},
        // OpenSearch: 1.x's names (master, initial_master_nodes, node.master)
        // and 2.x's (cluster_manager, initial_cluster_manager_nodes).
        {"os1x-five-nested", 3, 1, "7.x+", os1, {}},
        {"os2x-five-flat", 3, 1, "7.x+", os2, {}},
        {"os1x-two-masters-flat", 2, 0, "7.x+", {"1.0+", "1.0+", "1.0+"}, {two_managers}},
        {"os2x-two-managers-nested", 2, 0, "7.x+", {"2.0+", "2.0+", "2.0+"}, {two_managers}},
        {"os1x-initial-masters-flat", 3, 1, "7.x+", {"1.0+", "1.0+", "1.0+"},
         {"error initial-master-nodes m3/opensearch.yml:6: cluster.initial_master_nodes [os-m3] differs from [os-m1, "
          "os-m2, os-m3] of os-m1, os-m2: at the first start the nodes can bootstrap two clusters"}},
        {"os2x-initial-managers-nested", 3, 1, "7.x+", {"2.0+", "2.0+", "2.0+"},
         {"error initial-master-nodes m1/opensearch.yml:4: cluster.initial_cluster_manager_nodes [os-m1] differs "
          "from [os-m1, os-m2, os-m3] of os-m2, os-m3: at the first start the nodes can bootstrap two clusters"}},
    };
    std::size_t dirs = 0;
    for (const auto& e : fs::directory_iterator(fixtures())) dirs += e.is_directory() ? 1 : 0;
    EXPECT_EQ(dirs, cases.size()) << "every fixture directory has its case";
    for (const auto& c : cases) {
        const std::string dir = (fixtures() / c.dir).string();
        const ClusterReport r = check_cluster(read_dir(dir));
        EXPECT_EQ(r.master_eligible, c.masters) << c.dir;
        EXPECT_EQ(r.quorum, c.masters / 2 + 1) << c.dir;
        EXPECT_EQ(r.tolerated, c.tolerated) << c.dir;
        EXPECT_EQ(r.discovery, c.discovery) << c.dir;
        EXPECT_EQ(r.cluster_name, "logs") << c.dir;
        EXPECT_EQ(r.product, c.dir.starts_with("os") ? "opensearch" : "elasticsearch") << c.dir;
        std::vector<std::string> versions;
        for (const auto& n : r.nodes) versions.push_back(n.version);
        EXPECT_EQ(versions, c.versions) << c.dir;
        EXPECT_THAT(lines(r, dir), ElementsAreArray(c.findings)) << c.dir;
        EXPECT_EQ(r.errors(), static_cast<int>(std::count_if(c.findings.begin(), c.findings.end(),
                                                             [](const auto& f) { return f.starts_with("error"); })));
    }
}

TEST(Cluster, NodesRolesAndAddresses) {
    const ClusterReport r = check_cluster(read_dir(fixtures() / "5x-five-nested"));
    ASSERT_EQ(r.nodes.size(), 5U);
    EXPECT_EQ(r.nodes[0].name, "es-d1");
    EXPECT_EQ(r.nodes[0].address, "10.0.0.4");
    EXPECT_THAT(r.nodes[0].roles, ElementsAre("data", "ingest"));
    EXPECT_FALSE(r.nodes[0].master_eligible);
    EXPECT_EQ(r.nodes[2].name, "es-m1");
    EXPECT_THAT(r.nodes[2].roles, ElementsAre("master"));
    EXPECT_TRUE(r.nodes[2].master_eligible);
    // 2.x has no ingest role; _site_ is no address, the seeds find nodes by name.
    EXPECT_THAT(check_cluster(read_dir(fixtures() / "2x-five-flat")).nodes[2].roles, ElementsAre("master"));
    const ClusterReport six = check_cluster(read_dir(fixtures() / "6x-five-flat"));
    EXPECT_EQ(six.nodes[2].address, "");
    EXPECT_TRUE(six.findings.empty());
    EXPECT_THAT(check_cluster(read_dir(fixtures() / "8x-five-flat")).nodes[0].roles, ElementsAre("data", "ingest"));
    // OpenSearch: 2.x's cluster_manager role, 1.x's legacy booleans.
    const ClusterReport os2 = check_cluster(read_dir(fixtures() / "os2x-five-flat"));
    EXPECT_THAT(os2.nodes[2].roles, ElementsAre("cluster_manager"));
    EXPECT_TRUE(os2.nodes[2].master_eligible);
    EXPECT_EQ(os2.nodes[2].product, "opensearch");
    const ClusterReport os1 = check_cluster(read_dir(fixtures() / "os1x-two-masters-flat"));
    EXPECT_THAT(os1.nodes[1].roles, ElementsAre("master", "ingest"));
    EXPECT_THAT(os1.nodes[0].roles, ElementsAre("data", "ingest"));
    EXPECT_FALSE(os1.nodes[0].master_eligible);
}

// Settings written here, one string per node: "file|yaml".
ClusterReport check(const std::vector<std::pair<std::string, std::string>>& nodes) {
    std::vector<EsSettings> settings;
    for (const auto& [file, text] : nodes) {
        auto s = parse_es_settings(text, file);
        if (!s) {
            ADD_FAILURE() << s.error().front().str();
            continue;
        }
        settings.push_back(std::move(*s));
    }
    return check_cluster(settings);
}

std::vector<std::string> all_lines(const ClusterReport& r) { return lines(r, "/nowhere"); }

TEST(Cluster, RulesWithoutFixtures) {
    const std::string zen = "discovery.zen.ping.unicast.hosts: [a, b, c]\n";
    struct Case {
        std::string name;
        std::vector<std::pair<std::string, std::string>> nodes;
        std::vector<std::string> findings;
    };
    const std::vector<Case> cases = {
        {"minimum_master_nodes above the master count",
         {{"a.yml", "node.name: a\n" + zen + "discovery.zen.minimum_master_nodes: 4\n"},
          {"b.yml", "node.name: b\n" + zen + "discovery.zen.minimum_master_nodes: 2\n"},
          {"c.yml", "node.name: c\n" + zen + "discovery.zen.minimum_master_nodes: two\n"}},
         {"error minimum-master-nodes a.yml:3: discovery.zen.minimum_master_nodes is 4, more than the 3 "
          "master-eligible nodes: no master can ever be elected",
          "error minimum-master-nodes c.yml:3: discovery.zen.minimum_master_nodes: 'two' is not a number"}},
        {"no master-eligible node",
         {{"a.yml", "node.name: a\nnode.roles: [data]\ndiscovery.seed_hosts: [b]\n"},
          {"b.yml", "node.name: b\nnode.roles: [data]\ndiscovery.seed_hosts: [a]\n"}},
         {"error master-eligible : none of the 2 nodes is master-eligible: the cluster can never elect a master"}},
        {"four masters are no safer than three",
         {{"a.yml", "node.name: a\ndiscovery.seed_hosts: [a, b, c, d]\n"},
          {"b.yml", "node.name: b\ndiscovery.seed_hosts: [a, b, c, d]\n"},
          {"c.yml", "node.name: c\ndiscovery.seed_hosts: [a, b, c, d]\n"},
          {"d.yml", "node.name: d\ndiscovery.seed_hosts: [a, b, c, d]\n"}},
         {"warning master-eligible : 4 master-eligible nodes tolerate 1 loss, as 3 would: an even count adds no "
          "safety"}},
        {"one node on single-node discovery, and one without seeds",
         {{"a.yml", "node.name: a\ndiscovery.seed_hosts: [b, c]\n"},
          {"b.yml", "node.name: b\ndiscovery.type: single-node\ndiscovery.seed_hosts: [a, c]\n"},
          {"c.yml", "node.name: c\ncluster.initial_master_nodes: [a, b, c]\n"}},
         {"error single-node b.yml:2: discovery.type is single-node: this node forms a cluster of its own and never "
          "joins the other 2",
          "error seed-hosts c.yml: discovery.seed_hosts is not set: this node looks for the cluster on its own host "
          "only"}},
        {"node.roles with a legacy role setting, and an initial master nobody is",
         {{"a.yml", "node.name: a\nnode.roles: [master]\nnode.master: true\ndiscovery.seed_hosts: [b]\n"
                    "cluster.initial_master_nodes: [a, b, x]\n"},
          {"b.yml", "node.name: b\ndiscovery.seed_hosts: [a]\ncluster.initial_master_nodes: [a, b, x]\n"}},
         {"error node-roles a.yml:3: can not explicitly configure node roles and use legacy role setting "
          "[node.master]=[true]",
          "error initial-master-nodes a.yml:5: cluster.initial_master_nodes names 'x', which is no node's node.name "
          "or address",
          "error initial-master-nodes b.yml:3: cluster.initial_master_nodes names 'x', which is no node's node.name "
          "or address",
          "warning master-eligible : 2 master-eligible nodes: a quorum is 2, so losing either stops the cluster (it "
          "tolerates 0 losses)"}},
        {"no discovery settings anywhere, and the default cluster.name on one node",
         {{"a.yml", "cluster.name: logs\nnode.name: a\n"},
          {"b.yml", "cluster.name: logs\nnode.name: b\n"},
          {"c.yml", "node.name: c\n"}},
         {"error cluster-name c.yml: cluster.name is not set (the default 'elasticsearch') and differs from 'logs' of "
          "a, b: this node forms or joins another cluster",
          "error discovery : no node has discovery settings: each node looks for the others on its own host only"}},
        {"a 7.x node beside 6.x nodes, and a zen setting on the 7.x node",
         {{"a.yml", "node.name: a\n" + zen + "discovery.zen.minimum_master_nodes: 2\n"},
          {"b.yml", "node.name: b\n" + zen + "discovery.zen.minimum_master_nodes: 2\n"},
          {"c.yml", "node.name: c\nnode.roles: [master]\ndiscovery.seed_hosts: [a, b]\n"
                    "discovery.zen.minimum_master_nodes: 2\n"}},
         {"warning version-mix c.yml:4: discovery.zen.minimum_master_nodes is a setting of Elasticsearch <=6.x, but "
          "c's other settings are of 7.9+: it is ignored or refused",
          "warning version-mix : the nodes' settings belong to different versions: c use 7.x discovery settings, a, b "
          "zen's (up to 6.x); each is checked by its own rules"}},
        {"seeds with ports, host names and a node.client",
         {{"a.yml", "node.name: es-a\nnetwork.host: 10.0.0.1\ntransport.tcp.port: 9301\nbootstrap.mlockall: true\n"
                    "discovery.zen.ping.unicast.hosts: [\"10.0.0.1:9301\", \"es-b.example.org\"]\n"
                    "discovery.zen.minimum_master_nodes: 1\n"},
          {"b.yml", "node.name: es-b\nnetwork.host: _site_\n"
                    "discovery.zen.ping.unicast.hosts: [\"10.0.0.1:9300\", es-b]\n"
                    "discovery.zen.minimum_master_nodes: 1\n"},
          {"c.yml", "node.name: es-c\nnode.client: true\ndiscovery.zen.ping.unicast.hosts: [10.0.0.1, es-b]\n"
                    "discovery.zen.minimum_master_nodes: 2\n"}},
         {"error minimum-master-nodes a.yml:6: discovery.zen.minimum_master_nodes is 1, below the quorum of the 2 "
          "master-eligible nodes (2): two masters can be elected at once (split brain)",
          "error minimum-master-nodes b.yml:4: discovery.zen.minimum_master_nodes is 1, below the quorum of the 2 "
          "master-eligible nodes (2): two masters can be elected at once (split brain)",
          "error seed-hosts b.yml:3: discovery.zen.ping.unicast.hosts [10.0.0.1:9300, es-b] does not reach "
          "master-eligible node es-a (10.0.0.1:9301, a.yml): while the masters it lists are away, this node cannot "
          "find the cluster",
          "error seed-hosts b.yml:3: discovery.zen.ping.unicast.hosts lists '10.0.0.1:9300', which is no node's "
          "address or node.name",
          "warning master-eligible : 2 master-eligible nodes: a quorum is 2, so losing either stops the cluster (it "
          "tolerates 0 losses)"}},
    };
    for (const auto& c : cases) {
        EXPECT_THAT(all_lines(check(c.nodes)), ElementsAreArray(c.findings)) << c.name;
    }
    const ClusterReport client = check(cases.back().nodes);
    EXPECT_TRUE(client.nodes[2].roles.empty());  // node.client: neither master nor data
    EXPECT_EQ(client.nodes[0].address, "10.0.0.1:9301");
    EXPECT_EQ(client.nodes[0].version, "2.x");
}

// OpenSearch's names and words; which files are OpenSearch's, and a list
// of both products.
TEST(Cluster, OpenSearchRulesWithoutFixtures) {
    const std::string seeds = "discovery.seed_hosts: [a, b, c]\n";
    struct Case {
        std::string name;
        std::vector<std::pair<std::string, std::string>> nodes;
        std::vector<std::string> findings;
    };
    const std::string bootstraps = "cluster.initial_cluster_manager_nodes: [a, b, c]\n";
    const std::vector<Case> cases = {
        {"a mixed list: by name, by an xpack setting, and by the others' product",
         {{"es/elasticsearch.yml", "node.name: a\n" + seeds},
          {"b.yml", "node.name: b\nxpack.security.enabled: true\n" + seeds},
          {"os/opensearch.yml", "node.name: c\n" + seeds}},
         {"error product-mix : the files are of two products: OpenSearch's (c) and Elasticsearch's (a, b); one "
          "cluster runs one product",
          "error cluster-name os/opensearch.yml: cluster.name is not set (the default 'opensearch') and differs from "
          "'elasticsearch' of a, b: this node forms or joins another cluster"}},
        {"one file that says both",
         {{"x/elasticsearch.yml", "node.name: a\nnode.roles: [cluster_manager]\n"}},
         {"error product-mix x/elasticsearch.yml: x/elasticsearch.yml is OpenSearch's (x/elasticsearch.yml:2) and "
          "Elasticsearch's (its name) at once: it is read as Elasticsearch's",
          "warning master-eligible : 1 master-eligible node: a quorum is 1, so losing it stops the cluster (it "
          "tolerates 0 losses)"}},
        {"both roles, a deprecated role, both bootstrap keys, a zen setting",
         {{"a/opensearch.yml", "node.name: a\nnode.roles: [master, cluster_manager]\n" + seeds},
          {"b/opensearch.yml", "node.name: b\nnode.roles: [master, data]\n" + bootstraps +
                                   "cluster.initial_master_nodes: [a, b]\n" + seeds},
          {"m3.yml", "node.name: c\nplugins.security.ssl.http.enabled: true\ndiscovery.zen.minimum_master_nodes: 2\n" +
                         seeds + "cluster.initial_master_nodes: [a, b, c]\n"}},
         {"error node-roles a/opensearch.yml:2: the two roles [master, cluster_manager] can not be assigned together "
          "to a node (OpenSearch refuses to start)",
          "warning node-roles b/opensearch.yml:2: master in node.roles is deprecated in OpenSearch 2.x, whose other "
          "settings this node uses",
          "warning version-mix m3.yml:3: discovery.zen.minimum_master_nodes is a setting of Elasticsearch <=6.x, not "
          "of OpenSearch: c ignores or refuses it",
          "warning initial-master-nodes b/opensearch.yml:4: cluster.initial_master_nodes is ignored: "
          "cluster.initial_cluster_manager_nodes is set too, and OpenSearch reads that one"}},
        {"no cluster-manager-eligible node",
         {{"a/opensearch.yml", "node.name: a\nnode.roles: [data]\ndiscovery.seed_hosts: [b]\n"},
          {"b/opensearch.yml", "node.name: b\nnode.roles: [data]\ndiscovery.seed_hosts: [a]\n"}},
         {"error master-eligible : none of the 2 nodes is cluster-manager-eligible: the cluster can never elect a "
          "cluster manager"}},
        {"seeds that miss cluster managers",
         {{"a/opensearch.yml", "node.name: a\nnetwork.host: 10.0.0.1\nnode.roles: [cluster_manager]\n"
                               "discovery.seed_hosts: [10.0.0.1, 10.0.0.2, 10.0.0.3]\n"},
          {"b/opensearch.yml", "node.name: b\nnetwork.host: 10.0.0.2\nnode.roles: [cluster_manager]\n"
                               "discovery.seed_hosts: [10.0.0.1, 10.0.0.2, 10.0.0.9]\n"},
          {"c/opensearch.yml", "node.name: c\nnetwork.host: 10.0.0.3\nnode.roles: [cluster_manager]\n"
                               "discovery.seed_hosts: [10.0.0.1, 10.0.0.2, 10.0.0.3]\n"}},
         {"error seed-hosts b/opensearch.yml:4: discovery.seed_hosts [10.0.0.1, 10.0.0.2, 10.0.0.9] does not reach "
          "cluster-manager-eligible node c (10.0.0.3, c/opensearch.yml): while the cluster managers it lists are "
          "away, this node cannot find the cluster",
          "error seed-hosts b/opensearch.yml:4: discovery.seed_hosts lists '10.0.0.9', which is no node's address or "
          "node.name"}},
    };
    for (const auto& c : cases) {
        EXPECT_THAT(all_lines(check(c.nodes)), ElementsAreArray(c.findings)) << c.name;
    }
    const ClusterReport mixed = check(cases[0].nodes);
    EXPECT_EQ(mixed.product, "mixed");
    EXPECT_EQ(mixed.nodes[1].product, "elasticsearch");
    EXPECT_EQ(mixed.nodes[2].product, "opensearch");
    const ClusterReport roles = check(cases[2].nodes);
    EXPECT_EQ(roles.product, "opensearch");
    EXPECT_EQ(roles.cluster_name, "opensearch");
    EXPECT_THAT(roles.nodes[2].roles, ElementsAre("master", "data", "ingest"));
    EXPECT_EQ(roles.nodes[1].version, "2.0+");
    EXPECT_EQ(roles.nodes[2].version, "1.0+");
    EXPECT_EQ(check(cases[3].nodes).findings[0].fix, "make three nodes cluster-manager-eligible (cluster_manager in "
                                                      "node.roles; 1.x: master)");
    EXPECT_EQ(check(cases[4].nodes).findings[1].fix,
              "remove it, or give check --cluster that node's opensearch.yml too");
    // 2.x's default role is cluster_manager; no discovery: OpenSearch's keys.
    // b.yml says nothing: it takes a's product.
    const ClusterReport bare = check({{"a/opensearch.yml", "node.name: a\n"}, {"b.yml", "node.name: b\n"}});
    EXPECT_EQ(bare.nodes[1].product, "opensearch");
    ASSERT_EQ(bare.findings.size(), 2U);  // and two cluster managers
    EXPECT_EQ(bare.findings[0].id, "discovery");
    EXPECT_EQ(bare.findings[0].fix,
              "discovery.seed_hosts and, for the first start, cluster.initial_cluster_manager_nodes (1.x: "
              "cluster.initial_master_nodes)");
    const ClusterReport two = check({{"a/opensearch.yml", "node.name: a\n" + bootstraps}});
    EXPECT_THAT(two.nodes[0].roles, ElementsAre("cluster_manager", "data", "ingest"));
}

// A role setting that is no boolean is an error, and the node keeps the
// role's default.
TEST(Cluster, RoleSettingsThatAreNotBooleans) {
    const std::string seeds = "discovery.seed_hosts: [a, b, c]\n";
    const ClusterReport r = check({{"a.yml", "node.name: a\nnode.master: maybe\n" + seeds},
                                   {"b.yml", "node.name: b\n" + seeds},
                                   {"c.yml", "node.name: c\n" + seeds}});
    EXPECT_THAT(all_lines(r), ElementsAre("error invalid-setting a.yml:2: node.master: 'maybe' is not a boolean"));
    ASSERT_EQ(r.findings.size(), 1U);
    EXPECT_EQ(r.findings[0].fix, "node.master: true or node.master: false");
    EXPECT_TRUE(r.nodes[0].master_eligible);
    EXPECT_THAT(r.nodes[0].roles, ElementsAre("master", "data", "ingest"));
    EXPECT_EQ(r.master_eligible, 3);
}

TEST(Cluster, TextAndJson) {
    const std::string dir = (fixtures() / "6x-split-brain-flat").string();
    const ClusterReport r = check_cluster(read_dir(dir));
    const std::string text = render_cluster_text(r);
    EXPECT_THAT(text, HasSubstr("cluster logs: 3 nodes, 3 master-eligible (a quorum is 2): it tolerates losing 1\n"
                                "discovery: zen (up to 6.x): discovery.zen.minimum_master_nodes must be 2 on every "
                                "node\n\n"
                                "  node   address   roles               version  file\n"
                                "  es-m1  10.0.0.1  master,data,ingest  <=6.x    " +
                                dir + "/m1.yml\n"));
    EXPECT_THAT(text, HasSubstr("  error    minimum-master-nodes: discovery.zen.minimum_master_nodes is 1, below the "
                                "quorum of the 3 master-eligible nodes (2): two masters can be elected at once (split "
                                "brain)\n           at: " +
                                dir + "/m1.yml:5\n           fix: discovery.zen.minimum_master_nodes: 2\n"));
    EXPECT_THAT(text, HasSubstr("  3 errors, 0 warnings\n"));

    const nlohmann::json j = nlohmann::json::parse(render_cluster_json(r));
    EXPECT_EQ(j["valid"], true);
    EXPECT_EQ(j["cluster_name"], "logs");
    EXPECT_EQ(j["master_eligible"], 3);
    EXPECT_EQ(j["quorum"], 2);
    EXPECT_EQ(j["tolerated_losses"], 1);
    EXPECT_EQ(j["discovery"], "zen");
    EXPECT_EQ(j["errors"], 3);
    EXPECT_EQ(j["warnings"], 0);
    EXPECT_EQ(j["nodes"][0], nlohmann::json::parse(R"({"file":")" + dir + R"(/m1.yml","name":"es-m1",
        "address":"10.0.0.1","roles":["master","data","ingest"],"master_eligible":true,"product":"elasticsearch","version":"<=6.x"})"));
    EXPECT_EQ(j["findings"][0]["where"], dir + "/m1.yml:5");
    EXPECT_EQ(j["findings"][0]["id"], "minimum-master-nodes");
    EXPECT_EQ(j["findings"][0]["fix"], "discovery.zen.minimum_master_nodes: 2");

    EXPECT_EQ(j["product"], "elasticsearch");

    // OpenSearch's words in the text, its product in the JSON.
    const std::string os_dir = (fixtures() / "os2x-two-managers-nested").string();
    const ClusterReport os = check_cluster(read_dir(os_dir));
    EXPECT_THAT(render_cluster_text(os),
                HasSubstr("cluster logs (OpenSearch): 3 nodes, 2 cluster-manager-eligible (a quorum is 2): it tolerates "
                          "losing 0\ndiscovery: 7.x+ (OpenSearch, forked from 7.10; the quorum is kept automatically): "
                          "the seed hosts must reach every cluster-manager-eligible node\n"));
    EXPECT_THAT(render_cluster_text(os),
                HasSubstr("\n  os-m1  10.0.0.1  cluster_manager  OpenSearch 2.0+  " + os_dir + "/m1/opensearch.yml\n"));
    const nlohmann::json osj = nlohmann::json::parse(render_cluster_json(os));
    EXPECT_EQ(osj["product"], "opensearch");
    EXPECT_EQ(osj["nodes"][1]["product"], "opensearch");
    EXPECT_EQ(osj["nodes"][1]["version"], "2.0+");

    const nlohmann::json none = nlohmann::json::parse(render_cluster_json(check({{"a.yml", "node.name: a\n"}})));
    EXPECT_TRUE(none["nodes"][0]["address"].is_null());
    EXPECT_EQ(none["discovery"], "unknown");
}

}  // namespace
}  // namespace eslaunch
